using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>
/// HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-GCM:
/// single-shot seal (sender) and open (recipient), and SetupBaseS for several messages.
/// </summary>
public static class HpkeBaseMode
{
    /// <summary>Length of enc, the encapsulated ephemeral public key (Nenc).</summary>
    public const int EncLength = 32;
    /// <summary>Length of a raw X25519 public key (Npk).</summary>
    public const int PublicKeyLength = 32;
    /// <summary>The AEAD tag appended to each ciphertext (Nt).</summary>
    public const int TagLength = 16;

    /// <summary>Ciphertext length for a plaintext length.</summary>
    public static int CiphertextLength(int plaintextLength) => plaintextLength + TagLength;

    /// <summary>
    /// Single-shot seal to <paramref name="recipientPublicKey"/> with a fresh ephemeral key from the
    /// OS CSPRNG. Writes 32 bytes to <paramref name="enc"/> and plaintext.Length + 16 bytes to
    /// <paramref name="ciphertext"/>. Throws on a malformed public key (sender-side input).
    /// </summary>
    public static void Seal(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> plaintext, Span<byte> enc, Span<byte> ciphertext)
    {
        Span<byte> skE = stackalloc byte[32];
        RandomNumberGenerator.Fill(skE);
        try
        {
            SealWithEphemeral(aead, recipientPublicKey, info, aad, plaintext, skE, enc, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(skE);
        }
    }

    /// <summary>Seals and returns enc ‖ ciphertext in one array (the TVS envelope body).</summary>
    public static byte[] SealEnvelope(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var envelope = new byte[EncLength + CiphertextLength(plaintext.Length)];
        Seal(aead, recipientPublicKey, info, aad, plaintext, envelope.AsSpan(0, EncLength), envelope.AsSpan(EncLength));
        return envelope;
    }

    /// <summary>Deterministic seal for tests: the ephemeral key pair is DeriveKeyPair(ikmE).</summary>
    internal static void SealDeterministic(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ikmE, Span<byte> enc, Span<byte> ciphertext)
    {
        Span<byte> skE = stackalloc byte[32];
        Span<byte> pkE = stackalloc byte[32];
        Dhkem.DeriveKeyPair(ikmE, skE, pkE);
        try
        {
            SealWithEphemeral(aead, recipientPublicKey, info, aad, plaintext, skE, enc, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(skE);
        }
    }

    /// <summary>
    /// Single-shot open with a raw private key (convenience; recomputes the info hash each call).
    /// The per-vote path is <see cref="HpkeRecipient.Open"/>.
    /// </summary>
    public static HpkeError Open(HpkeAead aead, HpkePrivateKey recipientKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> enc, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, out int bytesWritten)
        => new HpkeRecipient(recipientKey, aead, info).Open(enc, aad, ciphertext, plaintext, out bytesWritten);

    /// <summary>
    /// SetupBaseS: a sender context for several messages under one enc. With
    /// <paramref name="ikmE"/> empty the ephemeral key comes from the OS CSPRNG.
    /// </summary>
    public static HpkeSenderContext SetupSender(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, Span<byte> enc)
        => SetupSender(aead, recipientPublicKey, info, enc, default);

    internal static HpkeSenderContext SetupSender(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, Span<byte> enc, ReadOnlySpan<byte> ikmE)
    {
        CheckSender(aead, recipientPublicKey, enc);
        Span<byte> skE = stackalloc byte[32];
        Span<byte> pkE = stackalloc byte[32];
        if (ikmE.IsEmpty)
        {
            RandomNumberGenerator.Fill(skE);
            X25519.PublicFromPrivate(skE, pkE);
        }
        else
        {
            Dhkem.DeriveKeyPair(ikmE, skE, pkE);
        }
        Span<byte> sharedSecret = stackalloc byte[Dhkem.Nsecret];
        try
        {
            if (!Dhkem.TryEncap(recipientPublicKey, skE, pkE, sharedSecret, enc))
            {
                throw new CryptographicException("the recipient public key is a low-order point");
            }
            Span<byte> context = stackalloc byte[KeySchedule.ContextLength];
            KeySchedule.Context(aead, info, context);
            return new HpkeSenderContext(aead, sharedSecret, context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(skE);
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    private static void CheckSender(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, Span<byte> enc)
    {
        if (!KeySchedule.IsSupported(aead))
        {
            throw new ArgumentOutOfRangeException(nameof(aead), "unsupported AEAD");
        }
        if (recipientPublicKey.Length != PublicKeyLength)
        {
            throw new ArgumentException("an X25519 public key is 32 bytes", nameof(recipientPublicKey));
        }
        if (enc.Length < EncLength)
        {
            throw new ArgumentException("enc must hold 32 bytes", nameof(enc));
        }
    }

    private static void SealWithEphemeral(HpkeAead aead, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> info, ReadOnlySpan<byte> aad,
        ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> skE, Span<byte> enc, Span<byte> ciphertext)
    {
        CheckSender(aead, recipientPublicKey, enc);
        if (ciphertext.Length < CiphertextLength(plaintext.Length))
        {
            throw new ArgumentException("ciphertext must hold plaintext.Length + 16 bytes", nameof(ciphertext));
        }
        Span<byte> pkE = stackalloc byte[32];
        X25519.PublicFromPrivate(skE, pkE);
        Span<byte> sharedSecret = stackalloc byte[Dhkem.Nsecret];
        if (!Dhkem.TryEncap(recipientPublicKey, skE, pkE, sharedSecret, enc))
        {
            throw new CryptographicException("the recipient public key is a low-order point");
        }
        Span<byte> context = stackalloc byte[KeySchedule.ContextLength];
        KeySchedule.Context(aead, info, context);
        Span<byte> key = stackalloc byte[32];
        Span<byte> nonce = stackalloc byte[KeySchedule.Nn];
        KeySchedule.Derive(aead, sharedSecret, context, key, nonce, default);
        CryptographicOperations.ZeroMemory(sharedSecret);
        TVS.Crypto.Hpke.Aead.Seal(aead, key[..KeySchedule.KeyLength(aead)], nonce, aad, plaintext, ciphertext);
        CryptographicOperations.ZeroMemory(key);
    }

    internal static bool AeadOpen(HpkeAead aead, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
        => TVS.Crypto.Hpke.Aead.Open(aead, key, nonce, aad, ciphertext, plaintext);
}
