namespace TVS.Crypto.Bn254;

/// <summary>What only the base field needs: square roots (p ≡ 3 mod 4) and the encodings' sign bit.</summary>
public partial struct Fp
{
    /// <summary>A class of its own so that it is initialised after <see cref="Modulus"/>, which lives in the other part.</summary>
    private static class SqrtExponent
    {
        internal static readonly Limbs4 Value = Limbs4.FromBigInteger((Modulus + 1) / 4);
    }

    /// <summary>Square root for p ≡ 3 (mod 4): x^((p+1)/4); false when x is not a square.</summary>
    public readonly bool TrySqrt(out Fp root)
    {
        root = Pow(in SqrtExponent.Value);
        return root.Squared().Equals(this);
    }

    /// <summary>Legendre symbol via Euler's criterion: true for squares (and zero).</summary>
    public readonly bool IsSquare() => TrySqrt(out _);

    /// <summary>The "sign" used by point encodings: the canonical value is odd.</summary>
    public readonly bool IsOddCanonical => (ToCanonical().L0 & 1) != 0;
}
