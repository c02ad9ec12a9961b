using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>BN254 base-field modulus p.</summary>
public readonly struct FpModulus : IModulus4
{
    public static ulong Q0 => 0x3c208c16d87cfd47UL;
    public static ulong Q1 => 0x97816a916871ca8dUL;
    public static ulong Q2 => 0xb85045b68181585dUL;
    public static ulong Q3 => 0x30644e72e131a029UL;
    public static ulong QInvNeg => 0x87d20782e4866389UL;
    public static Limbs4 RModQ => new(0xd35d438dc58f0d9dUL, 0x0a78eb28f5c70b3dUL, 0x666ea36f7879462cUL, 0x0e0a77c19a07df2fUL);
    public static Limbs4 R2ModQ => new(0xf32cfc5b538afa89UL, 0xb5e71911d44501fbUL, 0x47ab1eff0a417ff6UL, 0x06d89f71cab8351fUL);
}

/// <summary>An element of the BN254 base field Fp, held in Montgomery form.</summary>
public struct Fp : IEquatable<Fp>
{
    internal Limbs4 V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Fp(in Limbs4 montgomery) => V = montgomery;

    public static readonly BigInteger Modulus = BigInteger.Parse("21888242871839275222246405745257275088696311157297823662689037894645226208583");

    private static readonly Limbs4 SqrtExponent = Limbs4.FromBigInteger((Modulus + 1) / 4);

    public static Fp Zero => default;
    public static Fp One => new(FpModulus.RModQ);

    public readonly bool IsZero => V.IsZero();
    public readonly bool IsOne => Montgomery<FpModulus>.Equal(in V, FpModulus.RModQ);

    /// <summary>From a canonical integer (&lt; p); false when it is not canonical.</summary>
    public static bool TryFromCanonical(in Limbs4 integer, out Fp result)
    {
        if (!Montgomery<FpModulus>.IsCanonical(in integer)) { result = default; return false; }
        Montgomery<FpModulus>.ToMont(in integer, out result.V);
        return true;
    }

    /// <summary>From 32 big-endian bytes; false unless the value is &lt; p.</summary>
    public static bool TryFromBigEndian(ReadOnlySpan<byte> be32, out Fp result)
        => TryFromCanonical(Limbs4.FromBigEndian(be32), out result);

    public static Fp FromBigInteger(BigInteger v)
    {
        v %= Modulus;
        if (v.Sign < 0) v += Modulus;
        TryFromCanonical(Limbs4.FromBigInteger(v), out var r);
        return r;
    }

    public static Fp FromUInt64(ulong v)
    {
        TryFromCanonical(new Limbs4(v, 0, 0, 0), out var r);
        return r;
    }

    public readonly Limbs4 ToCanonical()
    {
        Montgomery<FpModulus>.FromMont(in V, out var r);
        return r;
    }

    public readonly BigInteger ToBigInteger() => ToCanonical().ToBigInteger();

    public readonly void WriteBigEndian(Span<byte> be32) => ToCanonical().WriteBigEndian(be32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mul(in Fp a, in Fp b, out Fp r) => Montgomery<FpModulus>.Mul(in a.V, in b.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Square(in Fp a, out Fp r) => Montgomery<FpModulus>.Mul(in a.V, in a.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(in Fp a, in Fp b, out Fp r) => Montgomery<FpModulus>.Add(in a.V, in b.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sub(in Fp a, in Fp b, out Fp r) => Montgomery<FpModulus>.Sub(in a.V, in b.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double(in Fp a, out Fp r) => Montgomery<FpModulus>.Double(in a.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Neg(in Fp a, out Fp r) => Montgomery<FpModulus>.Neg(in a.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Halve(in Fp a, out Fp r) => Montgomery<FpModulus>.Halve(in a.V, out r.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp operator *(in Fp a, in Fp b) { Montgomery<FpModulus>.Mul(in a.V, in b.V, out var r); return new Fp(r); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp operator +(in Fp a, in Fp b) { Montgomery<FpModulus>.Add(in a.V, in b.V, out var r); return new Fp(r); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp operator -(in Fp a, in Fp b) { Montgomery<FpModulus>.Sub(in a.V, in b.V, out var r); return new Fp(r); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp operator -(in Fp a) { Montgomery<FpModulus>.Neg(in a.V, out var r); return new Fp(r); }

    public readonly Fp Squared() { Montgomery<FpModulus>.Mul(in V, in V, out var r); return new Fp(r); }
    public readonly Fp Doubled() { Montgomery<FpModulus>.Double(in V, out var r); return new Fp(r); }
    public readonly Fp Inverse() { Montgomery<FpModulus>.Inverse(in V, out var r); return new Fp(r); }
    public readonly Fp Pow(in Limbs4 e) { Montgomery<FpModulus>.Pow(in V, in e, out var r); return new Fp(r); }

    /// <summary>Square root for p ≡ 3 (mod 4): x^((p+1)/4); false when x is not a square.</summary>
    public readonly bool TrySqrt(out Fp root)
    {
        root = Pow(in SqrtExponent);
        return root.Squared().Equals(this);
    }

    /// <summary>Legendre symbol via Euler's criterion: true for squares (and zero).</summary>
    public readonly bool IsSquare() => TrySqrt(out _);

    /// <summary>The "sign" used by point encodings: the canonical value is odd.</summary>
    public readonly bool IsOddCanonical => (ToCanonical().L0 & 1) != 0;

    public readonly bool Equals(Fp other) => Montgomery<FpModulus>.Equal(in V, in other.V);
    public override readonly bool Equals(object? obj) => obj is Fp f && Equals(f);
    public override readonly int GetHashCode() => HashCode.Combine(V.L0, V.L1, V.L2, V.L3);
    public static bool operator ==(in Fp a, in Fp b) => a.Equals(b);
    public static bool operator !=(in Fp a, in Fp b) => !a.Equals(b);
    public override readonly string ToString() => ToBigInteger().ToString();
}
