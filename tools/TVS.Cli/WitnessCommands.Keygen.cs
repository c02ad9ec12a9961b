using System.CommandLine;
using TVS.Merkle;

namespace TVS.Cli;

/// <summary><c>tvs witness keygen</c>: a witness's Ed25519 cosigning key.</summary>
public static partial class WitnessCommands
{
    private static Command Keygen()
    {
        var c = new Command("keygen", "Create a witness's Ed25519 cosigning key (file mode 0600); prints its verifier key (vkey, type 0x04) for election.json's witnesses");
        var name = new Option<string>("--name") { Description = "the witness's name, e.g. witness.example.org/w1 (no spaces, no '+')", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "key file to create", Required = true };
        c.Options.Add(name);
        c.Options.Add(output);
        c.SetAction(r =>
        {
            var file = r.GetValue(output)!;
            if (file.Exists) { Console.Error.WriteLine($"tvs witness keygen: {file.FullName} exists; not overwritten"); return ExitCodes.Refused; }
            CosignatureSigner key;
            try
            {
                key = CosignatureSigner.Generate(r.GetValue(name)!);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"tvs witness keygen: {e.Message}");
                return ExitCodes.Refused;
            }
            using (key)
            {
                var fo = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) fo.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600 from creation: never readable by others
                using (var f = new FileStream(file.FullName, fo))
                using (var w = new StreamWriter(f))
                {
                    w.Write(key.SignerKey + "\n");
                }
                Console.WriteLine(key.Verifier.VerifierKey);
            }
            return ExitCodes.Ok;
        });
        return c;
    }
}
