using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>Fp2 = Fp[u]/(u² + 1): C0 + C1·u.</summary>
public struct Fp2 : IField<Fp2>
{
    public Fp C0, C1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Fp2(in Fp c0, in Fp c1) { C0 = c0; C1 = c1; }

    public static Fp2 Zero => default;
    public static Fp2 One => new(Fp.One, Fp.Zero);

    public readonly bool IsZero => C0.IsZero && C1.IsZero;
    public readonly bool IsOne => C0.IsOne && C1.IsZero;

    public static Fp2 FromBigIntegers(BigInteger c0, BigInteger c1) => new(Fp.FromBigInteger(c0), Fp.FromBigInteger(c1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp2 operator +(in Fp2 a, in Fp2 b)
    {
        Fp2 r;
        Fp.Add(in a.C0, in b.C0, out r.C0);
        Fp.Add(in a.C1, in b.C1, out r.C1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp2 operator -(in Fp2 a, in Fp2 b)
    {
        Fp2 r;
        Fp.Sub(in a.C0, in b.C0, out r.C0);
        Fp.Sub(in a.C1, in b.C1, out r.C1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp2 operator -(in Fp2 a)
    {
        Fp2 r;
        Fp.Neg(in a.C0, out r.C0);
        Fp.Neg(in a.C1, out r.C1);
        return r;
    }

    // Multiplication, squaring and ξ are compiled once each (NoInlining) around fully inlined
    // Montgomery code: inlined into the Fp6/Fp12 formulas, their bodies exhausted the JIT's
    // inlining budget a few products in, leaving the rest of the formula calling Madd2, MulHiLo
    // and the modulus' constant getters one by one (DOTNET_JitDisasm).

    /// <summary>Karatsuba with lazy reduction: three 512-bit products, one Montgomery reduction per coefficient.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Fp2 operator *(in Fp2 a, in Fp2 b)
    {
        Fp2 r;
        Montgomery<FpModulus>.MulComplex(in a.C0.V, in a.C1.V, in b.C0.V, in b.C1.V, out r.C0.V, out r.C1.V);
        return r;
    }

    /// <summary>Karatsuba by three fused multiplications with one unreduced sum: the alternative to lazy reduction (tests, benches).</summary>
    internal static Fp2 MulFusedUnreducedSum(in Fp2 a, in Fp2 b)
    {
        Fp2 r;
        Montgomery<FpModulus>.MulComplexFused(in a.C0.V, in a.C1.V, in b.C0.V, in b.C1.V, out r.C0.V, out r.C1.V);
        return r;
    }

    /// <summary>The previous multiplication (three fused Fp multiplications), kept as the tests' and benches' reference.</summary>
    internal static Fp2 MulFused(in Fp2 a, in Fp2 b)
    {
        Fp.Mul(in a.C0, in b.C0, out var t0);
        Fp.Mul(in a.C1, in b.C1, out var t1);
        Fp.Add(in a.C0, in a.C1, out var sa);
        Fp.Add(in b.C0, in b.C1, out var sb);
        Fp.Mul(in sa, in sb, out var m);
        Fp2 r;
        Fp.Sub(in t0, in t1, out r.C0);
        Fp.Sub(in m, in t0, out m);
        Fp.Sub(in m, in t1, out r.C1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp2 operator *(in Fp2 a, in Fp s)
    {
        Fp2 r;
        Fp.Mul(in a.C0, in s, out r.C0);
        Fp.Mul(in a.C1, in s, out r.C1);
        return r;
    }

    /// <summary>(a+b)(a−b) + 2ab·u: two Fp multiplications, their left operands a+b and 2a unreduced.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public readonly Fp2 Squared()
    {
        Fp2 r;
        Montgomery<FpModulus>.SquareComplex(in C0.V, in C1.V, out r.C0.V, out r.C1.V);
        return r;
    }

    /// <summary>The previous squaring, kept as the tests' and benches' reference.</summary>
    internal readonly Fp2 SquaredFused()
    {
        Fp.Add(in C0, in C1, out var s);
        Fp.Sub(in C0, in C1, out var d);
        Fp.Mul(in C0, in C1, out var m);
        Fp2 r;
        Fp.Mul(in s, in d, out r.C0);
        Fp.Double(in m, out r.C1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Fp2 Doubled()
    {
        Fp2 r;
        Fp.Double(in C0, out r.C0);
        Fp.Double(in C1, out r.C1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Fp2 Halved()
    {
        Fp2 r;
        Fp.Halve(in C0, out r.C0);
        Fp.Halve(in C1, out r.C1);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Fp2 Conjugate()
    {
        Fp2 r;
        r.C0 = C0;
        Fp.Neg(in C1, out r.C1);
        return r;
    }

    /// <summary>Multiplication by ξ = 9 + u, the non-residue that builds Fp6: (9a − b) + (a + 9b)·u, one small reduction per coefficient.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public readonly Fp2 MulByNonResidue()
    {
        Fp2 r;
        Montgomery<FpModulus>.Mul9Sub(in C0.V, in C1.V, out r.C0.V);
        Montgomery<FpModulus>.Mul9Add(in C1.V, in C0.V, out r.C1.V);
        return r;
    }

    /// <summary>The previous multiplication by ξ (ten modular additions), kept as the tests' and benches' reference.</summary>
    internal readonly Fp2 MulByNonResidueChained()
    {
        // (a + b·u)(9 + u) = (9a − b) + (a + 9b)·u
        Fp.Double(in C0, out var a2); Fp.Double(in a2, out var a4); Fp.Double(in a4, out var a8);
        Fp.Add(in a8, in C0, out var a9);
        Fp.Double(in C1, out var b2); Fp.Double(in b2, out var b4); Fp.Double(in b4, out var b8);
        Fp.Add(in b8, in C1, out var b9);
        Fp2 r;
        Fp.Sub(in a9, in C1, out r.C0);
        Fp.Add(in C0, in b9, out r.C1);
        return r;
    }

    public readonly Fp2 Inverse()
    {
        // 1/(a + bu) = (a − bu)/(a² + b²)
        var n = C0.Squared() + C1.Squared();
        var inv = n.Inverse();
        Fp2 r;
        Fp.Mul(in C0, in inv, out r.C0);
        var t = -C1;
        Fp.Mul(in t, in inv, out r.C1);
        return r;
    }

    public readonly Fp2 Pow(BigInteger e)
    {
        if (e.Sign < 0) throw new ArgumentOutOfRangeException(nameof(e));
        var acc = One;
        var b = this;
        long n = (long)e.GetBitLength();
        for (long i = n - 1; i >= 0; i--)
        {
            acc = acc.Squared();
            if (!(e >> (int)i).IsEven) acc *= b;
        }
        return acc;
    }

    /// <summary>Square root in Fp2 (p ≡ 3 mod 4; Algorithm 9 of eprint 2012/685); false for non-squares.</summary>
    public readonly bool TrySqrt(out Fp2 root)
    {
        var p = Fp.Modulus;
        var a1 = Pow((p - 3) / 4);
        var alpha = a1 * (a1 * this);
        var x0 = a1 * this;
        var minusOne = -One;
        if (alpha.Equals(minusOne))
        {
            root = new Fp2(-x0.C1, x0.C0); // u·x0
        }
        else
        {
            var b = (One + alpha).Pow((p - 1) / 2);
            root = b * x0;
        }
        return root.Squared().Equals(this);
    }

    // The curve formulas (ShortWeierstrass<F>) see the field through IField<F>: there the
    // multiplications are calls to fully inlined code (the operators above), the cheap operations inline.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Fp2 IField<Fp2>.operator *(in Fp2 a, in Fp2 b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    readonly Fp2 IField<Fp2>.Squared() => Squared();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Fp2 IField<Fp2>.operator +(in Fp2 a, in Fp2 b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Fp2 IField<Fp2>.operator -(in Fp2 a, in Fp2 b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Fp2 IField<Fp2>.operator -(in Fp2 a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    readonly Fp2 IField<Fp2>.Doubled() => Doubled();

    public readonly bool Equals(Fp2 other) => C0.Equals(other.C0) && C1.Equals(other.C1);
    public override readonly bool Equals(object? obj) => obj is Fp2 f && Equals(f);
    public override readonly int GetHashCode() => HashCode.Combine(C0, C1);
    public override readonly string ToString() => $"({C0}, {C1})";
}
