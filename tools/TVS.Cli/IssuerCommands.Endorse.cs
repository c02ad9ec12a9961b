using System.CommandLine;
using TVS.Crypto.Registry;
using TVS.Engine.Election;
using TVS.Issuer;

namespace TVS.Cli;

/// <summary><c>tvs issuer endorse</c> (alias <c>sign-root</c>): one issuer's signature on the registry root it recomputed.</summary>
public static partial class IssuerCommands
{
    private static Command SignRoot()
    {
        var c = new Command("sign-root", "Recompute the registry root from the registry file and sign it with this issuer's key (an endorsement)");
        c.Aliases.Add("endorse");
        var registry = new Option<FileInfo>("--registry") { Required = true };
        var key = new Option<string>("--key") { Description = "this issuer's key file, or the PKCS#11 URI of its key (then --index)", Required = true };
        var keyIndex = new Option<int?>("--index") { Description = "this issuer's index (with a PKCS#11 --key)" };
        var size = new Option<int?>("--size") { Description = "sign the root of the first N registrations (default: all); every issuer must sign the same N" };
        var output = new Option<FileInfo?>("--out") { Description = "endorsement file (default: stdout)" };
        foreach (var o in new Option[] { registry, key, keyIndex, size, output }) c.Options.Add(o);
        c.SetAction(r =>
        {
            try
            {
                var (id, commitments) = RegistryFile.ReadCommitments(r.GetValue(registry)!.FullName);
                int n = r.GetValue(size) ?? commitments.Count;
                if (n < 1 || n > commitments.Count) { Console.Error.WriteLine($"tvs issuer sign-root: the registry holds {commitments.Count} commitments, cannot sign the first {n}"); return ExitCodes.Refused; }
                if (commitments.Take(n).Distinct().Count() != n) { Console.Error.WriteLine("tvs issuer sign-root: the registry holds a commitment twice; refusing to sign"); return ExitCodes.Refused; }
                var root = LeanImtBuilder.ComputeRoot(commitments.Take(n).ToArray());
                using var k = HsmCommands.OpenIssuerKey(r.GetValue(key)!, r.GetValue(keyIndex));
                var e = k.Sign(new RootStatement(id, n, LeanImt.DepthFor(n), root));
                var o = r.GetValue(output);
                if (o is null) Console.Write(e.ToJson()); else File.WriteAllText(o.FullName, e.ToJson());
                Console.Error.WriteLine($"issuer {k.Issuer} signed size {n}, root {root}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
            {
                Console.Error.WriteLine($"tvs issuer sign-root: {e.Message}");
                return ExitCodes.Refused;
            }
        });
        return c;
    }
}
