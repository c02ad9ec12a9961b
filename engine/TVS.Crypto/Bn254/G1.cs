using System.Numerics;

namespace TVS.Crypto.Bn254;

/// <summary>A point of G1 = E(Fp): y² = x³ + 3, in affine coordinates. Infinity is (0, 0), which is not on the curve.</summary>
public struct G1Affine : IEquatable<G1Affine>, IAffinePoint<G1Affine>
{
    public Fp X, Y;

    public G1Affine(in Fp x, in Fp y) { X = x; Y = y; }

    public static G1Affine Infinity => default;
    public static G1Affine Generator => new(Fp.One, Fp.FromUInt64(2));

    public readonly bool IsInfinity => X.IsZero && Y.IsZero;

    internal static readonly Fp B = Fp.FromUInt64(3);

    /// <summary>On the curve (infinity counts as on it). G1 has cofactor 1: on the curve means in the group.</summary>
    public readonly bool IsOnCurve() => ShortWeierstrass<Fp>.IsOnCurve(in X, in Y, in B);

    public readonly G1Affine Negate() => IsInfinity ? this : new G1Affine(X, -Y);

    public readonly bool Equals(G1Affine o) => X.Equals(o.X) && Y.Equals(o.Y);
    public override readonly bool Equals(object? obj) => obj is G1Affine g && Equals(g);
    public override readonly int GetHashCode() => HashCode.Combine(X, Y);
    public override readonly string ToString() => IsInfinity ? "G1(∞)" : $"G1({X}, {Y})";
}

/// <summary>G1 in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is infinity. The formulas are <see cref="ShortWeierstrass{F}"/>'s.</summary>
public struct G1Jac : IJacobianPoint<G1Jac, G1Affine>
{
    public Fp X, Y, Z;

    public static G1Jac Infinity => new() { X = Fp.One, Y = Fp.One, Z = Fp.Zero };
    public readonly bool IsInfinity => Z.IsZero;

    public static G1Jac FromAffine(in G1Affine a)
        => a.IsInfinity ? Infinity : new G1Jac { X = a.X, Y = a.Y, Z = Fp.One };

    public readonly G1Affine ToAffine()
    {
        G1Affine r;
        ShortWeierstrass<Fp>.ToAffine(in X, in Y, in Z, out r.X, out r.Y);
        return r;
    }

    public readonly G1Jac Negate() => new() { X = X, Y = -Y, Z = Z };

    public readonly G1Jac Double()
    {
        G1Jac r;
        ShortWeierstrass<Fp>.Double(in X, in Y, in Z, out r.X, out r.Y, out r.Z);
        return r;
    }

    /// <summary>this + affine q.</summary>
    public readonly G1Jac AddMixed(in G1Affine q)
    {
        G1Jac r;
        ShortWeierstrass<Fp>.AddMixed(in X, in Y, in Z, in q.X, in q.Y, out r.X, out r.Y, out r.Z);
        return r;
    }

    public readonly G1Jac Add(in G1Jac q)
    {
        G1Jac r;
        ShortWeierstrass<Fp>.Add(in X, in Y, in Z, in q.X, in q.Y, in q.Z, out r.X, out r.Y, out r.Z);
        return r;
    }

    public readonly bool EqualsPoint(in G1Jac q) => ShortWeierstrass<Fp>.Equal(in X, in Y, in Z, in q.X, in q.Y, in q.Z);

    /// <summary>[k]P for a plain (non-Montgomery) scalar, 4-bit fixed window. Not constant time: verifier use only.</summary>
    public static G1Jac ScalarMul(in G1Affine p, in Limbs4 k) => ScalarMultiplication<G1Jac, G1Affine>.Windowed(in p, in k);

    public static G1Jac ScalarMul(in G1Affine p, BigInteger k) => ScalarMul(in p, Limbs4.FromBigInteger(k));

    /// <summary>
    /// [k]P by GLV: k = k₁ + k₂·λ with 128-bit halves, so [k₁]P + [k₂]φ(P) costs 128 doublings
    /// instead of 254 (joint double-and-add over both halves).
    /// </summary>
    public static G1Jac ScalarMulGlv(in G1Affine p, BigInteger k)
        => ScalarMultiplication<G1Jac, G1Affine>.Endomorphic(in p, Glv.Endomorphism(p), ScalarDecomposition.G1, k);

    /// <summary>Converts many points at once with one field inversion (Montgomery's trick).</summary>
    public static void BatchToAffine(ReadOnlySpan<G1Jac> points, Span<G1Affine> result)
    {
        int n = points.Length;
        if (n == 0) return;
        // prefix products of the non-zero Z's, stored in result[i].X as scratch
        var acc = Fp.One;
        for (int i = 0; i < n; i++)
        {
            result[i].X = acc;
            if (!points[i].IsInfinity) acc *= points[i].Z;
        }
        var inv = acc.Inverse();
        for (int i = n - 1; i >= 0; i--)
        {
            if (points[i].IsInfinity) { result[i] = G1Affine.Infinity; continue; }
            var zi = inv * result[i].X;
            inv *= points[i].Z;
            var zi2 = zi.Squared();
            result[i] = new G1Affine(points[i].X * zi2, points[i].Y * zi2 * zi);
        }
    }
}
