using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 and §7.1.3.</summary>
internal static class Dhkem
{
    internal const int Nsecret = 32;
    internal const int Nenc = 32;
    internal const int Npk = 32;
    internal const int Nsk = 32;

    /// <summary>DeriveKeyPair(ikm): sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", 32), pk = sk·B.</summary>
    internal static void DeriveKeyPair(ReadOnlySpan<byte> ikm, Span<byte> sk, Span<byte> pk)
    {
        Span<byte> prk = stackalloc byte[Labeled.Nh];
        Labeled.Extract(Labeled.KemSuiteId, default, "dkp_prk"u8, ikm, prk);
        Labeled.Expand(Labeled.KemSuiteId, prk, "sk"u8, default, sk[..Nsk]);
        CryptographicOperations.ZeroMemory(prk);
        X25519.PublicFromPrivate(sk[..Nsk], pk[..Npk]);
    }

    /// <summary>shared_secret = ExtractAndExpand(dh, enc ‖ pkRm).</summary>
    private static void ExtractAndExpand(ReadOnlySpan<byte> dh, ReadOnlySpan<byte> enc, ReadOnlySpan<byte> pkR, Span<byte> sharedSecret)
    {
        Span<byte> kemContext = stackalloc byte[Nenc + Npk];
        enc.CopyTo(kemContext);
        pkR.CopyTo(kemContext[Nenc..]);
        Span<byte> prk = stackalloc byte[Labeled.Nh];
        Labeled.Extract(Labeled.KemSuiteId, default, "eae_prk"u8, dh, prk);
        Labeled.Expand(Labeled.KemSuiteId, prk, "shared_secret"u8, kemContext, sharedSecret[..Nsecret]);
        CryptographicOperations.ZeroMemory(prk);
    }

    /// <summary>Encap with a given ephemeral key pair. False when pkR is a low-order point.</summary>
    internal static bool TryEncap(ReadOnlySpan<byte> pkR, ReadOnlySpan<byte> skE, ReadOnlySpan<byte> pkE, Span<byte> sharedSecret, Span<byte> enc)
    {
        Span<byte> dh = stackalloc byte[X25519.KeyLength];
        if (!X25519.TryDh(skE, pkR, dh))
        {
            return false;
        }
        pkE.CopyTo(enc);
        ExtractAndExpand(dh, pkE, pkR, sharedSecret);
        CryptographicOperations.ZeroMemory(dh);
        return true;
    }

    /// <summary>Decap. The caller checked enc's length; false when enc is a low-order point.</summary>
    internal static bool TryDecap(ReadOnlySpan<byte> enc, ReadOnlySpan<byte> skR, ReadOnlySpan<byte> pkR, Span<byte> sharedSecret)
    {
        Span<byte> dh = stackalloc byte[X25519.KeyLength];
        if (!X25519.TryDh(skR, enc, dh))
        {
            return false;
        }
        ExtractAndExpand(dh, enc, pkR, sharedSecret);
        CryptographicOperations.ZeroMemory(dh);
        return true;
    }
}
