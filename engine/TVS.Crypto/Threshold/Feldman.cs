using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>Feldman verification: s·G = Σ_k j^k·C_k.</summary>
public static class Feldman
{
    /// <summary>Σ_k j^k·C_k: the commitment to f(j), computable by anyone.</summary>
    public static RistrettoPoint ShareCommitment(ReadOnlySpan<RistrettoPoint> commitments, int j)
    {
        // Horner in the exponent: ((C_{t−1}·j + C_{t−2})·j + …)·j + C_0.
        var x = RistrettoScalar.FromUInt64((ulong)j);
        var acc = commitments[^1];
        for (int k = commitments.Length - 2; k >= 0; k--) acc = RistrettoPoint.Multiply(x, acc) + commitments[k];
        return acc;
    }

    public static bool Verify(ReadOnlySpan<RistrettoPoint> commitments, int j, in RistrettoScalar share) =>
        RistrettoPoint.MultiplyBase(share) == ShareCommitment(commitments, j);
}
