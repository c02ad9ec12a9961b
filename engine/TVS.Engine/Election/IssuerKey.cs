using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace TVS.Engine.Election;

/// <summary>
/// A credential issuer's Ed25519 signing key and its index in the election's issuer list. Key
/// file (secret, mode 0600): <c>{"version":1,"issuer":i,"privateKey":"&lt;32-byte seed, hex&gt;"}</c>.
/// </summary>
public sealed class IssuerKey : IDisposable
{
    private readonly Key _key;

    private IssuerKey(int issuer, Key key)
    {
        if (issuer is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(issuer), "issuer index 1..255");
        Issuer = issuer;
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public int Issuer { get; }
    public byte[] PublicKey { get; }

    public static IssuerKey Generate(int issuer)
        => new(issuer, Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public static IssuerKey Import(int issuer, ReadOnlySpan<byte> seed)
        => new(issuer, Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public RootEndorsement Sign(RootStatement statement)
        => new(statement, new IssuerSignature(Issuer, SignatureAlgorithm.Ed25519.Sign(_key, statement.ToSignedBytes())));

    public string ToFileText()
    {
        var seed = _key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            return new JsonObject { ["version"] = 1, ["issuer"] = Issuer, ["privateKey"] = Convert.ToHexStringLower(seed) }.ToJsonString() + "\n";
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }

    public static IssuerKey FromFileText(string text)
    {
        var o = RootJson.Object(text, ["version", "issuer", "privateKey"]);
        if ((int?)o["version"] != 1) throw new FormatException("issuer key: unknown version");
        int issuer = (int?)o["issuer"] ?? throw new FormatException("issuer key: no index");
        var seed = Convert.FromHexString((string?)o["privateKey"] ?? throw new FormatException("issuer key: no privateKey"));
        try
        {
            if (seed.Length != 32) throw new FormatException("issuer key: the private key is a 32-byte seed");
            return Import(issuer, seed);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }

    public static IssuerKey Load(string path) => FromFileText(File.ReadAllText(path));

    public void Dispose() => _key.Dispose();
}
