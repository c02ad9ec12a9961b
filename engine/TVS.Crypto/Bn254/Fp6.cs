using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>Fp6 = Fp2[v]/(v³ − ξ), ξ = 9 + u: B0 + B1·v + B2·v².</summary>
public struct Fp6 : IEquatable<Fp6>
{
    public Fp2 B0, B1, B2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Fp6(in Fp2 b0, in Fp2 b1, in Fp2 b2) { B0 = b0; B1 = b1; B2 = b2; }

    public static Fp6 Zero => default;
    public static Fp6 One => new(Fp2.One, Fp2.Zero, Fp2.Zero);
    public readonly bool IsZero => B0.IsZero && B1.IsZero && B2.IsZero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp6 operator +(in Fp6 a, in Fp6 b) => new(a.B0 + b.B0, a.B1 + b.B1, a.B2 + b.B2);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp6 operator -(in Fp6 a, in Fp6 b) => new(a.B0 - b.B0, a.B1 - b.B1, a.B2 - b.B2);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp6 operator -(in Fp6 a) => new(-a.B0, -a.B1, -a.B2);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Fp6 Doubled() => new(B0.Doubled(), B1.Doubled(), B2.Doubled());

    /// <summary>Six Fp2 multiplications (Karatsuba-style interpolation).</summary>
    public static Fp6 operator *(in Fp6 a, in Fp6 b)
    {
        var t0 = a.B0 * b.B0;
        var t1 = a.B1 * b.B1;
        var t2 = a.B2 * b.B2;
        var c0 = ((a.B1 + a.B2) * (b.B1 + b.B2) - t1 - t2).MulByNonResidue() + t0;
        var c1 = (a.B0 + a.B1) * (b.B0 + b.B1) - t0 - t1 + t2.MulByNonResidue();
        var c2 = (a.B0 + a.B2) * (b.B0 + b.B2) - t0 - t2 + t1;
        return new Fp6(c0, c1, c2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp6 operator *(in Fp6 a, in Fp2 s) => new(a.B0 * s, a.B1 * s, a.B2 * s);

    /// <summary>Chung–Hasan SQR2.</summary>
    public readonly Fp6 Squared()
    {
        var s0 = B0.Squared();
        var s1 = (B0 * B1).Doubled();
        var s2 = (B0 - B1 + B2).Squared();
        var s3 = (B1 * B2).Doubled();
        var s4 = B2.Squared();
        return new Fp6(s3.MulByNonResidue() + s0, s4.MulByNonResidue() + s1, s1 + s2 + s3 - s0 - s4);
    }

    /// <summary>Multiplication by v: (b0, b1, b2)·v = (ξ·b2, b0, b1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Fp6 MulByNonResidue() => new(B2.MulByNonResidue(), B0, B1);

    /// <summary>Multiplication by the sparse element c0 + c1·v (five Fp2 multiplications).</summary>
    public readonly Fp6 MulBy01(in Fp2 c0, in Fp2 c1)
    {
        var t0 = B0 * c0;
        var t1 = B1 * c1;
        var r0 = ((B1 + B2) * c1 - t1).MulByNonResidue() + t0;
        var r1 = (B0 + B1) * (c0 + c1) - t0 - t1;
        var r2 = (B0 + B2) * c0 - t0 + t1;
        return new Fp6(r0, r1, r2);
    }

    public readonly Fp6 Inverse()
    {
        var t0 = B0.Squared() - (B1 * B2).MulByNonResidue();
        var t1 = B2.Squared().MulByNonResidue() - B0 * B1;
        var t2 = B1.Squared() - B0 * B2;
        var det = B0 * t0 + (B2 * t1 + B1 * t2).MulByNonResidue();
        var inv = det.Inverse();
        return new Fp6(t0 * inv, t1 * inv, t2 * inv);
    }

    public readonly bool Equals(Fp6 o) => B0.Equals(o.B0) && B1.Equals(o.B1) && B2.Equals(o.B2);
    public override readonly bool Equals(object? obj) => obj is Fp6 f && Equals(f);
    public override readonly int GetHashCode() => HashCode.Combine(B0, B1, B2);
}
