using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>
/// Fp12 = Fp6[w]/(w² − v): C0 + C1·w. As powers of w (w⁶ = ξ) the six Fp2 coefficients are
/// C0.B0·1, C1.B0·w, C0.B1·w², C1.B1·w³, C0.B2·w⁴, C1.B2·w⁵. The pairing's target group GT is
/// the subgroup of order r of Fp12*.
/// </summary>
public struct Fp12 : IEquatable<Fp12>
{
    public Fp6 C0, C1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Fp12(in Fp6 c0, in Fp6 c1) { C0 = c0; C1 = c1; }

    public static Fp12 One => new(Fp6.One, Fp6.Zero);
    public readonly bool IsOne => C0.B0.IsOne && C0.B1.IsZero && C0.B2.IsZero && C1.IsZero;

    public static Fp12 operator *(in Fp12 a, in Fp12 b)
    {
        var t0 = a.C0 * b.C0;
        var t1 = a.C1 * b.C1;
        var c1 = (a.C0 + a.C1) * (b.C0 + b.C1) - t0 - t1;
        var c0 = t1.MulByNonResidue() + t0;
        return new Fp12(c0, c1);
    }

    /// <summary>Complex squaring: two Fp6 multiplications.</summary>
    public readonly Fp12 Squared()
    {
        var ab = C0 * C1;
        var c0 = (C0 + C1) * (C0 + C1.MulByNonResidue()) - ab - ab.MulByNonResidue();
        return new Fp12(c0, ab.Doubled());
    }

    /// <summary>x^(p⁶): the inverse for elements of the cyclotomic subgroup.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Fp12 Conjugate() => new(C0, -C1);

    public readonly Fp12 Inverse()
    {
        // 1/(a + bw) = (a − bw)/(a² − v·b²)
        var t = (C0.Squared() - C1.Squared().MulByNonResidue()).Inverse();
        return new Fp12(C0 * t, -(C1 * t));
    }

    /// <summary>
    /// Multiplication by a line value with non-zero coefficients only at 1 (c0), w (c3) and
    /// w³ (c4): 13 Fp2 multiplications instead of 18.
    /// </summary>
    public readonly Fp12 MulBy034(in Fp2 c0, in Fp2 c3, in Fp2 c4)
    {
        var a = C0 * c0;
        var b = C1.MulBy01(in c3, in c4);
        var s = c0 + c3;
        var d = (C0 + C1).MulBy01(in s, in c4);
        return new Fp12(b.MulByNonResidue() + a, d - a - b);
    }

    /// <summary>
    /// Granger–Scott squaring, valid only in the cyclotomic subgroup (after the easy part of
    /// the final exponentiation): nine Fp2 squarings (Karabina's compressed form, in Cyclotomic.cs, needs six).
    /// </summary>
    public readonly Fp12 CyclotomicSquared()
    {
        var t0 = C1.B1.Squared();
        var t1 = C0.B0.Squared();
        var t6 = (C1.B1 + C0.B0).Squared() - t0 - t1;
        var t2 = C0.B2.Squared();
        var t3 = C1.B0.Squared();
        var t7 = (C0.B2 + C1.B0).Squared() - t2 - t3;
        var t4 = C1.B2.Squared();
        var t5 = C0.B1.Squared();
        var t8 = ((C1.B2 + C0.B1).Squared() - t4 - t5).MulByNonResidue();
        t0 = t0.MulByNonResidue() + t1;
        t2 = t2.MulByNonResidue() + t3;
        t4 = t4.MulByNonResidue() + t5;

        Fp12 z;
        z.C0.B0 = (t0 - C0.B0).Doubled() + t0;
        z.C0.B1 = (t2 - C0.B1).Doubled() + t2;
        z.C0.B2 = (t4 - C0.B2).Doubled() + t4;
        z.C1.B0 = (t8 + C1.B0).Doubled() + t8;
        z.C1.B1 = (t6 + C1.B1).Doubled() + t6;
        z.C1.B2 = (t7 + C1.B2).Doubled() + t7;
        return z;
    }

    /// <summary>x^p.</summary>
    public readonly Fp12 Frobenius() => OddFrobenius(FrobeniusCoefficients.P1);

    /// <summary>x^(p^k) for odd k: conjugate every Fp2 coefficient, then scale the one of wⁱ by g[i].</summary>
    private readonly Fp12 OddFrobenius(Fp2[] g)
    {
        Fp12 z;
        z.C0.B0 = C0.B0.Conjugate();
        z.C1.B0 = C1.B0.Conjugate() * g[1];
        z.C0.B1 = C0.B1.Conjugate() * g[2];
        z.C1.B1 = C1.B1.Conjugate() * g[3];
        z.C0.B2 = C0.B2.Conjugate() * g[4];
        z.C1.B2 = C1.B2.Conjugate() * g[5];
        return z;
    }

    /// <summary>x^(p²): the coefficients are in Fp.</summary>
    public readonly Fp12 FrobeniusSquare()
    {
        var g = FrobeniusCoefficients.P2;
        Fp12 z;
        z.C0.B0 = C0.B0;
        z.C1.B0 = C1.B0 * g[1];
        z.C0.B1 = C0.B1 * g[2];
        z.C1.B1 = C1.B1 * g[3];
        z.C0.B2 = C0.B2 * g[4];
        z.C1.B2 = C1.B2 * g[5];
        return z;
    }

    /// <summary>x^(p³).</summary>
    public readonly Fp12 FrobeniusCube() => OddFrobenius(FrobeniusCoefficients.P3);

    /// <summary>Generic exponentiation (square-and-multiply), for tests and rare paths.</summary>
    public readonly Fp12 Pow(BigInteger e)
    {
        if (e.Sign < 0) return Inverse().Pow(-e);
        var acc = One;
        long n = (long)e.GetBitLength();
        for (long i = n - 1; i >= 0; i--)
        {
            acc = acc.Squared();
            if (!(e >> (int)i).IsEven) acc *= this;
        }
        return acc;
    }

    public readonly bool Equals(Fp12 o) => C0.Equals(o.C0) && C1.Equals(o.C1);
    public override readonly bool Equals(object? obj) => obj is Fp12 f && Equals(f);
    public override readonly int GetHashCode() => HashCode.Combine(C0, C1);
}

/// <summary>
/// Frobenius constants, derived once from ξ = 9 + u rather than typed in: the coefficient of
/// w^i under x ↦ x^(p^k) is ξ^(i·(p^k − 1)/6), since w⁶ = ξ.
/// </summary>
internal static class FrobeniusCoefficients
{
    public static readonly Fp2[] P1 = Make(1);
    public static readonly Fp2[] P2 = Make(2);
    public static readonly Fp2[] P3 = Make(3);

    private static Fp2[] Make(int k)
    {
        var xi = new Fp2(Fp.FromUInt64(9), Fp.One);
        var e = (BigInteger.Pow(Fp.Modulus, k) - 1) / 6;
        var g = new Fp2[6];
        var step = xi.Pow(e);
        g[0] = Fp2.One;
        for (int i = 1; i < 6; i++) g[i] = g[i - 1] * step;
        return g;
    }
}
