using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using TVS.Crypto.Native;

namespace TVS.Crypto.Ristretto;

/// <summary>
/// An integer mod ℓ = 2²⁵² + 27742317777372353535851937790883648493, the order of ristretto255,
/// held as its canonical 32-byte little-endian encoding. Arithmetic goes to libsodium. Secret
/// scalars (shares, nonces, ephemeral keys) should be <see cref="Clear"/>ed when done; equality is
/// constant time.
/// </summary>
public struct RistrettoScalar : IEquatable<RistrettoScalar>
{
    public const int Length = 32;

    private Bytes32 _b;

    /// <summary>ℓ, little-endian.</summary>
    private static ReadOnlySpan<byte> Order =>
    [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ];

    /// <summary>ℓ as a BigInteger (tests, Lagrange bookkeeping off the hot path).</summary>
    public static BigInteger OrderValue { get; } = new(Order, isUnsigned: true, isBigEndian: false);

    public static RistrettoScalar Zero => default;

    public static RistrettoScalar One => FromUInt64(1);

    [UnscopedRef]
    internal readonly ReadOnlySpan<byte> Bytes => _b;

    [UnscopedRef]
    private Span<byte> Writable => _b;

    public readonly bool IsZero
    {
        get
        {
            // Constant time: OR of all bytes.
            int acc = 0;
            for (int i = 0; i < Length; i++) acc |= _b[i];
            return acc == 0;
        }
    }

    public static RistrettoScalar FromUInt64(ulong value)
    {
        var s = default(RistrettoScalar);
        BinaryPrimitives.WriteUInt64LittleEndian(s._b, value);
        return s;
    }

    /// <summary>Reads a canonical encoding (little-endian, &lt; ℓ). False for 32 bytes ≥ ℓ or a wrong length.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoding, out RistrettoScalar scalar)
    {
        scalar = default;
        if (encoding.Length != Length || !IsCanonical(encoding)) return false;
        encoding.CopyTo(scalar._b);
        return true;
    }

    /// <summary>Constant-time s &lt; ℓ on a 32-byte little-endian integer (RFC 9496 requires canonical scalars on input).</summary>
    internal static bool IsCanonical(ReadOnlySpan<byte> s)
    {
        // Borrow of s − ℓ, scanning from the least significant byte: s < ℓ iff it borrows out.
        ReadOnlySpan<byte> l = Order;
        int borrow = 0;
        for (int i = 0; i < Length; i++)
        {
            borrow = (s[i] - l[i] - borrow) >> 8 & 1;
        }
        return borrow == 1;
    }

    /// <summary>x mod ℓ for 64 bytes, little-endian: hashing to a scalar (SHA-512 output) without bias.</summary>
    public static unsafe RistrettoScalar ReduceWide(ReadOnlySpan<byte> wide)
    {
        if (wide.Length != 64) throw new ArgumentException("wide reduction takes 64 bytes", nameof(wide));
        var s = default(RistrettoScalar);
        fixed (byte* r = s.Writable)
        fixed (byte* w = wide)
        {
            Sodium.crypto_core_ristretto255_scalar_reduce(r, w);
        }
        return s;
    }

    /// <summary>A uniformly random scalar from libsodium's CSPRNG (nonzero with overwhelming probability; rejected if zero).</summary>
    public static unsafe RistrettoScalar Random()
    {
        Sodium.EnsureInitialized();
        var s = default(RistrettoScalar);
        fixed (byte* r = s.Writable)
        {
            do
            {
                Sodium.crypto_core_ristretto255_scalar_random(r);
            }
            while (s.IsZero);
        }
        return s;
    }

    public static unsafe RistrettoScalar Add(in RistrettoScalar x, in RistrettoScalar y)
    {
        var z = default(RistrettoScalar);
        fixed (byte* pz = z.Writable)
        fixed (byte* px = x.Bytes)
        fixed (byte* py = y.Bytes)
        {
            Sodium.crypto_core_ristretto255_scalar_add(pz, px, py);
        }
        return z;
    }

    public static unsafe RistrettoScalar Subtract(in RistrettoScalar x, in RistrettoScalar y)
    {
        var z = default(RistrettoScalar);
        fixed (byte* pz = z.Writable)
        fixed (byte* px = x.Bytes)
        fixed (byte* py = y.Bytes)
        {
            Sodium.crypto_core_ristretto255_scalar_sub(pz, px, py);
        }
        return z;
    }

    public static unsafe RistrettoScalar Multiply(in RistrettoScalar x, in RistrettoScalar y)
    {
        var z = default(RistrettoScalar);
        fixed (byte* pz = z.Writable)
        fixed (byte* px = x.Bytes)
        fixed (byte* py = y.Bytes)
        {
            Sodium.crypto_core_ristretto255_scalar_mul(pz, px, py);
        }
        return z;
    }

    public static unsafe RistrettoScalar Negate(in RistrettoScalar x)
    {
        var z = default(RistrettoScalar);
        fixed (byte* pz = z.Writable)
        fixed (byte* px = x.Bytes)
        {
            Sodium.crypto_core_ristretto255_scalar_negate(pz, px);
        }
        return z;
    }

    /// <summary>x⁻¹ mod ℓ; false for x = 0, which has none.</summary>
    public static unsafe bool TryInvert(in RistrettoScalar x, out RistrettoScalar inverse)
    {
        inverse = default;
        fixed (byte* pz = inverse.Writable)
        fixed (byte* px = x.Bytes)
        {
            if (Sodium.crypto_core_ristretto255_scalar_invert(pz, px) != 0)
            {
                inverse = default;
                return false;
            }
        }
        return true;
    }

    public static RistrettoScalar operator +(in RistrettoScalar x, in RistrettoScalar y) => Add(x, y);
    public static RistrettoScalar operator -(in RistrettoScalar x, in RistrettoScalar y) => Subtract(x, y);
    public static RistrettoScalar operator *(in RistrettoScalar x, in RistrettoScalar y) => Multiply(x, y);
    public static RistrettoScalar operator -(in RistrettoScalar x) => Negate(x);

    public readonly void Encode(Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentException("a scalar is 32 bytes", nameof(destination));
        Bytes.CopyTo(destination);
    }

    public readonly byte[] ToArray() => Bytes.ToArray();

    public readonly BigInteger ToBigInteger() => new(Bytes, isUnsigned: true, isBigEndian: false);

    /// <summary>The scalar congruent to a non-negative BigInteger (tests, Lagrange weights).</summary>
    public static RistrettoScalar FromBigInteger(BigInteger value)
    {
        value %= OrderValue;
        if (value.Sign < 0) value += OrderValue;
        var s = default(RistrettoScalar);
        if (!value.TryWriteBytes(s._b, out _, isUnsigned: true, isBigEndian: false))
            throw new InvalidOperationException("a reduced scalar fits 32 bytes");
        return s;
    }

    /// <summary>Overwrites the value with zero (for secrets no longer needed).</summary>
    public void Clear() => CryptographicOperations.ZeroMemory(_b);

    public readonly bool Equals(RistrettoScalar other) => CryptographicOperations.FixedTimeEquals(Bytes, other.Bytes);

    public override readonly bool Equals(object? obj) => obj is RistrettoScalar s && Equals(s);

    public override readonly int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(Bytes);

    public static bool operator ==(RistrettoScalar x, RistrettoScalar y) => x.Equals(y);
    public static bool operator !=(RistrettoScalar x, RistrettoScalar y) => !x.Equals(y);

    /// <summary>Never prints the value: scalars are often secrets.</summary>
    public override readonly string ToString() => "RistrettoScalar(…)";
}
