using NSec.Cryptography;

namespace TVS.Merkle;

/// <summary>
/// Where an Ed25519 private key lives and signs: a key in this process's memory
/// (<see cref="MemoryEd25519Signer"/>, the key-file default) or a key that never leaves a hardware
/// token (TVS.Pkcs11's <c>Pkcs11Ed25519Signer</c>). Pure Ed25519 (RFC 8032), so a signature is
/// the same bytes whichever side made it and verifies with any Ed25519 verifier. Implementations
/// are safe to call from several threads.
/// </summary>
public interface IEd25519Signer : IDisposable
{
    /// <summary>The raw 32-byte public key.</summary>
    ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The 64-byte signature of <paramref name="message"/>.</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}

/// <summary>An Ed25519 key held by NSec in this process (read from or written to a key file).</summary>
public sealed class MemoryEd25519Signer : IEd25519Signer
{
    private readonly Key _key;

    private MemoryEd25519Signer(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>A fresh random key.</summary>
    public static MemoryEd25519Signer Generate() => new(Key.Create(SignatureAlgorithm.Ed25519, Exportable));

    /// <summary>The key of a 32-byte seed.</summary>
    public static MemoryEd25519Signer FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }
        return new(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, Exportable));
    }

    /// <summary>The 32-byte seed (the caller zeroes it).</summary>
    public byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    /// <inheritdoc/>
    public byte[] Sign(ReadOnlySpan<byte> message) => SignatureAlgorithm.Ed25519.Sign(_key, message);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    private static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
}
