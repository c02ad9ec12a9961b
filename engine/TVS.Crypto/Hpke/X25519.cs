using System.Security.Cryptography;
using TVS.Crypto.Native;

namespace TVS.Crypto.Hpke;

/// <summary>X25519 through libsodium (RFC 7748), with RFC 9180 §7.1.4's all-zero output check.</summary>
internal static unsafe class X25519
{
    internal const int KeyLength = 32;

    /// <summary>pk = sk·B. Clamping happens inside X25519, so any 32 bytes are a valid private key.</summary>
    internal static void PublicFromPrivate(ReadOnlySpan<byte> sk, Span<byte> pk)
    {
        if (sk.Length != KeyLength || pk.Length != KeyLength)
        {
            throw new ArgumentException("X25519 keys are 32 bytes");
        }
        Sodium.EnsureInitialized();
        fixed (byte* s = sk)
        fixed (byte* p = pk)
        {
            if (Sodium.crypto_scalarmult_curve25519_base(p, s) != 0)
            {
                throw new CryptographicException("X25519 base multiplication failed");
            }
        }
    }

    /// <summary>
    /// dh = sk·pk. Returns false (and a zeroed dh) when the output is all zeros, i.e. pk is of low
    /// order; libsodium already returns -1 then, and the explicit check keeps that independent of
    /// the library's build options.
    /// </summary>
    internal static bool TryDh(ReadOnlySpan<byte> sk, ReadOnlySpan<byte> pk, Span<byte> dh)
    {
        Sodium.EnsureInitialized();
        int rc;
        fixed (byte* s = sk)
        fixed (byte* p = pk)
        fixed (byte* q = dh)
        {
            rc = Sodium.crypto_scalarmult_curve25519(q, s, p);
        }
        // Constant-time OR of the output bytes.
        int acc = 0;
        for (int i = 0; i < KeyLength; i++)
        {
            acc |= dh[i];
        }
        if (rc != 0 || acc == 0)
        {
            CryptographicOperations.ZeroMemory(dh);
            return false;
        }
        return true;
    }
}
