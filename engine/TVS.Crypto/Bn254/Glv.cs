using System.Numerics;

namespace TVS.Crypto.Bn254;

/// <summary>
/// The GLV endomorphism of G1: φ(x, y) = (β·x, y) = [λ](x, y), β a cube root of unity in Fp and λ
/// one modulo r. Both are derived at start-up (and matched to each other) rather than typed in.
/// Batch verification draws its random scalars directly as k₁ + k₂·λ with 64-bit k₁, k₂, so a
/// 128-bit-entropy scalar multiplication costs 64 doublings instead of 128.
/// </summary>
public static class Glv
{
    public static readonly Fp Beta;
    public static readonly BigInteger Lambda;
    public static readonly Fr LambdaFr;

    static Glv()
    {
        var p = Fp.Modulus;
        var r = Fr.Modulus;
        BigInteger beta = 1, lambda = 1;
        for (int g = 2; beta == 1; g++) beta = BigInteger.ModPow(g, (p - 1) / 3, p);
        for (int g = 2; lambda == 1; g++) lambda = BigInteger.ModPow(g, (r - 1) / 3, r);
        var gen = G1Affine.Generator;
        var lg = G1Jac.ScalarMul(gen, lambda).ToAffine();
        if (!lg.X.Equals(Fp.FromBigInteger(beta) * gen.X)) beta = beta * beta % p;
        Beta = Fp.FromBigInteger(beta);
        Lambda = lambda;
        LambdaFr = Fr.FromBigInteger(lambda);
    }

    public static G1Affine Endomorphism(in G1Affine a) => a.IsInfinity ? a : new G1Affine(Beta * a.X, a.Y);

    /// <summary>The scalar k₁ + k₂·λ mod r as an Fr element.</summary>
    public static Fr Combine(ulong k1, ulong k2)
    {
        Fr.TryFromCanonical(new Limbs4(k1, 0, 0, 0), out var a);
        Fr.TryFromCanonical(new Limbs4(k2, 0, 0, 0), out var b);
        return a + b * LambdaFr;
    }

    /// <summary>[k₁]A + [k₂]φ(A), Shamir's trick over the 64 bits: 64 doublings.</summary>
    public static G1Jac Mul(in G1Affine a, ulong k1, ulong k2)
    {
        if (a.IsInfinity) return G1Jac.Infinity;
        var phi = Endomorphism(a);
        var both = G1Jac.FromAffine(a).AddMixed(in phi);
        var acc = G1Jac.Infinity;
        int top = 63 - Math.Min(BitOperations.LeadingZeroCount(k1), BitOperations.LeadingZeroCount(k2));
        for (int i = top; i >= 0; i--)
        {
            acc = acc.Double();
            int sel = (int)((k1 >> i) & 1) | (int)(((k2 >> i) & 1) << 1);
            if (sel == 1) acc = acc.AddMixed(in a);
            else if (sel == 2) acc = acc.AddMixed(in phi);
            else if (sel == 3) acc = acc.Add(in both);
        }
        return acc;
    }
}
