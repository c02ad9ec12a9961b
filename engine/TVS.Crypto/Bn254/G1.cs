using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>A point of G1 = E(Fp): y² = x³ + 3, in affine coordinates. Infinity is (0, 0), which is not on the curve.</summary>
public struct G1Affine : IEquatable<G1Affine>
{
    public Fp X, Y;

    public G1Affine(in Fp x, in Fp y) { X = x; Y = y; }

    public static G1Affine Infinity => default;
    public static G1Affine Generator => new(Fp.One, Fp.FromUInt64(2));

    public readonly bool IsInfinity => X.IsZero && Y.IsZero;

    internal static readonly Fp B = Fp.FromUInt64(3);

    /// <summary>On the curve (infinity counts as on it). G1 has cofactor 1: on the curve means in the group.</summary>
    public readonly bool IsOnCurve()
    {
        if (IsInfinity) return true;
        return Y.Squared() == X.Squared() * X + B;
    }

    public readonly G1Affine Negate() => IsInfinity ? this : new G1Affine(X, -Y);

    public readonly bool Equals(G1Affine o) => X.Equals(o.X) && Y.Equals(o.Y);
    public override readonly bool Equals(object? obj) => obj is G1Affine g && Equals(g);
    public override readonly int GetHashCode() => HashCode.Combine(X, Y);
    public override readonly string ToString() => IsInfinity ? "G1(∞)" : $"G1({X}, {Y})";
}

/// <summary>G1 in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is infinity.</summary>
public struct G1Jac
{
    public Fp X, Y, Z;

    public static G1Jac Infinity => new() { X = Fp.One, Y = Fp.One, Z = Fp.Zero };
    public readonly bool IsInfinity => Z.IsZero;

    public static G1Jac FromAffine(in G1Affine a)
        => a.IsInfinity ? Infinity : new G1Jac { X = a.X, Y = a.Y, Z = Fp.One };

    public readonly G1Affine ToAffine()
    {
        if (IsInfinity) return G1Affine.Infinity;
        var zi = Z.Inverse();
        var zi2 = zi.Squared();
        return new G1Affine(X * zi2, Y * zi2 * zi);
    }

    public readonly G1Jac Negate() => new() { X = X, Y = -Y, Z = Z };

    /// <summary>dbl-2009-l (a = 0).</summary>
    public readonly G1Jac Double()
    {
        if (IsInfinity) return this;
        var a = X.Squared();
        var b = Y.Squared();
        var c = b.Squared();
        var t = X + b;
        var d = (t.Squared() - a - c).Doubled();
        var e = a.Doubled() + a;
        var f = e.Squared();
        G1Jac r;
        r.X = f - d.Doubled();
        var c8 = c.Doubled().Doubled().Doubled();
        r.Y = e * (d - r.X) - c8;
        r.Z = (Y * Z).Doubled();
        return r;
    }

    /// <summary>madd-2007-bl: this + affine q, with the exceptional cases handled.</summary>
    public readonly G1Jac AddMixed(in G1Affine q)
    {
        if (q.IsInfinity) return this;
        if (IsInfinity) return FromAffine(q);
        var z1z1 = Z.Squared();
        var u2 = q.X * z1z1;
        var s2 = q.Y * Z * z1z1;
        var h = u2 - X;
        var rr = (s2 - Y).Doubled();
        if (h.IsZero)
            return rr.IsZero ? Double() : Infinity;
        var hh = h.Squared();
        var i = hh.Doubled().Doubled();
        var j = h * i;
        var v = X * i;
        G1Jac r;
        r.X = rr.Squared() - j - v.Doubled();
        r.Y = rr * (v - r.X) - (Y * j).Doubled();
        r.Z = (Z + h).Squared() - z1z1 - hh;
        return r;
    }

    /// <summary>add-2007-bl, with the exceptional cases handled.</summary>
    public readonly G1Jac Add(in G1Jac q)
    {
        if (q.IsInfinity) return this;
        if (IsInfinity) return q;
        var z1z1 = Z.Squared();
        var z2z2 = q.Z.Squared();
        var u1 = X * z2z2;
        var u2 = q.X * z1z1;
        var s1 = Y * q.Z * z2z2;
        var s2 = q.Y * Z * z1z1;
        var h = u2 - u1;
        var rr = (s2 - s1).Doubled();
        if (h.IsZero)
            return rr.IsZero ? Double() : Infinity;
        var i = h.Doubled().Squared();
        var j = h * i;
        var v = u1 * i;
        G1Jac r;
        r.X = rr.Squared() - j - v.Doubled();
        r.Y = rr * (v - r.X) - (s1 * j).Doubled();
        r.Z = ((Z + q.Z).Squared() - z1z1 - z2z2) * h;
        return r;
    }

    public readonly bool EqualsPoint(in G1Jac q)
    {
        if (IsInfinity || q.IsInfinity) return IsInfinity && q.IsInfinity;
        var z1z1 = Z.Squared();
        var z2z2 = q.Z.Squared();
        return X * z2z2 == q.X * z1z1 && Y * q.Z * z2z2 == q.Y * Z * z1z1;
    }

    /// <summary>[k]P for a plain (non-Montgomery) scalar, 4-bit fixed window. Not constant time: verifier use only.</summary>
    public static G1Jac ScalarMul(in G1Affine p, in Limbs4 k)
    {
        Span<G1Jac> table = stackalloc G1Jac[16];
        table[0] = Infinity;
        table[1] = FromAffine(p);
        for (int i = 2; i < 16; i++) table[i] = table[i - 1].AddMixed(in p);
        var acc = Infinity;
        int bits = k.BitLength();
        int top = (bits + 3) / 4;
        for (int w = top - 1; w >= 0; w--)
        {
            acc = acc.Double().Double().Double().Double();
            int digit = Nibble(in k, w);
            if (digit != 0) acc = acc.Add(in table[digit]);
        }
        return acc;
    }

    public static G1Jac ScalarMul(in G1Affine p, BigInteger k) => ScalarMul(in p, Limbs4.FromBigInteger(k));

    /// <summary>
    /// [k]P by GLV: k = k₁ + k₂·λ with 128-bit halves, so [k₁]P + [k₂]φ(P) costs 128 doublings
    /// instead of 254 (joint double-and-add over both halves).
    /// </summary>
    public static G1Jac ScalarMulGlv(in G1Affine p, BigInteger k)
    {
        if (p.IsInfinity) return Infinity;
        ScalarDecomposition.G1.Decompose(k, out var k1, out var k2);
        var a = k1.Sign < 0 ? p.Negate() : p;
        var phi = Glv.Endomorphism(p);
        var b = k2.Sign < 0 ? phi.Negate() : phi;
        var both = FromAffine(a).AddMixed(in b);
        var m1 = Limbs4.FromBigInteger(BigInteger.Abs(k1));
        var m2 = Limbs4.FromBigInteger(BigInteger.Abs(k2));
        var acc = Infinity;
        for (int i = Math.Max(m1.BitLength(), m2.BitLength()) - 1; i >= 0; i--)
        {
            acc = acc.Double();
            bool b1 = m1.Bit(i) != 0, b2 = m2.Bit(i) != 0;
            if (b1 && b2) acc = acc.Add(in both);
            else if (b1) acc = acc.AddMixed(in a);
            else if (b2) acc = acc.AddMixed(in b);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Nibble(in Limbs4 k, int w)
    {
        int bit = w * 4;
        ulong limb = (bit >> 6) switch { 0 => k.L0, 1 => k.L1, 2 => k.L2, _ => k.L3 };
        return (int)(limb >> (bit & 63)) & 15;
    }

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
