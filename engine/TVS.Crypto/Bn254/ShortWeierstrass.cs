using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>
/// Point arithmetic on a curve y² = x³ + b over the coordinate field F, written once for G1
/// (F = <see cref="Fp"/>) and G2 (F = <see cref="Fp2"/>). Affine infinity is (0, 0), which is on
/// neither curve; Jacobian coordinates (x = X/Z², y = Y/Z³) have infinity at Z = 0 and are written
/// as (1, 1, 0). Every method handles infinity and the exceptional cases of addition (P = Q,
/// P = −Q). Results go to out parameters that must not alias the inputs (the point types pass a
/// fresh result).
/// The formulas are never inlined into their callers: compiled as methods of their own, each gets
/// the JIT's whole inlining budget for its field operations (inlined into a small caller, the
/// budget ran out halfway and left calls to the Montgomery multiplication's helpers).
/// </summary>
internal static class ShortWeierstrass<F> where F : struct, IField<F>
{
    public static bool IsOnCurve(in F x, in F y, in F b)
        => (x.IsZero && y.IsZero) || y.Squared().Equals(x.Squared() * x + b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Infinity(out F rx, out F ry, out F rz)
    {
        rx = F.One;
        ry = F.One;
        rz = F.Zero;
    }

    /// <summary>dbl-2009-l (a = 0).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Double(in F x, in F y, in F z, out F rx, out F ry, out F rz)
    {
        if (z.IsZero) { rx = x; ry = y; rz = z; return; }
        var a = x.Squared();
        var b = y.Squared();
        var c = b.Squared();
        var d = ((x + b).Squared() - a - c).Doubled();
        var e = a.Doubled() + a;
        var f = e.Squared();
        rx = f - d.Doubled();
        ry = e * (d - rx) - c.Doubled().Doubled().Doubled();
        rz = (y * z).Doubled();
    }

    /// <summary>madd-2007-bl: (x, y, z) + affine (qx, qy).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddMixed(in F x, in F y, in F z, in F qx, in F qy, out F rx, out F ry, out F rz)
    {
        if (qx.IsZero && qy.IsZero) { rx = x; ry = y; rz = z; return; }
        if (z.IsZero) { rx = qx; ry = qy; rz = F.One; return; }
        var z1z1 = z.Squared();
        var u2 = qx * z1z1;
        var s2 = qy * z * z1z1;
        var h = u2 - x;
        var rr = (s2 - y).Doubled();
        if (h.IsZero)
        {
            if (rr.IsZero) Double(in x, in y, in z, out rx, out ry, out rz);
            else Infinity(out rx, out ry, out rz);
            return;
        }
        var hh = h.Squared();
        var i = hh.Doubled().Doubled();
        var j = h * i;
        var v = x * i;
        rx = rr.Squared() - j - v.Doubled();
        ry = rr * (v - rx) - (y * j).Doubled();
        rz = (z + h).Squared() - z1z1 - hh;
    }

    /// <summary>add-2007-bl: (x, y, z) + (qx, qy, qz).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Add(in F x, in F y, in F z, in F qx, in F qy, in F qz, out F rx, out F ry, out F rz)
    {
        if (qz.IsZero) { rx = x; ry = y; rz = z; return; }
        if (z.IsZero) { rx = qx; ry = qy; rz = qz; return; }
        var z1z1 = z.Squared();
        var z2z2 = qz.Squared();
        var u1 = x * z2z2;
        var u2 = qx * z1z1;
        var s1 = y * qz * z2z2;
        var s2 = qy * z * z1z1;
        var h = u2 - u1;
        var rr = (s2 - s1).Doubled();
        if (h.IsZero)
        {
            if (rr.IsZero) Double(in x, in y, in z, out rx, out ry, out rz);
            else Infinity(out rx, out ry, out rz);
            return;
        }
        var i = h.Doubled().Squared();
        var j = h * i;
        var v = u1 * i;
        rx = rr.Squared() - j - v.Doubled();
        ry = rr * (v - rx) - (s1 * j).Doubled();
        rz = ((z + qz).Squared() - z1z1 - z2z2) * h;
    }

    /// <summary>Whether two Jacobian triples are the same point (cross-multiplied, no inversion).</summary>
    public static bool Equal(in F x, in F y, in F z, in F qx, in F qy, in F qz)
    {
        if (z.IsZero || qz.IsZero) return z.IsZero && qz.IsZero;
        var z1z1 = z.Squared();
        var z2z2 = qz.Squared();
        return (x * z2z2).Equals(qx * z1z1) && (y * qz * z2z2).Equals(qy * z * z1z1);
    }

    /// <summary>Jacobian to affine with one inversion; infinity becomes (0, 0).</summary>
    public static void ToAffine(in F x, in F y, in F z, out F ax, out F ay)
    {
        if (z.IsZero) { ax = F.Zero; ay = F.Zero; return; }
        var zi = z.Inverse();
        var zi2 = zi.Squared();
        ax = x * zi2;
        ay = y * zi2 * zi;
    }
}

/// <summary>What the generic scalar multiplications need from an affine point type.</summary>
internal interface IAffinePoint<A> where A : struct, IAffinePoint<A>
{
    bool IsInfinity { get; }
    A Negate();
}

/// <summary>
/// What the generic scalar multiplications need from a Jacobian point type (<see cref="G1Jac"/>,
/// <see cref="G2Jac"/>); A is the matching affine type. A struct type parameter, so the calls are
/// specialised and inlined.
/// </summary>
internal interface IJacobianPoint<P, A> where P : unmanaged, IJacobianPoint<P, A> where A : struct, IAffinePoint<A>
{
    static abstract P Infinity { get; }
    static abstract P FromAffine(in A a);
    P Double();
    P Add(in P q);
    P AddMixed(in A q);
}

/// <summary>Scalar multiplication, written once for G1 and G2. Not constant time: verifier use only.</summary>
internal static class ScalarMultiplication<P, A> where P : unmanaged, IJacobianPoint<P, A> where A : struct, IAffinePoint<A>
{
    /// <summary>[k]P for a plain (non-Montgomery) scalar, 4-bit fixed window.</summary>
    public static P Windowed(in A p, in Limbs4 k)
    {
        Span<P> table = stackalloc P[16];
        table[0] = P.Infinity;
        table[1] = P.FromAffine(in p);
        for (int i = 2; i < 16; i++) table[i] = table[i - 1].AddMixed(in p);
        var acc = P.Infinity;
        int top = (k.BitLength() + 3) / 4;
        for (int w = top - 1; w >= 0; w--)
        {
            acc = acc.Double().Double().Double().Double();
            int digit = k.Nibble(w);
            if (digit != 0) acc = acc.Add(in table[digit]);
        }
        return acc;
    }

    /// <summary>
    /// [k]P by an endomorphism φ with φ(P) = [λ]P: k = k₁ + k₂·λ with 128-bit halves, so
    /// [k₁]P + [k₂]φ(P) costs 128 doublings instead of 254 (joint double-and-add over both halves).
    /// </summary>
    public static P Endomorphic(in A p, in A phiP, ScalarDecomposition decomposition, BigInteger k)
    {
        if (p.IsInfinity) return P.Infinity;
        decomposition.Decompose(k, out var k1, out var k2);
        var a = k1.Sign < 0 ? p.Negate() : p;
        var b = k2.Sign < 0 ? phiP.Negate() : phiP;
        var both = P.FromAffine(in a).AddMixed(in b);
        var m1 = Limbs4.FromBigInteger(BigInteger.Abs(k1));
        var m2 = Limbs4.FromBigInteger(BigInteger.Abs(k2));
        var acc = P.Infinity;
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
}
