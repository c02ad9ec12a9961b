using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>RFC 9180 §5.1 key schedule, base mode (mode 0x00, empty psk and psk_id).</summary>
internal static class KeySchedule
{
    internal const int ContextLength = 1 + 2 * Labeled.Nh;
    internal const int Nn = 12;
    internal const int Nt = 16;

    internal static int KeyLength(HpkeAead aead) => aead switch
    {
        HpkeAead.Aes128Gcm => 16,
        HpkeAead.Aes256Gcm => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(aead), "unsupported AEAD"),
    };

    internal static bool IsSupported(HpkeAead aead) => aead is HpkeAead.Aes128Gcm or HpkeAead.Aes256Gcm;

    /// <summary>key_schedule_context = mode ‖ psk_id_hash ‖ info_hash. Depends only on the suite and info, so it is cached per recipient.</summary>
    internal static void Context(HpkeAead aead, ReadOnlySpan<byte> info, Span<byte> context)
    {
        Span<byte> suiteId = stackalloc byte[Labeled.HpkeSuiteIdLength];
        Labeled.HpkeSuiteId(aead, suiteId);
        context[0] = 0x00;
        Labeled.Extract(suiteId, default, "psk_id_hash"u8, default, context.Slice(1, Labeled.Nh));
        Labeled.Extract(suiteId, default, "info_hash"u8, info, context.Slice(1 + Labeled.Nh, Labeled.Nh));
    }

    /// <summary>
    /// secret = LabeledExtract(shared_secret, "secret", ""), then key and base_nonce (and, when
    /// exporterSecret is not empty, exporter_secret) expanded over the context.
    /// </summary>
    internal static void Derive(HpkeAead aead, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> context, Span<byte> key, Span<byte> baseNonce, Span<byte> exporterSecret)
    {
        Span<byte> suiteId = stackalloc byte[Labeled.HpkeSuiteIdLength];
        Labeled.HpkeSuiteId(aead, suiteId);
        Span<byte> secret = stackalloc byte[Labeled.Nh];
        Labeled.Extract(suiteId, sharedSecret, "secret"u8, default, secret);
        Labeled.Expand(suiteId, secret, "key"u8, context, key[..KeyLength(aead)]);
        Labeled.Expand(suiteId, secret, "base_nonce"u8, context, baseNonce[..Nn]);
        if (!exporterSecret.IsEmpty)
        {
            Labeled.Expand(suiteId, secret, "exp"u8, context, exporterSecret[..Labeled.Nh]);
        }
        CryptographicOperations.ZeroMemory(secret);
    }

    /// <summary>The secret alone, for the test vectors.</summary>
    internal static void Secret(HpkeAead aead, ReadOnlySpan<byte> sharedSecret, Span<byte> secret)
    {
        Span<byte> suiteId = stackalloc byte[Labeled.HpkeSuiteIdLength];
        Labeled.HpkeSuiteId(aead, suiteId);
        Labeled.Extract(suiteId, sharedSecret, "secret"u8, default, secret);
    }

    /// <summary>Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L).</summary>
    internal static void Export(HpkeAead aead, ReadOnlySpan<byte> exporterSecret, ReadOnlySpan<byte> exporterContext, Span<byte> output)
    {
        Span<byte> suiteId = stackalloc byte[Labeled.HpkeSuiteIdLength];
        Labeled.HpkeSuiteId(aead, suiteId);
        Labeled.Expand(suiteId, exporterSecret, "sec"u8, exporterContext, output);
    }
}
