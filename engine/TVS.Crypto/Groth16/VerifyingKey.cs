using TVS.Crypto.Bn254;

namespace TVS.Crypto.Groth16;

/// <summary>
/// A checked Groth16 verification key with what verification needs precomputed: the Miller
/// loop lines of β, γ and δ, and the Miller loop value of (α, β).
/// </summary>
public sealed class VerifyingKey
{
    public G1Affine Alpha { get; }
    public G2Affine Beta { get; }
    public G2Affine Gamma { get; }
    public G2Affine Delta { get; }
    private readonly G1Affine[] _ic;
    public ReadOnlySpan<G1Affine> IC => _ic;
    public int PublicInputCount => _ic.Length - 1;

    /// <summary>Fixed-base tables of the IC points and α: vk_x costs additions only.</summary>
    internal G1FixedBase[] ICTables { get; }
    internal G1FixedBase AlphaTable { get; }
    internal G2Prepared BetaPrepared { get; }
    internal G2Prepared GammaPrepared { get; }
    internal G2Prepared DeltaPrepared { get; }
    /// <summary>Σ scalars[i]·IC[i] with the fixed-base tables (scalars plain, IC.Length of them).</summary>
    internal G1Jac ICCombination(ReadOnlySpan<Limbs4> scalars)
    {
        var acc = G1Jac.Infinity;
        for (int i = 0; i < scalars.Length; i++) ICTables[i].MulAdd(ref acc, in scalars[i]);
        return acc;
    }

    /// <summary>Miller loop of (α, β); multiplying it in makes the check "final exponentiation is 1".</summary>
    internal Fp12 AlphaBetaMiller { get; }

    private VerifyingKey(in G1Affine alpha, in G2Affine beta, in G2Affine gamma, in G2Affine delta, G1Affine[] ic)
    {
        Alpha = alpha; Beta = beta; Gamma = gamma; Delta = delta; _ic = ic;
        ICTables = new G1FixedBase[ic.Length];
        for (int i = 0; i < ic.Length; i++) ICTables[i] = new G1FixedBase(ic[i]);
        AlphaTable = new G1FixedBase(alpha);
        BetaPrepared = new G2Prepared(beta);
        GammaPrepared = new G2Prepared(gamma);
        DeltaPrepared = new G2Prepared(delta);
        AlphaBetaMiller = Pairing.MillerLoop(default, default, [alpha], [BetaPrepared], default);
    }

    /// <summary>
    /// Checks every point (on curve, G2 points in the subgroup, none at infinity), γ ≠ δ (a key with
    /// γ = δ lets anyone forge proofs), and at least one IC point.
    /// </summary>
    public static VerifyError TryCreate(in G1Affine alpha, in G2Affine beta, in G2Affine gamma, in G2Affine delta,
        ReadOnlySpan<G1Affine> ic, out VerifyingKey? key)
    {
        key = null;
        if (ic.Length < 1) return VerifyError.InvalidVerifyingKey;
        if (alpha.IsInfinity || beta.IsInfinity || gamma.IsInfinity || delta.IsInfinity) return VerifyError.PointAtInfinity;
        if (!alpha.IsOnCurve() || !beta.IsOnCurve() || !gamma.IsOnCurve() || !delta.IsOnCurve()) return VerifyError.PointNotOnCurve;
        foreach (var p in ic)
            if (!p.IsOnCurve()) return VerifyError.PointNotOnCurve;
        if (!beta.IsInSubgroup() || !gamma.IsInSubgroup() || !delta.IsInSubgroup()) return VerifyError.PointNotInSubgroup;
        if (gamma.Equals(delta)) return VerifyError.InvalidVerifyingKey;
        key = new VerifyingKey(alpha, beta, gamma, delta, ic.ToArray());
        return VerifyError.None;
    }
}
