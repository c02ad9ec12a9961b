using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>BN254 scalar-field modulus r (the group order).</summary>
public readonly struct FrModulus : IModulus4
{
    public static ulong Q0 => 0x43e1f593f0000001UL;
    public static ulong Q1 => 0x2833e84879b97091UL;
    public static ulong Q2 => 0xb85045b68181585dUL;
    public static ulong Q3 => 0x30644e72e131a029UL;
    public static ulong QInvNeg => 0xc2e1f593efffffffUL;
    public static Limbs4 RModQ => new(0xac96341c4ffffffbUL, 0x36fc76959f60cd29UL, 0x666ea36f7879462eUL, 0x0e0a77c19a07df2fUL);
    public static Limbs4 R2ModQ => new(0x1bb8e645ae216da7UL, 0x53fe3ab1e35c59e3UL, 0x8c49833d53bb8085UL, 0x0216d0b17f4e44a5UL);
}

/// <summary>An element of the BN254 base field Fr, held in Montgomery form.</summary>
public struct Fr : IEquatable<Fr>
{
    internal Limbs4 V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Fr(in Limbs4 montgomery) => V = montgomery;

    public static readonly BigInteger Modulus = BigInteger.Parse("21888242871839275222246405745257275088548364400416034343698204186575808495617");

    public static Fr Zero => default;
    public static Fr One => new(FrModulus.RModQ);

    public readonly bool IsZero => V.IsZero();
    public readonly bool IsOne => Montgomery<FrModulus>.Equal(in V, FrModulus.RModQ);

    /// <summary>From a canonical integer (&lt; p); false when it is not canonical.</summary>
    public static bool TryFromCanonical(in Limbs4 integer, out Fr result)
    {
        if (!Montgomery<FrModulus>.IsCanonical(in integer)) { result = default; return false; }
        Montgomery<FrModulus>.ToMont(in integer, out result.V);
        return true;
    }

    /// <summary>From 32 big-endian bytes; false unless the value is &lt; p.</summary>
    public static bool TryFromBigEndian(ReadOnlySpan<byte> be32, out Fr result)
        => TryFromCanonical(Limbs4.FromBigEndian(be32), out result);

    public static Fr FromBigInteger(BigInteger v)
    {
        v %= Modulus;
        if (v.Sign < 0) v += Modulus;
        TryFromCanonical(Limbs4.FromBigInteger(v), out var r);
        return r;
    }

    public static Fr FromUInt64(ulong v)
    {
        TryFromCanonical(new Limbs4(v, 0, 0, 0), out var r);
        return r;
    }

    public readonly Limbs4 ToCanonical()
    {
        Montgomery<FrModulus>.FromMont(in V, out var r);
        return r;
    }

    public readonly BigInteger ToBigInteger() => ToCanonical().ToBigInteger();

    public readonly void WriteBigEndian(Span<byte> be32) => ToCanonical().WriteBigEndian(be32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mul(in Fr a, in Fr b, out Fr r) => Montgomery<FrModulus>.Mul(in a.V, in b.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Square(in Fr a, out Fr r) => Montgomery<FrModulus>.Mul(in a.V, in a.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(in Fr a, in Fr b, out Fr r) => Montgomery<FrModulus>.Add(in a.V, in b.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sub(in Fr a, in Fr b, out Fr r) => Montgomery<FrModulus>.Sub(in a.V, in b.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double(in Fr a, out Fr r) => Montgomery<FrModulus>.Double(in a.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Neg(in Fr a, out Fr r) => Montgomery<FrModulus>.Neg(in a.V, out r.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Halve(in Fr a, out Fr r) => Montgomery<FrModulus>.Halve(in a.V, out r.V);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fr operator *(in Fr a, in Fr b) { Montgomery<FrModulus>.Mul(in a.V, in b.V, out var r); return new Fr(r); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fr operator +(in Fr a, in Fr b) { Montgomery<FrModulus>.Add(in a.V, in b.V, out var r); return new Fr(r); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fr operator -(in Fr a, in Fr b) { Montgomery<FrModulus>.Sub(in a.V, in b.V, out var r); return new Fr(r); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fr operator -(in Fr a) { Montgomery<FrModulus>.Neg(in a.V, out var r); return new Fr(r); }

    public readonly Fr Squared() { Montgomery<FrModulus>.Mul(in V, in V, out var r); return new Fr(r); }
    public readonly Fr Doubled() { Montgomery<FrModulus>.Double(in V, out var r); return new Fr(r); }
    public readonly Fr Inverse() { Montgomery<FrModulus>.Inverse(in V, out var r); return new Fr(r); }
    public readonly Fr Pow(in Limbs4 e) { Montgomery<FrModulus>.Pow(in V, in e, out var r); return new Fr(r); }

    public readonly bool Equals(Fr other) => Montgomery<FrModulus>.Equal(in V, in other.V);
    public override readonly bool Equals(object? obj) => obj is Fr f && Equals(f);
    public override readonly int GetHashCode() => HashCode.Combine(V.L0, V.L1, V.L2, V.L3);
    public static bool operator ==(in Fr a, in Fr b) => a.Equals(b);
    public static bool operator !=(in Fr a, in Fr b) => !a.Equals(b);
    public override readonly string ToString() => ToBigInteger().ToString();
}
