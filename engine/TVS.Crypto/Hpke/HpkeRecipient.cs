using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>
/// The receiving side of single-shot HPKE base mode for one (private key, AEAD, info): the
/// per-vote open path. The info-dependent half of the key schedule (key_schedule_context) is
/// computed once here, so <see cref="Open"/> costs one X25519 and five HMAC-SHA256 calls plus
/// the AEAD. <see cref="Open"/> allocates nothing on the managed heap (AES-256-GCM through
/// libsodium), never throws on bad input, and is safe to call from several threads at once.
/// The private key is borrowed, not owned: dispose it yourself after the recipient is done.
/// </summary>
public sealed class HpkeRecipient
{
    private readonly HpkePrivateKey _key;
    private readonly HpkeAead _aead;
    private readonly byte[] _context = new byte[KeySchedule.ContextLength];

    public HpkeRecipient(HpkePrivateKey key, HpkeAead aead, ReadOnlySpan<byte> info)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!KeySchedule.IsSupported(aead))
        {
            throw new ArgumentOutOfRangeException(nameof(aead), "unsupported AEAD");
        }
        _key = key;
        _aead = aead;
        KeySchedule.Context(aead, info, _context);
    }

    public HpkeAead Aead => _aead;

    /// <summary>The recipient's public key (pkRm).</summary>
    public ReadOnlySpan<byte> PublicKey => _key.PublicKey;

    /// <summary>
    /// Opens a single-shot message (sequence 0): <paramref name="enc"/> is the 32-byte
    /// encapsulated key, <paramref name="ciphertext"/> is body ‖ 16-byte tag. On success
    /// <paramref name="bytesWritten"/> = ciphertext.Length − 16 bytes of <paramref name="plaintext"/>
    /// hold the message; on failure nothing readable is left there. <paramref name="plaintext"/>
    /// must not overlap the inputs.
    /// </summary>
    public HpkeError Open(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, out int bytesWritten)
    {
        bytesWritten = 0;
        if (enc.Length != Dhkem.Nenc)
        {
            return HpkeError.InvalidEncapsulationLength;
        }
        if (ciphertext.Length < KeySchedule.Nt)
        {
            return HpkeError.CiphertextTooShort;
        }
        int n = ciphertext.Length - KeySchedule.Nt;
        if (plaintext.Length < n)
        {
            return HpkeError.DestinationTooSmall;
        }

        Span<byte> sharedSecret = stackalloc byte[Dhkem.Nsecret];
        if (!Dhkem.TryDecap(enc, _key.Secret, _key.PublicKey, sharedSecret))
        {
            return HpkeError.InvalidEncapsulation;
        }
        Span<byte> key = stackalloc byte[32];
        Span<byte> nonce = stackalloc byte[KeySchedule.Nn];
        KeySchedule.Derive(_aead, sharedSecret, _context, key, nonce, default);
        CryptographicOperations.ZeroMemory(sharedSecret);
        bool ok = HpkeBaseMode.AeadOpen(_aead, key[..KeySchedule.KeyLength(_aead)], nonce, aad, ciphertext, plaintext);
        CryptographicOperations.ZeroMemory(key);
        if (!ok)
        {
            return HpkeError.AuthenticationFailed;
        }
        bytesWritten = n;
        return HpkeError.None;
    }

    /// <summary>Opens enc ‖ ciphertext laid out back to back (the TVS envelope body, docs/formats.md).</summary>
    public HpkeError OpenEnvelope(ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> aad, Span<byte> plaintext, out int bytesWritten)
    {
        if (envelope.Length < Dhkem.Nenc)
        {
            bytesWritten = 0;
            return HpkeError.InvalidEncapsulationLength;
        }
        return Open(envelope[..Dhkem.Nenc], aad, envelope[Dhkem.Nenc..], plaintext, out bytesWritten);
    }

    /// <summary>SetupBaseR: a context for several messages under one enc (sequence numbers 0, 1, …). Null when enc is invalid.</summary>
    public HpkeRecipientContext? SetupContext(ReadOnlySpan<byte> enc)
    {
        if (enc.Length != Dhkem.Nenc)
        {
            return null;
        }
        Span<byte> sharedSecret = stackalloc byte[Dhkem.Nsecret];
        if (!Dhkem.TryDecap(enc, _key.Secret, _key.PublicKey, sharedSecret))
        {
            return null;
        }
        var ctx = new HpkeRecipientContext(_aead, sharedSecret, _context);
        CryptographicOperations.ZeroMemory(sharedSecret);
        return ctx;
    }
}
