using System.CommandLine;

namespace TVS.Cli;

/// <summary>
/// <c>tvs witness …</c>: a checkpoint witness (docs/ops/witness.md): its cosigning key and the
/// C2SP tlog-witness service. Exit codes: 0 done, 2 refused input.
/// </summary>
public static partial class WitnessCommands
{
    public static Command Build()
    {
        var witness = new Command("witness", "Checkpoint witness: cosigns a log's checkpoints only when consistent with everything it cosigned before");
        witness.Subcommands.Add(Keygen());
        witness.Subcommands.Add(Run());
        witness.Subcommands.Add(Bench());
        witness.Subcommands.Add(WitnessPublishBench.Build());
        return witness;
    }
}
