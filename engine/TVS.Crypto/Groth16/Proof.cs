using TVS.Crypto.Bn254;

namespace TVS.Crypto.Groth16;

/// <summary>
/// A Groth16 proof whose points have passed every check from outside: canonical coordinates, on
/// their curves, B in the order-r subgroup, none at infinity. Build it with <see cref="TryCreate"/>.
/// </summary>
public readonly struct Proof
{
    public readonly G1Affine A;
    public readonly G2Affine B;
    public readonly G1Affine C;

    private Proof(in G1Affine a, in G2Affine b, in G1Affine c) { A = a; B = b; C = c; }

    public static VerifyError TryCreate(in G1Affine a, in G2Affine b, in G1Affine c, out Proof proof)
    {
        proof = default;
        if (a.IsInfinity || b.IsInfinity || c.IsInfinity) return VerifyError.PointAtInfinity;
        if (!a.IsOnCurve() || !c.IsOnCurve() || !b.IsOnCurve()) return VerifyError.PointNotOnCurve;
        if (!b.IsInSubgroup()) return VerifyError.PointNotInSubgroup;
        proof = new Proof(a, b, c);
        return VerifyError.None;
    }

    /// <summary>Binary form: A (64) ‖ B (128) ‖ C (64), big-endian, EIP-197 order for B.</summary>
    public const int EncodedSize = PointEncoding.G1Size + PointEncoding.G2Size + PointEncoding.G1Size;

    public static VerifyError TryRead(ReadOnlySpan<byte> src, out Proof proof)
    {
        proof = default;
        if (src.Length != EncodedSize) return VerifyError.Malformed;
        var e = Map(PointEncoding.TryReadG1(src[..64], out var a));
        if (e != VerifyError.None) return e;
        e = Map(PointEncoding.TryReadG2(src.Slice(64, 128), out var b));
        if (e != VerifyError.None) return e;
        e = Map(PointEncoding.TryReadG1(src.Slice(192, 64), out var c));
        if (e != VerifyError.None) return e;
        return FromCheckedPoints(a, b, c, out proof);
    }

    /// <summary>
    /// For points a reader has already checked (canonical, on curve, B in the subgroup): only the
    /// infinity rule remains, so the G2 subgroup test is not paid twice.
    /// </summary>
    internal static VerifyError FromCheckedPoints(in G1Affine a, in G2Affine b, in G1Affine c, out Proof proof)
    {
        proof = default;
        if (a.IsInfinity || b.IsInfinity || c.IsInfinity) return VerifyError.PointAtInfinity;
        proof = new Proof(a, b, c);
        return VerifyError.None;
    }

    public void Write(Span<byte> dst)
    {
        PointEncoding.WriteG1(A, dst[..64]);
        PointEncoding.WriteG2(B, dst.Slice(64, 128));
        PointEncoding.WriteG1(C, dst.Slice(192, 64));
    }

    internal static VerifyError Map(PointError e) => e switch
    {
        PointError.None => VerifyError.None,
        PointError.NonCanonicalCoordinate => VerifyError.NonCanonicalFieldElement,
        PointError.NotOnCurve => VerifyError.PointNotOnCurve,
        PointError.NotInSubgroup => VerifyError.PointNotInSubgroup,
        PointError.Infinity => VerifyError.PointAtInfinity,
        _ => VerifyError.Malformed,
    };
}
