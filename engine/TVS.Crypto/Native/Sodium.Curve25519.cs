using System.Runtime.InteropServices;

namespace TVS.Crypto.Native;

internal static unsafe partial class Sodium
{
    internal const int Curve25519Bytes = 32;

    /// <summary>q = n·p on Curve25519 (X25519). Returns -1 when the result is all zeros (a low-order p).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

    /// <summary>q = n·basepoint (X25519 public key from a private key).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);
}
