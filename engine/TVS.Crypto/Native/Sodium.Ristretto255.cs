using System.Runtime.InteropServices;

namespace TVS.Crypto.Native;

/// <summary>
/// ristretto255 (RFC 9496) in the native libsodium that NSec ships. Points are 32-byte canonical
/// encodings, scalars 32-byte little-endian integers mod ℓ. Callers are the safe wrappers in
/// <c>TVS.Crypto.Ristretto</c>, which validate every input before it gets here.
/// </summary>
internal static unsafe partial class Sodium
{
    internal const int Ristretto255Bytes = 32;
    internal const int Ristretto255HashBytes = 64;
    internal const int Ristretto255ScalarBytes = 32;
    internal const int Ristretto255NonReducedScalarBytes = 64;

    /// <summary>1 when p is the canonical encoding of a group element (the identity included), else 0.</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_core_ristretto255_is_valid_point(byte* p);

    /// <summary>r = p + q. Returns -1 when p or q is not a valid encoding.</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_core_ristretto255_add(byte* r, byte* p, byte* q);

    /// <summary>r = p − q. Returns -1 when p or q is not a valid encoding.</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_core_ristretto255_sub(byte* r, byte* p, byte* q);

    /// <summary>The RFC 9496 one-way map (element derivation) from 64 uniform bytes.</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_core_ristretto255_from_hash(byte* p, byte* r);

    /// <summary>q = n·p. Returns -1 when p is invalid or the result is the identity (q is then all zeros).
    /// libsodium clears the top bit of n, harmless for canonical scalars (ℓ &lt; 2²⁵³).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_ristretto255(byte* q, byte* n, byte* p);

    /// <summary>q = n·G. Returns -1 when the result is the identity (n ≡ 0 mod ℓ).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_scalarmult_ristretto255_base(byte* q, byte* n);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ristretto255_scalar_random(byte* r);

    /// <summary>Returns -1 when s ≡ 0 (no inverse).</summary>
    [LibraryImport(Library)]
    internal static partial int crypto_core_ristretto255_scalar_invert(byte* recip, byte* s);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ristretto255_scalar_negate(byte* neg, byte* s);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ristretto255_scalar_add(byte* z, byte* x, byte* y);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ristretto255_scalar_sub(byte* z, byte* x, byte* y);

    [LibraryImport(Library)]
    internal static partial void crypto_core_ristretto255_scalar_mul(byte* z, byte* x, byte* y);

    /// <summary>r = s mod ℓ for a 64-byte little-endian s (wide reduction, for hashing to scalars).</summary>
    [LibraryImport(Library)]
    internal static partial void crypto_core_ristretto255_scalar_reduce(byte* r, byte* s);
}
