namespace TVS.Crypto.Bn254;

/// <summary>Why a point or field element from outside was refused.</summary>
public enum PointError
{
    None = 0,
    NonCanonicalCoordinate,
    NotOnCurve,
    NotInSubgroup,
    Infinity,
    WrongLength,
}

/// <summary>
/// Uncompressed big-endian encodings, as the EIP-196/197 precompiles use them: G1 = x‖y (64
/// bytes), G2 = x.c1‖x.c0‖y.c1‖y.c0 (128 bytes, imaginary part first); all zeros is infinity.
/// Every coordinate must be canonical (&lt; p); every point must be on its curve and, for G2, in
/// the order-r subgroup.
/// </summary>
public static class PointEncoding
{
    public const int G1Size = 64;
    public const int G2Size = 128;

    public static PointError TryReadG1(ReadOnlySpan<byte> src, out G1Affine point)
    {
        point = default;
        if (src.Length != G1Size) return PointError.WrongLength;
        if (!Fp.TryFromBigEndian(src[..32], out var x) || !Fp.TryFromBigEndian(src[32..64], out var y))
            return PointError.NonCanonicalCoordinate;
        point = new G1Affine(x, y);
        if (point.IsInfinity) return PointError.None;
        return point.IsOnCurve() ? PointError.None : PointError.NotOnCurve;
    }

    public static PointError TryReadG2(ReadOnlySpan<byte> src, out G2Affine point)
    {
        point = default;
        if (src.Length != G2Size) return PointError.WrongLength;
        if (!Fp.TryFromBigEndian(src[..32], out var x1) || !Fp.TryFromBigEndian(src[32..64], out var x0) ||
            !Fp.TryFromBigEndian(src[64..96], out var y1) || !Fp.TryFromBigEndian(src[96..128], out var y0))
            return PointError.NonCanonicalCoordinate;
        point = new G2Affine(new Fp2(x0, x1), new Fp2(y0, y1));
        if (point.IsInfinity) return PointError.None;
        if (!point.IsOnCurve()) return PointError.NotOnCurve;
        return point.IsInSubgroup() ? PointError.None : PointError.NotInSubgroup;
    }

    public static void WriteG1(in G1Affine p, Span<byte> dst)
    {
        p.X.WriteBigEndian(dst[..32]);
        p.Y.WriteBigEndian(dst[32..64]);
    }

    public static void WriteG2(in G2Affine p, Span<byte> dst)
    {
        p.X.C1.WriteBigEndian(dst[..32]);
        p.X.C0.WriteBigEndian(dst[32..64]);
        p.Y.C1.WriteBigEndian(dst[64..96]);
        p.Y.C0.WriteBigEndian(dst[96..128]);
    }
}
