using System.Security.Cryptography;
using TVS.Crypto.Native;

namespace TVS.Crypto.Hpke;

/// <summary>
/// AES-GCM for HPKE. AES-256-GCM goes through libsodium when the CPU supports it (no managed
/// allocation and no exception on a bad tag: the per-vote open path); otherwise, and for
/// AES-128-GCM, through <see cref="AesGcm"/>, which allocates a managed object and an OpenSSL
/// cipher context per key (see docs/PERFORMANCE.md, "HPKE").
/// </summary>
internal static unsafe class Aead
{
    /// <summary>Whether AES-256-GCM uses libsodium. Tests flip it to compare the two paths.</summary>
    internal static bool UseSodiumAes256 { get; set; } = DetectSodiumAes256();

    private static bool DetectSodiumAes256()
    {
        try
        {
            Sodium.EnsureInitialized();
            return Sodium.crypto_aead_aes256gcm_is_available() == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    internal static void Seal(HpkeAead aead, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Span<byte> body = ciphertext[..plaintext.Length];
        Span<byte> tag = ciphertext.Slice(plaintext.Length, KeySchedule.Nt);
        if (aead == HpkeAead.Aes256Gcm && UseSodiumAes256)
        {
            fixed (byte* c = body)
            fixed (byte* mac = tag)
            fixed (byte* m = plaintext)
            fixed (byte* ad = aad)
            fixed (byte* npub = nonce)
            fixed (byte* k = key)
            {
                ulong macLen;
                if (Sodium.crypto_aead_aes256gcm_encrypt_detached(c, mac, &macLen, m, (ulong)plaintext.Length, ad, (ulong)aad.Length, null, npub, k) != 0)
                {
                    throw new CryptographicException("AES-256-GCM encryption failed");
                }
            }
            return;
        }
        using var gcm = new AesGcm(key, KeySchedule.Nt);
        gcm.Encrypt(nonce, plaintext, body, tag, aad);
    }

    /// <summary>Decrypts ciphertext (body ‖ tag) into plaintext; false on a bad tag (plaintext is then zeroed).</summary>
    internal static bool Open(HpkeAead aead, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        int n = ciphertext.Length - KeySchedule.Nt;
        ReadOnlySpan<byte> body = ciphertext[..n];
        ReadOnlySpan<byte> tag = ciphertext[n..];
        Span<byte> output = plaintext[..n];
        if (aead == HpkeAead.Aes256Gcm && UseSodiumAes256)
        {
            int rc;
            fixed (byte* m = output)
            fixed (byte* c = body)
            fixed (byte* mac = tag)
            fixed (byte* ad = aad)
            fixed (byte* npub = nonce)
            fixed (byte* k = key)
            {
                rc = Sodium.crypto_aead_aes256gcm_decrypt_detached(m, null, c, (ulong)n, mac, ad, (ulong)aad.Length, npub, k);
            }
            if (rc != 0)
            {
                CryptographicOperations.ZeroMemory(output);
                return false;
            }
            return true;
        }
        using var gcm = new AesGcm(key, KeySchedule.Nt);
        try
        {
            gcm.Decrypt(nonce, body, tag, output, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(output);
            return false;
        }
    }
}
