using System.CommandLine;
using TVS.Engine.Election;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Pkcs11;

namespace TVS.Cli;

/// <summary>
/// <c>tvs hsm</c>: keys in a PKCS#11 token named by RFC 7512 URIs
/// (<c>pkcs11:token=…;object=…?module-path=…&amp;pin-source=file:…</c>). Exit codes: 0 done, 2 refused
/// (bad URI, module, token, PIN or object; the message says which, never the PIN).
/// </summary>
public static class HsmCommands
{
    public static Command Build()
    {
        var hsm = new Command("hsm", "Keys in a PKCS#11 token (HSM): generate them inside the token, point an election at them");

        var keygen = new Command("keygen", "Generate a key inside the token (never extractable): ed25519 (checkpoint/close signer, issuer) or aes (trustee key wrapping)");
        var uri = new Option<string>("--uri") { Description = "PKCS#11 URI of the new key (object= is its label)", Required = true };
        var type = new Option<string>("--type") { Description = "ed25519 or aes", DefaultValueFactory = _ => "ed25519" };
        var name = new Option<string?>("--name") { Description = "ed25519: also print the signed-note verifier key under this key name" };
        keygen.Options.Add(uri);
        keygen.Options.Add(type);
        keygen.Options.Add(name);
        keygen.SetAction(r => Guard("keygen", () => Keygen(r.GetValue(uri)!, r.GetValue(type)!, r.GetValue(name), Console.Out)));
        hsm.Subcommands.Add(keygen);

        var use = new Command("use-checkpoint-key", "Make an election sign its checkpoints and close statement with an Ed25519 key in the token (before the first vote)");
        var election = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var keyUri = new Option<string>("--uri") { Description = "PKCS#11 URI of the Ed25519 key", Required = true };
        use.Options.Add(election);
        use.Options.Add(keyUri);
        use.SetAction(r => Guard("use-checkpoint-key", () =>
        {
            string vkey = ElectionSetup.UseTokenCheckpointKey(r.GetValue(election)!.FullName, Pkcs11Uri.Parse(r.GetValue(keyUri)!));
            Console.WriteLine($"checkpointVerifierKey {vkey}");
            return ExitCodes.Ok;
        }));
        hsm.Subcommands.Add(use);
        return hsm;
    }

    public static int Keygen(string uriText, string type, string? name, TextWriter output)
    {
        var uri = Pkcs11Uri.Parse(uriText);
        if (uri.Object is null)
        {
            throw new TokenException("the URI names no object: add object=LABEL for the new key");
        }
        using (var token = Pkcs11Token.Open(uri))
        {
            switch (type)
            {
                case "ed25519":
                    token.GenerateEd25519(uri.Object);
                    break;
                case "aes":
                    token.GenerateAes256(uri.Object);
                    output.WriteLine($"AES-256 key '{uri.Object}' generated in token '{uri.Token}' (sensitive, not extractable)");
                    return ExitCodes.Ok;
                default:
                    throw new TokenException($"--type {type}: ed25519 or aes");
            }
        }
        using var signer = Pkcs11Ed25519Signer.Open(uri);
        output.WriteLine($"publicKey {Convert.ToHexStringLower(signer.PublicKey.Span)}");
        if (name is not null)
        {
            output.WriteLine($"verifierKey {NoteVerifier.FromEd25519(name, signer.PublicKey.Span).VerifierKey}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>An issuer key from a key file path or a PKCS#11 URI (then <paramref name="index"/> is required).</summary>
    public static IssuerKey OpenIssuerKey(string keyOrUri, int? index)
    {
        if (!Pkcs11Uri.LooksLikeUri(keyOrUri))
        {
            return IssuerKey.Load(keyOrUri);
        }
        if (index is null)
        {
            throw new TokenException("a PKCS#11 issuer key needs --index (the issuer's number in the election)");
        }
        return IssuerKey.FromSigner(index.Value, Pkcs11Ed25519Signer.Open(Pkcs11Uri.Parse(keyOrUri)));
    }

    private static int Guard(string verb, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is TokenException or Pkcs11UriException or IOException or InvalidDataException or NoteException)
        {
            Console.Error.WriteLine($"tvs hsm {verb}: {e.Message}");
            return ExitCodes.Refused;
        }
    }
}
