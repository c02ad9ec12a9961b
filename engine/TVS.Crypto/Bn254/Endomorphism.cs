using System.Numerics;

namespace TVS.Crypto.Bn254;

/// <summary>
/// Two-dimensional scalar decomposition for an endomorphism with eigenvalue λ modulo r:
/// k ≡ k₁ + k₂·λ (mod r) with |k₁|, |k₂| about √r (128 bits), by Babai rounding against a short
/// lattice basis found with the extended Euclidean algorithm (Gallant, Lambert, Vanstone 2001).
/// Used for GLV on G1 (φ, λ a cube root of unity) and GLS on G2 (ψ, eigenvalue p mod r).
/// </summary>
public sealed class ScalarDecomposition
{
    private static readonly BigInteger R = Fr.Modulus;
    private readonly BigInteger _a1, _b1, _a2, _b2;
    public BigInteger Eigenvalue { get; }

    public ScalarDecomposition(BigInteger eigenvalue)
    {
        Eigenvalue = eigenvalue;
        // Extended Euclid on (r, λ): r_i = s_i·r + t_i·λ; stop around √r.
        var sqrt = Sqrt(R);
        BigInteger r0 = R, r1 = eigenvalue, t0 = 0, t1 = 1;
        while (r1 >= sqrt)
        {
            var q = r0 / r1;
            (r0, r1) = (r1, r0 - q * r1);
            (t0, t1) = (t1, t0 - q * t1);
        }
        // now r0 ≥ √r > r1: v1 = (r1, −t1); v2 = the shorter of (r0, −t0) and the next pair
        var q2 = r0 / r1;
        BigInteger r2 = r0 - q2 * r1, t2 = t0 - q2 * t1;
        _a1 = r1; _b1 = -t1;
        if (r0 * r0 + t0 * t0 <= r2 * r2 + t2 * t2) { _a2 = r0; _b2 = -t0; }
        else { _a2 = r2; _b2 = -t2; }
    }

    /// <summary>k ≡ k1 + k2·λ (mod r); both returned as magnitudes with signs.</summary>
    public void Decompose(BigInteger k, out BigInteger k1, out BigInteger k2)
    {
        k %= R;
        if (k.Sign < 0) k += R;
        var det = _a1 * _b2 - _a2 * _b1;
        var c1 = RoundDiv(_b2 * k, det);
        var c2 = RoundDiv(-_b1 * k, det);
        k1 = k - c1 * _a1 - c2 * _a2;
        k2 = -c1 * _b1 - c2 * _b2;
    }

    private static BigInteger RoundDiv(BigInteger a, BigInteger b)
    {
        if (b.Sign < 0) { a = -a; b = -b; }
        var q = BigInteger.DivRem(a, b, out var rem);
        if (2 * BigInteger.Abs(rem) >= b) q += rem.Sign;
        return q;
    }

    /// <summary>⌊√n⌋ by Newton's method (a double's square root is 2⁷⁵ off at this size).</summary>
    private static BigInteger Sqrt(BigInteger n)
    {
        var x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            var y = (x + n / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    /// <summary>GLV on G1: φ(x, y) = (βx, y) = [λ]P.</summary>
    public static readonly ScalarDecomposition G1 = new(Glv.Lambda);

    /// <summary>GLS on G2: ψ = [p mod r] on G2.</summary>
    public static readonly ScalarDecomposition G2 = new(Fp.Modulus % Fr.Modulus);
}
