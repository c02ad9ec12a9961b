using System.CommandLine;

namespace TVS.Cli;

/// <summary>
/// <c>tvs engine run</c>, <c>tvs loadgen</c>, <c>tvs proof</c>, <c>tvs checkpoint verify</c>: the
/// operator's and the auditor's verbs around one partition's embedded stores. Exit codes: 0 done
/// or valid, 1 invalid (a proof or checkpoint that does not verify), 2 unusable input.
/// </summary>
public static partial class EngineCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return BuildEngine();
        yield return BuildLoadgen();
        yield return BuildProof();
        yield return BuildCheckpoint();
    }
}
