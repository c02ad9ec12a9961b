using System.Buffers.Binary;
using System.Security.Cryptography;
using NSec.Cryptography;
using TVS.Crypto.Hpke;

namespace TVS.Crypto.Threshold;

/// <summary>What a key file holds.</summary>
public enum KeyFileKind : byte
{
    /// <summary>The trustee's long-term Ed25519 + X25519 keys (written by keygen).</summary>
    TrusteeIdentity = 1,
    /// <summary>The dealer's polynomial, kept only until finalize, to answer complaints.</summary>
    DealerPolynomial = 2,
    /// <summary>The trustee's share s_j of the election key (written by finalize).</summary>
    ElectionKeyShare = 3,
}

/// <summary>Argon2id cost. Defaults are libsodium's "moderate" (256 MiB, 3 passes): about a second per unlock, and a trustee unlocks a handful of times per election.</summary>
public readonly record struct Argon2Cost(int MemoryKiB, int Passes)
{
    public static Argon2Cost Moderate => new(256 * 1024, 3);

    /// <summary>Upper bounds accepted when reading a file, so a forged header cannot make the reader allocate without limit.</summary>
    public const int MaxMemoryKiB = 4 * 1024 * 1024, MaxPasses = 64;
}

public sealed class WrongPassphraseException() : CryptographicException("wrong passphrase, or the key file is corrupted");

/// <summary>
/// A key outside this process that seals and opens secrets (authenticated encryption with
/// additional data), e.g. an AES key inside a PKCS#11 token (TVS.Pkcs11's <c>Pkcs11Wrapper</c>).
/// The trustees' ristretto255 secrets, which no PKCS#11 mechanism computes with, are kept
/// sealed by it instead of by a passphrase.
/// </summary>
public interface ISecretSealer
{
    /// <summary>The key's name (a token object label), written into wrapped files so a reader knows which key opens them.</summary>
    string Name { get; }

    /// <summary>Seals <paramref name="plaintext"/> bound to <paramref name="aad"/>.</summary>
    byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad);

    /// <summary>Opens what <see cref="Seal"/> made (the caller zeroes the result); throws when it does not authenticate.</summary>
    byte[] Open(ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> aad);
}

/// <summary>
/// A secret encrypted at rest under a passphrase (docs/formats.md, "Trustee key files"):
/// <code>
/// "TVSKEY\0\x01" (8) ‖ kind (1) ‖ memory KiB (u32 BE) ‖ passes (u32 BE) ‖ parallelism (u32 BE, = 1)
/// ‖ salt (16) ‖ nonce (12) ‖ AES-256-GCM(election id (16) ‖ body) ‖ tag (16)
/// key = Argon2id(passphrase UTF-8, salt, memory, passes, parallelism 1) → 32 bytes
/// aad = the 49 header bytes
/// </code>
/// </summary>
public static class KeyFile
{
    public static ReadOnlySpan<byte> Magic => "TVSKEY\0\x01"u8;

    /// <summary>Magic of a key file sealed by an <see cref="ISecretSealer"/> (a token key) instead of a passphrase.</summary>
    public static ReadOnlySpan<byte> WrappedMagic => "TVSKEY\0\x02"u8;

    /// <summary>True when <paramref name="file"/> is sealed by a token key rather than a passphrase.</summary>
    public static bool IsWrapped(ReadOnlySpan<byte> file) => file.Length >= 8 && file[..8].SequenceEqual(WrappedMagic);

    /// <summary>
    /// <c>"TVSKEY\0\x02" (8) ‖ kind (1) ‖ label length (1) ‖ label (UTF-8) ‖ sealed(election id (16) ‖ body)</c>,
    /// the sealer's additional data being every byte before the sealed part.
    /// </summary>
    public static byte[] SealWrapped(KeyFileKind kind, Guid electionId, ReadOnlySpan<byte> body, ISecretSealer sealer)
    {
        ArgumentNullException.ThrowIfNull(sealer);
        byte[] label = System.Text.Encoding.UTF8.GetBytes(sealer.Name);
        if (label.Length is 0 or > 255) throw new ArgumentException("the sealing key's name must be 1..255 bytes", nameof(sealer));
        var header = new byte[10 + label.Length];
        WrappedMagic.CopyTo(header);
        header[8] = (byte)kind;
        header[9] = (byte)label.Length;
        label.CopyTo(header, 10);
        var plain = new byte[16 + body.Length];
        try
        {
            BallotCipher.WriteGuid(electionId, plain);
            body.CopyTo(plain.AsSpan(16));
            return [.. header, .. sealer.Seal(plain, header)];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The name of the key that sealed a wrapped file (to say which token key is needed).</summary>
    public static string WrappedKeyName(ReadOnlySpan<byte> file)
    {
        if (!IsWrapped(file) || file.Length < 10 || file.Length < 10 + file[9]) throw new CryptographicException("not a wrapped TVS key file");
        return System.Text.Encoding.UTF8.GetString(file.Slice(10, file[9]));
    }

    /// <summary>
    /// Opens a key file of either form: a passphrase file with <paramref name="passphrase"/>, a
    /// wrapped file with <paramref name="sealer"/>; a clear error when the needed one is missing.
    /// </summary>
    public static byte[] Open(ReadOnlySpan<byte> file, KeyFileKind kind, Guid electionId, ReadOnlySpan<byte> passphrase, ISecretSealer? sealer)
    {
        if (!IsWrapped(file))
        {
            if (passphrase.IsEmpty) throw new CryptographicException("this key file is sealed by a passphrase; give --passphrase-file (or the passphrase variable)");
            return Open(file, kind, electionId, passphrase);
        }
        string name = WrappedKeyName(file);
        if (sealer is null) throw new CryptographicException($"this key file is sealed by the token key '{name}'; give --key-uri naming it");
        if (file[8] != (byte)kind) throw new CryptographicException($"this key file holds {(KeyFileKind)file[8]}, not {kind}");
        int headerLength = 10 + file[9];
        byte[] plain = sealer.Open(file[headerLength..], file[..headerLength]);
        Span<byte> id = stackalloc byte[16];
        BallotCipher.WriteGuid(electionId, id);
        if (plain.Length < 16 || !plain.AsSpan(0, 16).SequenceEqual(id))
        {
            CryptographicOperations.ZeroMemory(plain);
            throw new CryptographicException("this key file belongs to another election");
        }
        var body = plain[16..];
        CryptographicOperations.ZeroMemory(plain);
        return body;
    }

    public const int HeaderLength = 8 + 1 + 4 + 4 + 4 + 16 + 12;

    /// <summary>The cost new files get. Tests lower it; production leaves it.</summary>
    public static Argon2Cost DefaultCost { get; set; } = Argon2Cost.Moderate;

    public static byte[] Seal(KeyFileKind kind, Guid electionId, ReadOnlySpan<byte> body, ReadOnlySpan<byte> passphrase, Argon2Cost? cost = null)
    {
        var c = cost ?? DefaultCost;
        if (passphrase.IsEmpty) throw new ArgumentException("empty passphrase", nameof(passphrase));
        var file = new byte[HeaderLength + 16 + body.Length + 16];
        Magic.CopyTo(file);
        file[8] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(9), (uint)c.MemoryKiB);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(13), (uint)c.Passes);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(17), 1);
        RandomNumberGenerator.Fill(file.AsSpan(21, 16 + 12));
        var plain = new byte[16 + body.Length];
        BallotCipher.WriteGuid(electionId, plain);
        body.CopyTo(plain.AsSpan(16));
        Span<byte> key = stackalloc byte[32];
        try
        {
            DeriveKey(passphrase, file.AsSpan(21, 16), c, key);
            Aead.Seal(HpkeAead.Aes256Gcm, key, file.AsSpan(37, 12), file.AsSpan(0, HeaderLength), plain, file.AsSpan(HeaderLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plain);
        }
        return file;
    }

    /// <summary>Returns the body (the caller zeroes it). Throws <see cref="WrongPassphraseException"/> on a bad tag,
    /// <see cref="CryptographicException"/> on a file that is not a key file of this kind and election.</summary>
    public static byte[] Open(ReadOnlySpan<byte> file, KeyFileKind kind, Guid electionId, ReadOnlySpan<byte> passphrase)
    {
        if (file.Length < HeaderLength + 32 || !file[..8].SequenceEqual(Magic)) throw new CryptographicException("not a TVS key file");
        if (file[8] != (byte)kind) throw new CryptographicException($"this key file holds {(KeyFileKind)file[8]}, not {kind}");
        uint mem = BinaryPrimitives.ReadUInt32BigEndian(file[9..]), passes = BinaryPrimitives.ReadUInt32BigEndian(file[13..]), par = BinaryPrimitives.ReadUInt32BigEndian(file[17..]);
        if (par != 1 || mem < 8 || mem > Argon2Cost.MaxMemoryKiB || passes < 1 || passes > Argon2Cost.MaxPasses) throw new CryptographicException("key file has unsupported Argon2id parameters");
        var plain = new byte[file.Length - HeaderLength - 16];
        Span<byte> key = stackalloc byte[32];
        try
        {
            DeriveKey(passphrase, file.Slice(21, 16), new Argon2Cost((int)mem, (int)passes), key);
            if (!Aead.Open(HpkeAead.Aes256Gcm, key, file.Slice(37, 12), file[..HeaderLength], file[HeaderLength..], plain)) throw new WrongPassphraseException();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
        Span<byte> id = stackalloc byte[16];
        BallotCipher.WriteGuid(electionId, id);
        if (!plain.AsSpan(0, 16).SequenceEqual(id))
        {
            CryptographicOperations.ZeroMemory(plain);
            throw new CryptographicException("this key file belongs to another election");
        }
        var body = plain[16..];
        CryptographicOperations.ZeroMemory(plain);
        return body;
    }

    private static void DeriveKey(ReadOnlySpan<byte> passphrase, ReadOnlySpan<byte> salt, Argon2Cost cost, Span<byte> key)
    {
        var p = new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = cost.MemoryKiB, NumberOfPasses = cost.Passes };
        PasswordBasedKeyDerivationAlgorithm.Argon2id(p).DeriveBytes(passphrase, salt, key);
    }

    // Typed wrappers for the three kinds.

    public static byte[] SealIdentity(TrusteeIdentity id, ReadOnlySpan<byte> passphrase)
    {
        var b = id.ExportSecret();
        try { return Seal(KeyFileKind.TrusteeIdentity, id.ElectionId, b, passphrase); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    public static byte[] SealIdentity(TrusteeIdentity id, ISecretSealer sealer)
    {
        var b = id.ExportSecret();
        try { return SealWrapped(KeyFileKind.TrusteeIdentity, id.ElectionId, b, sealer); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    public static TrusteeIdentity OpenIdentity(ReadOnlySpan<byte> file, Guid electionId, ReadOnlySpan<byte> passphrase) => OpenIdentity(file, electionId, passphrase, null);

    public static TrusteeIdentity OpenIdentity(ReadOnlySpan<byte> file, Guid electionId, ReadOnlySpan<byte> passphrase, ISecretSealer? sealer)
    {
        var b = Open(file, KeyFileKind.TrusteeIdentity, electionId, passphrase, sealer);
        try { return TrusteeIdentity.ImportSecret(electionId, b); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    public static byte[] SealPolynomial(DealerSecret secret, Guid electionId, ReadOnlySpan<byte> passphrase)
    {
        var b = secret.ExportSecret();
        try { return Seal(KeyFileKind.DealerPolynomial, electionId, b, passphrase); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    public static byte[] SealPolynomial(DealerSecret secret, Guid electionId, ISecretSealer sealer)
    {
        var b = secret.ExportSecret();
        try { return SealWrapped(KeyFileKind.DealerPolynomial, electionId, b, sealer); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    public static DealerSecret OpenPolynomial(ReadOnlySpan<byte> file, Guid electionId, ReadOnlySpan<byte> passphrase) => OpenPolynomial(file, electionId, passphrase, null);

    public static DealerSecret OpenPolynomial(ReadOnlySpan<byte> file, Guid electionId, ReadOnlySpan<byte> passphrase, ISecretSealer? sealer)
    {
        var b = Open(file, KeyFileKind.DealerPolynomial, electionId, passphrase, sealer);
        try { return DealerSecret.ImportSecret(b); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    /// <summary>Body: index (u16 BE) ‖ s_j (32).</summary>
    public static byte[] SealShare(int index, in Ristretto.RistrettoScalar share, Guid electionId, ReadOnlySpan<byte> passphrase)
    {
        var b = new byte[34];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)index);
        share.Encode(b.AsSpan(2));
        try { return Seal(KeyFileKind.ElectionKeyShare, electionId, b, passphrase); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    /// <summary>The share sealed by a token key (the DKG writes only this form when a token is configured).</summary>
    public static byte[] SealShare(int index, in Ristretto.RistrettoScalar share, Guid electionId, ISecretSealer sealer)
    {
        var b = new byte[34];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)index);
        share.Encode(b.AsSpan(2));
        try { return SealWrapped(KeyFileKind.ElectionKeyShare, electionId, b, sealer); }
        finally { CryptographicOperations.ZeroMemory(b); }
    }

    public static (int Index, Ristretto.RistrettoScalar Share) OpenShare(ReadOnlySpan<byte> file, Guid electionId, ReadOnlySpan<byte> passphrase) => OpenShare(file, electionId, passphrase, null);

    public static (int Index, Ristretto.RistrettoScalar Share) OpenShare(ReadOnlySpan<byte> file, Guid electionId, ReadOnlySpan<byte> passphrase, ISecretSealer? sealer)
    {
        var b = Open(file, KeyFileKind.ElectionKeyShare, electionId, passphrase, sealer);
        try
        {
            if (b.Length != 34 || !Ristretto.RistrettoScalar.TryDecode(b.AsSpan(2), out var s)) throw new CryptographicException("share file body is malformed");
            return (BinaryPrimitives.ReadUInt16BigEndian(b), s);
        }
        finally { CryptographicOperations.ZeroMemory(b); }
    }
}
