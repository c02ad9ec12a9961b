using System.Text.Json.Nodes;
using TVS.Merkle;

namespace TVS.Engine.Election;

/// <summary>
/// A credential issuer's Ed25519 signing key and its index in the election's issuer list. Key
/// file (secret, mode 0600): <c>{"version":1,"issuer":i,"privateKey":"&lt;32-byte seed, hex&gt;"}</c>,
/// or a key that never leaves a PKCS#11 token (<see cref="FromSigner"/>; no key file then).
/// </summary>
public sealed class IssuerKey : IDisposable
{
    private readonly IEd25519Signer _key;

    private IssuerKey(int issuer, IEd25519Signer key)
    {
        if (issuer is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(issuer), "issuer index 1..255");
        Issuer = issuer;
        _key = key;
        PublicKey = key.PublicKey.ToArray();
    }

    public int Issuer { get; }
    public byte[] PublicKey { get; }

    public static IssuerKey Generate(int issuer) => new(issuer, MemoryEd25519Signer.Generate());

    public static IssuerKey Import(int issuer, ReadOnlySpan<byte> seed) => new(issuer, MemoryEd25519Signer.FromSeed(seed));

    /// <summary>Issuer <paramref name="issuer"/> signing through <paramref name="signer"/> (e.g. a PKCS#11 token key); owns it.</summary>
    public static IssuerKey FromSigner(int issuer, IEd25519Signer signer) => new(issuer, signer ?? throw new ArgumentNullException(nameof(signer)));

    /// <summary>True when the key is in this process and so has a key file text.</summary>
    public bool HasKeyFile => _key is MemoryEd25519Signer;

    public RootEndorsement Sign(RootStatement statement)
        => new(statement, new IssuerSignature(Issuer, _key.Sign(statement.ToSignedBytes())));

    public string ToFileText()
    {
        if (_key is not MemoryEd25519Signer memory) throw new InvalidOperationException($"issuer {Issuer}'s key is held in a token and has no key file");
        var seed = memory.ExportSeed();
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
