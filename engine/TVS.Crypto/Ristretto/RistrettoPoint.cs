using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using TVS.Crypto.Native;

namespace TVS.Crypto.Ristretto;

/// <summary>
/// An element of the ristretto255 group (RFC 9496), held as its canonical 32-byte encoding. Every
/// instance is a valid element: the only ways in are <see cref="TryDecode"/> (validated by
/// libsodium), the constants, and group operations on valid elements. The identity is a valid
/// element (encoding: 32 zero bytes); protocols that forbid it use <see cref="TryDecodeNonIdentity"/>
/// or check <see cref="IsIdentity"/>.
/// </summary>
public readonly struct RistrettoPoint : IEquatable<RistrettoPoint>
{
    public const int Length = 32;

    private readonly Bytes32 _b;

    private RistrettoPoint(ReadOnlySpan<byte> encoding) => encoding.CopyTo(_b);

    /// <summary>
    /// Wraps an encoding without asking libsodium: only for encodings produced by an RFC 9496
    /// encoder of a valid point (<see cref="RistrettoVartime"/>), which are valid by construction.
    /// </summary>
    internal static RistrettoPoint FromValidEncoding(ReadOnlySpan<byte> encoding)
    {
        if (encoding.Length != Length) throw new ArgumentException("a point is 32 bytes", nameof(encoding));
        return new RistrettoPoint(encoding);
    }

    private static ReadOnlySpan<byte> GeneratorEncoding =>
    [
        0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
        0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76,
    ];

    /// <summary>The identity (neutral element), encoded as 32 zero bytes.</summary>
    public static RistrettoPoint Identity => default;

    /// <summary>The RFC 9496 generator G (the Ed25519 base point's class).</summary>
    public static RistrettoPoint Generator { get; } = new(GeneratorEncoding);

    [UnscopedRef]
    internal ReadOnlySpan<byte> Bytes => _b;

    public bool IsIdentity
    {
        get
        {
            int acc = 0;
            for (int i = 0; i < Length; i++) acc |= _b[i];
            return acc == 0;
        }
    }

    /// <summary>Reads a canonical encoding of a group element (identity allowed). Refuses wrong
    /// lengths, non-canonical field encodings, negative s, and encodings of no element.</summary>
    public static unsafe bool TryDecode(ReadOnlySpan<byte> encoding, out RistrettoPoint point)
    {
        point = default;
        if (encoding.Length != Length) return false;
        Sodium.EnsureInitialized();
        fixed (byte* p = encoding)
        {
            if (Sodium.crypto_core_ristretto255_is_valid_point(p) != 1) return false;
        }
        point = new RistrettoPoint(encoding);
        return true;
    }

    /// <summary>As <see cref="TryDecode"/>, and refuses the identity (public keys, R of a ballot, D_i, commitments where they must be nonzero).</summary>
    public static bool TryDecodeNonIdentity(ReadOnlySpan<byte> encoding, out RistrettoPoint point) =>
        TryDecode(encoding, out point) && !point.IsIdentity;

    /// <summary>The RFC 9496 element derivation from 64 uniform bytes (e.g. a SHA-512 output).</summary>
    public static unsafe RistrettoPoint FromUniformBytes(ReadOnlySpan<byte> uniform)
    {
        if (uniform.Length != Sodium.Ristretto255HashBytes) throw new ArgumentException("takes 64 bytes", nameof(uniform));
        Sodium.EnsureInitialized();
        Span<byte> q = stackalloc byte[Length];
        fixed (byte* pq = q)
        fixed (byte* pr = uniform)
        {
            Sodium.crypto_core_ristretto255_from_hash(pq, pr);
        }
        return new RistrettoPoint(q);
    }

    public static unsafe RistrettoPoint Add(in RistrettoPoint p, in RistrettoPoint q)
    {
        Span<byte> r = stackalloc byte[Length];
        fixed (byte* pr = r)
        fixed (byte* pp = p.Bytes)
        fixed (byte* pq = q.Bytes)
        {
            if (Sodium.crypto_core_ristretto255_add(pr, pp, pq) != 0) throw Invalid();
        }
        return new RistrettoPoint(r);
    }

    public static unsafe RistrettoPoint Subtract(in RistrettoPoint p, in RistrettoPoint q)
    {
        Span<byte> r = stackalloc byte[Length];
        fixed (byte* pr = r)
        fixed (byte* pp = p.Bytes)
        fixed (byte* pq = q.Bytes)
        {
            if (Sodium.crypto_core_ristretto255_sub(pr, pp, pq) != 0) throw Invalid();
        }
        return new RistrettoPoint(r);
    }

    /// <summary>s·P. libsodium reports an identity result as an error; here it is the identity, a
    /// valid value (the caller decides whether its protocol allows it).</summary>
    public static unsafe RistrettoPoint Multiply(in RistrettoScalar s, in RistrettoPoint p)
    {
        Span<byte> r = stackalloc byte[Length];
        fixed (byte* pr = r)
        fixed (byte* pn = s.Bytes)
        fixed (byte* pp = p.Bytes)
        {
            // -1 means "the identity" here: p is valid by construction, so the only other failure
            // (an invalid p) cannot happen, and r is then all zeros, the identity's encoding.
            Sodium.crypto_scalarmult_ristretto255(pr, pn, pp);
        }
        return new RistrettoPoint(r);
    }

    /// <summary>s·G with libsodium's fixed-base tables (cheaper than <see cref="Multiply"/>: docs/PERFORMANCE.md, "Trustees").</summary>
    public static unsafe RistrettoPoint MultiplyBase(in RistrettoScalar s)
    {
        Sodium.EnsureInitialized();
        Span<byte> r = stackalloc byte[Length];
        fixed (byte* pr = r)
        fixed (byte* pn = s.Bytes)
        {
            // -1 only for the identity result (s ≡ 0); r is then all zeros.
            Sodium.crypto_scalarmult_ristretto255_base(pr, pn);
        }
        return new RistrettoPoint(r);
    }

    public static RistrettoPoint operator +(in RistrettoPoint p, in RistrettoPoint q) => Add(p, q);
    public static RistrettoPoint operator -(in RistrettoPoint p, in RistrettoPoint q) => Subtract(p, q);
    public static RistrettoPoint operator *(in RistrettoScalar s, in RistrettoPoint p) => Multiply(s, p);

    public void Encode(Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentException("a point is 32 bytes", nameof(destination));
        Bytes.CopyTo(destination);
    }

    public byte[] ToArray() => Bytes.ToArray();

    public string ToHex() => Convert.ToHexStringLower(Bytes);

    /// <summary>Canonical encodings are unique, so encoding equality is group equality.</summary>
    public bool Equals(RistrettoPoint other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is RistrettoPoint p && Equals(p);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(Bytes);

    public static bool operator ==(RistrettoPoint x, RistrettoPoint y) => x.Equals(y);
    public static bool operator !=(RistrettoPoint x, RistrettoPoint y) => !x.Equals(y);

    public override string ToString() => "RistrettoPoint(" + ToHex() + ")";

    private static InvalidOperationException Invalid() => new("libsodium refused a ristretto255 element that was validated on entry");
}
