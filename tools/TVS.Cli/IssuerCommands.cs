using System.CommandLine;
using NSec.Cryptography;

namespace TVS.Cli;

/// <summary>
/// <c>tvs issuer …</c>: credential issuers (docs/election-guide.md, "Registration and signed
/// roots"): keys, the authority's signed voter roll and tokens, the registration service, each
/// issuer's endorsement of a registry root and their combination into a signed root.
/// Exit codes: 0 done, 2 refused input or a root below threshold.
/// </summary>
public static partial class IssuerCommands
{
    public static Command Build()
    {
        var issuer = new Command("issuer", "Credential issuers: voter roll, registration service, signed registry roots");
        issuer.Subcommands.Add(Keygen());
        issuer.Subcommands.Add(Roll());
        issuer.Subcommands.Add(Run());
        issuer.Subcommands.Add(SignRoot());
        issuer.Subcommands.Add(Collect());
        issuer.Subcommands.Add(Roots());
        return issuer;
    }

    private static Key LoadOrCreateAuthority(string path)
    {
        var p = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        if (File.Exists(path)) return Key.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(File.ReadAllText(path).Trim()), KeyBlobFormat.RawPrivateKey, p);
        var key = Key.Create(SignatureAlgorithm.Ed25519, p);
        WriteSecret(path, Convert.ToHexStringLower(key.Export(KeyBlobFormat.RawPrivateKey)) + "\n");
        return key;
    }

    private static void WriteSecret(string path, string text)
    {
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }
}
