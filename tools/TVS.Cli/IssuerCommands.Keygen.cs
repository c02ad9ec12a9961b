using System.CommandLine;
using TVS.Engine.Election;

namespace TVS.Cli;

/// <summary><c>tvs issuer keygen</c>: an issuer's Ed25519 signing key.</summary>
public static partial class IssuerCommands
{
    private static Command Keygen()
    {
        var c = new Command("keygen", "Create an issuer's Ed25519 signing key (file mode 0600); prints its public key (hex) for election.json");
        var index = new Option<int>("--index") { Description = "the issuer's index 1..n in the election's issuer list", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "key file to create", Required = true };
        c.Options.Add(index);
        c.Options.Add(output);
        c.SetAction(r =>
        {
            var file = r.GetValue(output)!;
            if (file.Exists) { Console.Error.WriteLine($"tvs issuer keygen: {file.FullName} exists; not overwritten"); return ExitCodes.Refused; }
            using var key = IssuerKey.Generate(r.GetValue(index));
            WriteSecret(file.FullName, key.ToFileText());
            Console.WriteLine(Convert.ToHexStringLower(key.PublicKey));
            return ExitCodes.Ok;
        });
        return c;
    }
}
