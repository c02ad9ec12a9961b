using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Engine.Election;
using TVS.LoadGen;
using TVS.Pkcs11;

namespace TVS.Cli;

/// <summary>
/// <c>tvs demo --hsm</c>: a SoftHSM2 token under DIR/hsm/ (softhsm2.conf, tokens/, the user PIN in
/// DIR/hsm/pin) holding the election's checkpoint/close signer, the issuers' root signers and the
/// trustees' wrapping keys, all generated inside it. The election directory then names them by
/// PKCS#11 URI (secrets/checkpoint.key, secrets/issuer-NN.key) and the trustees' share files are
/// wrapped by the token.
/// </summary>
internal sealed class DemoHsm
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string TokenLabel = "tvs-demo";

    private readonly Pkcs11Uri _base;

    private DemoHsm(string dir, Pkcs11Uri baseUri)
    {
        Directory = dir;
        _base = baseUri;
    }

    public string Directory { get; }

    public Pkcs11Uri Key(string label) => _base.WithObject(label);

    public static string TrusteeKeyLabel(int j) => $"trustee-{j:D2}-wrap";

    /// <summary>Creates DIR/hsm and its token; points this process's SoftHSM2 at it.</summary>
    public static DemoHsm Create(string root)
    {
        if (!File.Exists(Module))
        {
            throw new TokenException($"{Module} is missing: apt-get install softhsm2 (tvs demo --hsm runs on SoftHSM2)");
        }
        string dir = Path.Combine(root, "hsm");
        string tokens = Path.Combine(dir, "tokens");
        System.IO.Directory.CreateDirectory(tokens);
        string conf = Path.Combine(dir, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        string pin = RandomNumberGenerator.GetInt32(10_000_000, 100_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string so = RandomNumberGenerator.GetInt32(10_000_000, 100_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string pinFile = Path.Combine(dir, "pin");
        File.WriteAllText(pinFile, pin + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(pinFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Pkcs11Environment.Set("SOFTHSM2_CONF", conf);
        var psi = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--init-token", "--free", "--label", TokenLabel, "--so-pin", so, "--pin", pin }) psi.ArgumentList.Add(a);
        psi.Environment["SOFTHSM2_CONF"] = conf;
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new TokenException($"softhsm2-util could not create the token '{TokenLabel}' in {tokens}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new TokenException("softhsm2-util is missing: apt-get install softhsm2");
        }
        return new DemoHsm(dir, Pkcs11Uri.Create(TokenLabel, null, Module, "file:" + pinFile));
    }

    /// <summary>
    /// Generates every key in the token and rewrites the election directory to use them: the
    /// checkpoint signer always; the issuers (public keys into election.json, URIs into
    /// secrets/issuer-NN.key) when <paramref name="issuers"/> (no root is signed yet then);
    /// one AES wrapping key per trustee.
    /// </summary>
    public void Provision(string electionDir, bool issuers, int trustees)
    {
        using (var token = Pkcs11Token.Open(_base))
        {
            token.GenerateEd25519("checkpoint");
            if (issuers)
            {
                for (int i = 1; i <= ElectionSetup.DefaultIssuers; i++) token.GenerateEd25519(IssuerLabel(i));
            }
            for (int j = 1; j <= trustees; j++) token.GenerateAes256(TrusteeKeyLabel(j));
        }
        ElectionSetup.UseTokenCheckpointKey(electionDir, Key("checkpoint"));
        if (!issuers) return;
        string manifestPath = Path.Combine(electionDir, ElectionSetup.ManifestFile);
        var m = (JsonObject)JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var keys = new JsonArray();
        for (int i = 1; i <= ElectionSetup.DefaultIssuers; i++)
        {
            using var signer = Pkcs11Ed25519Signer.Open(Key(IssuerLabel(i)));
            keys.Add(Convert.ToHexStringLower(signer.PublicKey.Span));
            File.WriteAllText(Path.Combine(electionDir, ElectionSetup.SecretsDirectory, ElectionSetup.IssuerKeyFile(i)), Key(IssuerLabel(i)) + "\n");
        }
        ((JsonObject)m["issuers"]!)["keys"] = keys;
        string tmp = manifestPath + ".tmp";
        File.WriteAllText(tmp, m.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, manifestPath, overwrite: true);
    }

    private static string IssuerLabel(int i) => $"issuer-{i:D2}";

    /// <summary>An issuer key file, or a file holding the PKCS#11 URI of the issuer's key.</summary>
    public static IssuerKey LoadIssuerKey(string path, int index)
    {
        string text = File.ReadAllText(path).Trim();
        return Pkcs11Uri.LooksLikeUri(text) ? HsmCommands.OpenIssuerKey(text, index) : IssuerKey.FromFileText(text);
    }
}
