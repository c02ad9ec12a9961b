using System.Buffers.Binary;
using System.Security.Cryptography;
using NSec.Cryptography;
using TVS.Crypto.Hpke;

namespace TVS.Crypto.Threshold;

/// <summary>
/// The published half of a trustee's long-term keys: an Ed25519 key that signs everything the
/// trustee publishes in the ceremony, and an X25519 key that dealers encrypt shares to (HPKE).
/// The self-signature covers both keys, the election and the index.
/// </summary>
public sealed record TrusteePublicKey(int Index, byte[] SigningKey, byte[] EncryptionKey, byte[] Signature)
{
    public bool Verify(Guid electionId) =>
        SigningKey.Length == 32 && EncryptionKey.Length == 32
        && Signatures.Verify(SigningKey, SignedBytes(electionId, Index, SigningKey, EncryptionKey), Signature);

    internal static byte[] SignedBytes(Guid electionId, int index, byte[] signingKey, byte[] encryptionKey)
    {
        var w = new TranscriptWriter("TVS v1 DKG trustee key", electionId);
        w.U16(index);
        w.Raw(signingKey);
        w.Raw(encryptionKey);
        return w.ToArray();
    }

    /// <summary>Short fingerprint people read aloud to check they hold the same public file: SHA-256 of the signed bytes, first 16 bytes, hex.</summary>
    public string Fingerprint(Guid electionId) =>
        Convert.ToHexStringLower(SHA256.HashData(SignedBytes(electionId, Index, SigningKey, EncryptionKey)).AsSpan(0, 16));
}

/// <summary>A trustee's long-term secret keys (kept in its key file, encrypted at rest).</summary>
public sealed class TrusteeIdentity : IDisposable
{
    internal const int ExportLength = 2 + 32 + 32;

    private readonly Key _signing;
    private readonly HpkePrivateKey _encryption;

    public int Index { get; }
    public Guid ElectionId { get; }
    public TrusteePublicKey Public { get; }

    private TrusteeIdentity(Guid electionId, int index, Key signing, HpkePrivateKey encryption)
    {
        ElectionId = electionId;
        Index = index;
        _signing = signing;
        _encryption = encryption;
        var spk = signing.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var epk = encryption.PublicKey.ToArray();
        Public = new TrusteePublicKey(index, spk, epk, Sign(TrusteePublicKey.SignedBytes(electionId, index, spk, epk)));
    }

    public static TrusteeIdentity Generate(Guid electionId, int index)
    {
        DkgParameters.CheckIndex(index);
        var signing = Key.Create(SignatureAlgorithm.Ed25519, Signatures.Exportable);
        return new TrusteeIdentity(electionId, index, signing, HpkePrivateKey.Generate());
    }

    internal HpkePrivateKey EncryptionKey => _encryption;

    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_signing, data);

    /// <summary>index (u16 BE) ‖ Ed25519 seed ‖ X25519 private key: the plaintext of the key file. The caller zeroes it.</summary>
    internal byte[] ExportSecret()
    {
        var b = new byte[ExportLength];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)Index);
        var seed = _signing.Export(KeyBlobFormat.RawPrivateKey);
        seed.CopyTo(b, 2);
        CryptographicOperations.ZeroMemory(seed);
        _encryption.ExportPrivateKey(b.AsSpan(34));
        return b;
    }

    internal static TrusteeIdentity ImportSecret(Guid electionId, ReadOnlySpan<byte> secret)
    {
        if (secret.Length != ExportLength) throw new CryptographicException("trustee key material has the wrong length");
        int index = BinaryPrimitives.ReadUInt16BigEndian(secret);
        var signing = Key.Import(SignatureAlgorithm.Ed25519, secret.Slice(2, 32), KeyBlobFormat.RawPrivateKey, Signatures.Exportable);
        return new TrusteeIdentity(electionId, index, signing, HpkePrivateKey.Import(secret.Slice(34, 32)));
    }

    public void Dispose()
    {
        _signing.Dispose();
        _encryption.Dispose();
    }

    public override string ToString() => $"TrusteeIdentity({Index})";
}

internal static class Signatures
{
    internal static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    internal static bool Verify(byte[] publicKey, ReadOnlySpan<byte> data, byte[]? signature)
    {
        if (signature is null || signature.Length != 64) return false;
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var pk) || pk is null) return false;
        return SignatureAlgorithm.Ed25519.Verify(pk, data, signature);
    }
}

/// <summary>The byte strings that ceremony signatures cover: a domain label, the election id, then fixed-width fields.</summary>
internal sealed class TranscriptWriter
{
    private readonly MemoryStream _s = new();

    public TranscriptWriter(string domain, Guid electionId)
    {
        var d = System.Text.Encoding.ASCII.GetBytes(domain);
        U16(d.Length);
        Raw(d);
        Span<byte> g = stackalloc byte[16];
        BallotCipher.WriteGuid(electionId, g);
        _s.Write(g);
    }

    public void U16(int v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, checked((ushort)v));
        _s.Write(b);
    }

    public void U32(int v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, checked((uint)v));
        _s.Write(b);
    }

    public void Raw(ReadOnlySpan<byte> bytes) => _s.Write(bytes);

    /// <summary>A variable-length field: u32 length, then the bytes.</summary>
    public void Var(ReadOnlySpan<byte> bytes)
    {
        U32(bytes.Length);
        _s.Write(bytes);
    }

    public byte[] ToArray() => _s.ToArray();
}
