namespace TVS.Crypto.Hpke;

/// <summary>
/// The AEADs this HPKE supports (RFC 9180 §7.3 identifiers). The KEM is always
/// DHKEM(X25519, HKDF-SHA256) (0x0020) and the KDF HKDF-SHA256 (0x0001).
/// TVS seals with <see cref="Aes256Gcm"/>; <see cref="Aes128Gcm"/> exists so that
/// RFC 9180 Appendix A.1 checks the KEM, KDF and key schedule.
/// </summary>
public enum HpkeAead : ushort
{
    Aes128Gcm = 0x0001,
    Aes256Gcm = 0x0002,
}

/// <summary>Why an open failed. Open never throws on bad input: it returns one of these.</summary>
public enum HpkeError
{
    None = 0,
    /// <summary>enc is not 32 bytes.</summary>
    InvalidEncapsulationLength,
    /// <summary>enc is a low-order point: the X25519 output is all zeros (RFC 9180 §7.1.4).</summary>
    InvalidEncapsulation,
    /// <summary>The ciphertext is shorter than the 16-byte tag.</summary>
    CiphertextTooShort,
    /// <summary>The caller's plaintext span is shorter than ciphertext − 16.</summary>
    DestinationTooSmall,
    /// <summary>The tag does not verify: wrong key, wrong info/aad, or tampered enc/ciphertext.</summary>
    AuthenticationFailed,
    /// <summary>A context's sequence number is exhausted (2^96 − 1 messages; unreachable in practice).</summary>
    MessageLimitReached,
}
