using System.Runtime.InteropServices;

namespace TVS.Crypto.Native;

internal static unsafe partial class Sodium
{
    /// <summary>1 when the CPU has the instructions libsodium's AES-256-GCM needs (AES-NI + PCLMUL, or ARM crypto).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_aead_aes256gcm_is_available();

    [LibraryImport(Library)]
    internal static partial int crypto_aead_aes256gcm_encrypt_detached(
        byte* c, byte* mac, ulong* maclen_p, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    /// <summary>Returns 0 on success, -1 when the tag does not verify (m is then left unspecified).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_aead_aes256gcm_decrypt_detached(
        byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* k);
}
