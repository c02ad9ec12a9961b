using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>
/// An X25519 HPKE private key (the election's ingest key) and its public key. The 32 private
/// bytes live in a pinned array that <see cref="Dispose"/> zeroes; <see cref="ToString"/> never
/// shows them. Serialization is the raw 32 bytes both ways (RFC 9180 §7.1.2 SerializePrivateKey).
/// </summary>
public sealed class HpkePrivateKey : IDisposable
{
    public const int Length = 32;

    private readonly byte[] _sk = GC.AllocateArray<byte>(Length, pinned: true);
    private readonly byte[] _pk = new byte[HpkePublicKeyLength];
    private bool _disposed;

    private const int HpkePublicKeyLength = 32;

    private HpkePrivateKey() { }

    /// <summary>A fresh key from the OS CSPRNG.</summary>
    public static HpkePrivateKey Generate()
    {
        var key = new HpkePrivateKey();
        RandomNumberGenerator.Fill(key._sk);
        X25519.PublicFromPrivate(key._sk, key._pk);
        return key;
    }

    /// <summary>DeriveKeyPair(ikm), RFC 9180 §7.1.3 (deterministic; ikm should hold ≥ 32 bytes of entropy).</summary>
    public static HpkePrivateKey Derive(ReadOnlySpan<byte> ikm)
    {
        var key = new HpkePrivateKey();
        Dhkem.DeriveKeyPair(ikm, key._sk, key._pk);
        return key;
    }

    /// <summary>Imports a raw 32-byte private key (DeserializePrivateKey).</summary>
    public static HpkePrivateKey Import(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != Length)
        {
            throw new ArgumentException("an X25519 private key is 32 bytes", nameof(privateKey));
        }
        var key = new HpkePrivateKey();
        privateKey.CopyTo(key._sk);
        X25519.PublicFromPrivate(key._sk, key._pk);
        return key;
    }

    /// <summary>The raw 32-byte public key (pkRm), safe to publish.</summary>
    public ReadOnlySpan<byte> PublicKey => _pk;

    /// <summary>Writes the raw 32-byte private key (SerializePrivateKey). The caller owns zeroing it.</summary>
    public void ExportPrivateKey(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < Length)
        {
            throw new ArgumentException("destination must hold 32 bytes", nameof(destination));
        }
        _sk.CopyTo(destination);
    }

    internal ReadOnlySpan<byte> Secret
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _sk;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_sk);
        _disposed = true;
    }

    public override string ToString() => $"HpkePrivateKey(X25519, pk={Convert.ToHexStringLower(_pk)})";
}
