using System.Runtime.CompilerServices;

namespace TVS.Crypto.Ristretto;

/// <summary>
/// A point of the twisted Edwards curve −x² + y² = 1 + d·x²y² (edwards25519) in extended
/// coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x·y = T/Z, standing for the ristretto255
/// element of its coset. Two points that differ by a 4-torsion point are the same element:
/// compare with <see cref="RistrettoEquals"/>, not field by field.
/// <para>
/// Variable time: for public inputs only (shares, weights, commitments), never for secret
/// scalars. Obtain one from <see cref="RistrettoVartime.TryDecode"/>.
/// </para>
/// </summary>
public readonly struct EdwardsPoint
{
    internal readonly Field25519 X, Y, Z, T;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal EdwardsPoint(in Field25519 x, in Field25519 y, in Field25519 z, in Field25519 t)
    {
        X = x;
        Y = y;
        Z = z;
        T = t;
    }

    /// <summary>The neutral element (0 : 1 : 1 : 0).</summary>
    public static EdwardsPoint Identity => new(Field25519.Zero, Field25519.One, Field25519.One, Field25519.Zero);

    /// <summary>
    /// P + Q with the unified a = −1 formula (add-2008-hwcd-3), correct for all inputs including
    /// P = Q and the identity.
    /// </summary>
    public static EdwardsPoint Add(in EdwardsPoint p, in EdwardsPoint q) => AddNiels(p, ProjectiveNiels.From(q)).ToExtended();

    public static EdwardsPoint Subtract(in EdwardsPoint p, in EdwardsPoint q) => SubNiels(p, ProjectiveNiels.From(q)).ToExtended();

    /// <summary>2P (dbl-2008-hwcd), cheaper than <see cref="Add"/>(P, P).</summary>
    public static EdwardsPoint Double(in EdwardsPoint p) => DoubleProjective(new ProjectivePoint(p.X, p.Y, p.Z)).ToExtended();

    /// <summary>−P = (−X : Y : Z : −T).</summary>
    public static EdwardsPoint Negate(in EdwardsPoint p) => new(Field25519.Negate(p.X), p.Y, p.Z, Field25519.Negate(p.T));

    /// <summary>
    /// RFC 9496 §4.3.3: equality of ristretto255 elements, X₁Y₂ = Y₁X₂ or Y₁Y₂ = X₁X₂. Variable time.
    /// </summary>
    public static bool RistrettoEquals(in EdwardsPoint p, in EdwardsPoint q) =>
        Field25519.Equal(Field25519.Mul(p.X, q.Y), Field25519.Mul(p.Y, q.X))
        || Field25519.Equal(Field25519.Mul(p.Y, q.Y), Field25519.Mul(p.X, q.X));

    // ---- the formulas, split at the coordinate systems the scalar multiplication passes through ----

    /// <summary>
    /// P + Q with Q in Niels form: (Y+X)(Y'+X'), (Y−X)(Y'−X'), 2d·T·T', 2·Z·Z' give the completed
    /// point directly (4 multiplications).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static CompletedPoint AddNiels(in EdwardsPoint p, in ProjectiveNiels q)
    {
        var pp = Field25519.Mul(Field25519.Add(p.Y, p.X), q.YPlusX);
        var mm = Field25519.Mul(Field25519.Sub(p.Y, p.X), q.YMinusX);
        var tt2d = Field25519.Mul(p.T, q.T2d);
        var zz = Field25519.Mul(p.Z, q.Z);
        var zz2 = Field25519.Add(zz, zz);
        return new CompletedPoint(Field25519.Sub(pp, mm), Field25519.Add(pp, mm), Field25519.Add(zz2, tt2d), Field25519.Sub(zz2, tt2d));
    }

    /// <summary>P − Q: −Q swaps Y+X with Y−X and negates T, so the same products with roles swapped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static CompletedPoint SubNiels(in EdwardsPoint p, in ProjectiveNiels q)
    {
        var pm = Field25519.Mul(Field25519.Add(p.Y, p.X), q.YMinusX);
        var mp = Field25519.Mul(Field25519.Sub(p.Y, p.X), q.YPlusX);
        var tt2d = Field25519.Mul(p.T, q.T2d);
        var zz = Field25519.Mul(p.Z, q.Z);
        var zz2 = Field25519.Add(zz, zz);
        return new CompletedPoint(Field25519.Sub(pm, mp), Field25519.Add(pm, mp), Field25519.Sub(zz2, tt2d), Field25519.Add(zz2, tt2d));
    }

    /// <summary>
    /// P + Q with Q in affine Niels form (Z = 1): the same formula as <see cref="AddNiels"/>
    /// without the multiplication by Q's Z (3 multiplications).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static CompletedPoint AddAffine(in EdwardsPoint p, in AffineNiels q)
    {
        var pp = Field25519.Mul(Field25519.Add(p.Y, p.X), q.YPlusX);
        var mm = Field25519.Mul(Field25519.Sub(p.Y, p.X), q.YMinusX);
        var tt2d = Field25519.Mul(p.T, q.T2d);
        var zz2 = Field25519.Add(p.Z, p.Z);
        return new CompletedPoint(Field25519.Sub(pp, mm), Field25519.Add(pp, mm), Field25519.Add(zz2, tt2d), Field25519.Sub(zz2, tt2d));
    }

    /// <summary>P − Q with Q in affine Niels form (the roles of <see cref="AddAffine"/> swapped as in <see cref="SubNiels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static CompletedPoint SubAffine(in EdwardsPoint p, in AffineNiels q)
    {
        var pm = Field25519.Mul(Field25519.Add(p.Y, p.X), q.YMinusX);
        var mp = Field25519.Mul(Field25519.Sub(p.Y, p.X), q.YPlusX);
        var tt2d = Field25519.Mul(p.T, q.T2d);
        var zz2 = Field25519.Add(p.Z, p.Z);
        return new CompletedPoint(Field25519.Sub(pm, mp), Field25519.Add(pm, mp), Field25519.Sub(zz2, tt2d), Field25519.Add(zz2, tt2d));
    }

    /// <summary>
    /// 2P from projective (X : Y : Z), dbl-2008-hwcd with a = −1 (4 squarings). The completed
    /// result is the hwcd one scaled by −1, which is the same projective point.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static CompletedPoint DoubleProjective(in ProjectivePoint p)
    {
        var xx = Field25519.Square(p.X);
        var yy = Field25519.Square(p.Y);
        var zz = Field25519.Square(p.Z);
        var zz2 = Field25519.Add(zz, zz);
        var xPlusYSquared = Field25519.Square(Field25519.Add(p.X, p.Y));
        var yyPlusXx = Field25519.Add(yy, xx);
        var yyMinusXx = Field25519.Sub(yy, xx);
        return new CompletedPoint(Field25519.Sub(xPlusYSquared, yyPlusXx), yyPlusXx, yyMinusXx, Field25519.Sub(zz2, yyMinusXx));
    }

    // ---- ristretto255 (RFC 9496 §4.3) ----

    /// <summary>
    /// RFC 9496 §4.3.1. Fails for a non-canonical s (≥ p, top bit included), a negative s, and
    /// the three failure cases of the RFC (x² not a square, t = x·y negative, y = 0).
    /// </summary>
    internal static bool TryDecodeRistretto(ReadOnlySpan<byte> encoding32, out EdwardsPoint point)
    {
        point = default;
        if (encoding32.Length != 32) return false;
        if (!Field25519.TryFromBytes(encoding32, canonical: true, out var s) || s.IsNegative) return false;

        var ss = Field25519.Square(s);
        var u1 = Field25519.Sub(Field25519.One, ss);
        var u2 = Field25519.Add(Field25519.One, ss);
        var u2Squared = Field25519.Square(u2);
        // v = −(d·u1²) − u2²
        var v = Field25519.Sub(Field25519.Negate(Field25519.Mul(Field25519.EdwardsD, Field25519.Square(u1))), u2Squared);
        bool wasSquare = Field25519.SqrtRatioM1(Field25519.One, Field25519.Mul(v, u2Squared), out var invSqrt);

        var denX = Field25519.Mul(invSqrt, u2);
        var denY = Field25519.Mul(Field25519.Mul(invSqrt, denX), v);
        var twoS = Field25519.Add(s, s);
        var x = Field25519.Abs(Field25519.Mul(twoS, denX));
        var y = Field25519.Mul(u1, denY);
        var t = Field25519.Mul(x, y);
        if (!wasSquare || t.IsNegative || y.IsZero) return false;

        point = new EdwardsPoint(x, y, Field25519.One, t);
        return true;
    }

    /// <summary>RFC 9496 §4.3.2: the canonical encoding of the element of P's coset.</summary>
    internal static void EncodeRistretto(in EdwardsPoint p, Span<byte> destination32)
    {
        var u1 = Field25519.Mul(Field25519.Add(p.Z, p.Y), Field25519.Sub(p.Z, p.Y));
        var u2 = Field25519.Mul(p.X, p.Y);
        // Ignore was_square: for a valid point u1·u2² is always a square (or 0, for the identity).
        Field25519.SqrtRatioM1(Field25519.One, Field25519.Mul(u1, Field25519.Square(u2)), out var invSqrt);
        var den1 = Field25519.Mul(invSqrt, u1);
        var den2 = Field25519.Mul(invSqrt, u2);
        var zInv = Field25519.Mul(Field25519.Mul(den1, den2), p.T);

        bool rotate = Field25519.Mul(p.T, zInv).IsNegative;
        var x = rotate ? Field25519.Mul(p.Y, Field25519.SqrtM1) : p.X;
        var y = rotate ? Field25519.Mul(p.X, Field25519.SqrtM1) : p.Y;
        var denInv = rotate ? Field25519.Mul(den1, Field25519.InvSqrtAMinusD) : den2;

        if (Field25519.Mul(x, zInv).IsNegative) y = Field25519.Negate(y);
        var s = Field25519.Abs(Field25519.Mul(denInv, Field25519.Sub(p.Z, y)));
        s.ToBytes(destination32);
    }
}

/// <summary>(X : Y : Z), x = X/Z, y = Y/Z: what a doubling needs (it never reads T).</summary>
internal readonly struct ProjectivePoint
{
    internal readonly Field25519 X, Y, Z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ProjectivePoint(in Field25519 x, in Field25519 y, in Field25519 z)
    {
        X = x;
        Y = y;
        Z = z;
    }

    internal static ProjectivePoint Identity => new(Field25519.Zero, Field25519.One, Field25519.One);
}

/// <summary>
/// ((X : Z), (Y : T)), x = X/Z, y = Y/T: the output of the addition and doubling formulas
/// before their last multiplications, so the caller pays only for the coordinates it needs next
/// (3 multiplications to projective, 4 to extended).
/// </summary>
internal readonly struct CompletedPoint
{
    internal readonly Field25519 X, Y, Z, T;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal CompletedPoint(in Field25519 x, in Field25519 y, in Field25519 z, in Field25519 t)
    {
        X = x;
        Y = y;
        Z = z;
        T = t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ProjectivePoint ToProjective() =>
        new(Field25519.Mul(X, T), Field25519.Mul(Y, Z), Field25519.Mul(Z, T));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal EdwardsPoint ToExtended() =>
        new(Field25519.Mul(X, T), Field25519.Mul(Y, Z), Field25519.Mul(Z, T), Field25519.Mul(X, Y));
}

/// <summary>
/// (Y + X, Y − X, Z, 2d·T): a point prepared to be added, so each addition skips the sums and
/// the multiplication by 2d (the "projective Niels" form of curve25519-dalek).
/// </summary>
internal readonly struct ProjectiveNiels
{
    internal readonly Field25519 YPlusX, YMinusX, Z, T2d;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ProjectiveNiels(in Field25519 yPlusX, in Field25519 yMinusX, in Field25519 z, in Field25519 t2d)
    {
        YPlusX = yPlusX;
        YMinusX = yMinusX;
        Z = z;
        T2d = t2d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ProjectiveNiels From(in EdwardsPoint p) =>
        new(Field25519.Add(p.Y, p.X), Field25519.Sub(p.Y, p.X), p.Z, Field25519.Mul(p.T, Field25519.EdwardsD2));
}

/// <summary>
/// (y + x, y − x, 2d·x·y) of an affine point (Z = 1, as <see cref="EdwardsPoint.TryDecodeRistretto"/>
/// returns them): a point prepared to be added with one multiplication fewer than
/// <see cref="ProjectiveNiels"/>. Many-point multiplications keep their inputs in this form.
/// </summary>
internal readonly struct AffineNiels
{
    internal readonly Field25519 YPlusX, YMinusX, T2d;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AffineNiels(in Field25519 yPlusX, in Field25519 yMinusX, in Field25519 t2d)
    {
        YPlusX = yPlusX;
        YMinusX = yMinusX;
        T2d = t2d;
    }

    /// <summary>The form of a point whose Z is 1 (a freshly decoded one); any other Z is refused, as this form cannot hold it.</summary>
    internal static AffineNiels FromAffine(in EdwardsPoint p)
    {
        if (!Field25519.Equal(p.Z, Field25519.One)) throw new ArgumentException("an affine Niels point needs Z = 1", nameof(p));
        return new(Field25519.Add(p.Y, p.X), Field25519.Sub(p.Y, p.X), Field25519.Mul(p.T, Field25519.EdwardsD2));
    }

    /// <summary>−P: y ± x swap and 2d·x·y changes sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal AffineNiels Negate() => new(YMinusX, YPlusX, Field25519.Negate(T2d));

    /// <summary>The point in extended coordinates: x = (y+x − (y−x))/2, y = (y+x + (y−x))/2 (3 multiplications).</summary>
    internal EdwardsPoint ToExtended()
    {
        var x = Field25519.Mul(Field25519.Sub(YPlusX, YMinusX), Field25519.Half);
        var y = Field25519.Mul(Field25519.Add(YPlusX, YMinusX), Field25519.Half);
        return new EdwardsPoint(x, y, Field25519.One, Field25519.Mul(x, y));
    }
}
