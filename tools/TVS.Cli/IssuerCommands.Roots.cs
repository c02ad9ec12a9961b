using System.CommandLine;
using TVS.LoadGen;

namespace TVS.Cli;

/// <summary><c>tvs issuer roots</c>: the election's accepted registry roots, and why any other is not accepted.</summary>
public static partial class IssuerCommands
{
    private static Command Roots()
    {
        var c = new Command("roots", "List the election's accepted registry roots and why any other root is not accepted");
        var election = new Option<DirectoryInfo>("--election") { Required = true };
        c.Options.Add(election);
        c.SetAction(r =>
        {
            using var e = ElectionSetup.Load(r.GetValue(election)!.FullName, allowInsecure: true);
            foreach (var s in e.SignedRoots) Console.WriteLine($"accepted {s.Statement.Root} size {s.Statement.Size} depth {s.Statement.Depth} ({s.Signatures.Count} signatures)");
            foreach (var w in e.RootWarnings) Console.Error.WriteLine("warning: " + w);
            return e.RootWarnings.Count == 0 ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return c;
    }
}
