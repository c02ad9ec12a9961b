namespace TVS.Crypto.Hpke;

/// <summary>
/// TVS's use of HPKE for the vote transport envelope (docs/formats.md, "HPKE envelope"):
/// suite X25519 / HKDF-SHA256 / AES-256-GCM, body = enc (32) ‖ ciphertext (plaintext + 16),
/// info = "TVS v1 vote envelope" ‖ election id (16 bytes, the UUID big-endian).
/// </summary>
public static class HpkeEnvelope
{
    public const HpkeAead Suite = HpkeAead.Aes256Gcm;

    /// <summary>The fixed prefix of info.</summary>
    public static ReadOnlySpan<byte> InfoPrefix => "TVS v1 vote envelope"u8;

    /// <summary>Length of info: 20 bytes of prefix + 16 of election id.</summary>
    public const int InfoLength = 20 + 16;

    /// <summary>Overhead of the envelope body over the plaintext: enc + tag = 48 bytes.</summary>
    public const int Overhead = HpkeBaseMode.EncLength + HpkeBaseMode.TagLength;

    /// <summary>Writes info for an election into <paramref name="destination"/> (≥ 36 bytes); returns 36.</summary>
    public static int WriteInfo(Guid electionId, Span<byte> destination)
    {
        if (destination.Length < InfoLength)
        {
            throw new ArgumentException("info needs 36 bytes", nameof(destination));
        }
        InfoPrefix.CopyTo(destination);
        if (!electionId.TryWriteBytes(destination[InfoPrefix.Length..], bigEndian: true, out _))
        {
            throw new InvalidOperationException("Guid.TryWriteBytes failed");
        }
        return InfoLength;
    }

    /// <summary>info for an election, as a new array.</summary>
    public static byte[] Info(Guid electionId)
    {
        var info = new byte[InfoLength];
        WriteInfo(electionId, info);
        return info;
    }

    /// <summary>The recipient (open side) for an election's ingest key.</summary>
    public static HpkeRecipient CreateRecipient(HpkePrivateKey ingestKey, Guid electionId)
    {
        Span<byte> info = stackalloc byte[InfoLength];
        WriteInfo(electionId, info);
        return new HpkeRecipient(ingestKey, Suite, info);
    }

    /// <summary>Seals a vote payload to an election's ingest public key: returns enc ‖ ciphertext.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> ingestPublicKey, Guid electionId, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> info = stackalloc byte[InfoLength];
        WriteInfo(electionId, info);
        return HpkeBaseMode.SealEnvelope(Suite, ingestPublicKey, info, aad, plaintext);
    }
}
