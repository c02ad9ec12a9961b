using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>The public outcome of a ceremony, identical for every trustee and auditor who runs <see cref="Dkg.Finalize"/> on the same files.</summary>
public sealed record DkgResult(
    DkgParameters Parameters,
    int[] Qualified,
    IReadOnlyDictionary<int, string> Disqualified,
    RistrettoPoint PublicKey,
    RistrettoPoint[] VerificationKeys,
    IReadOnlyDictionary<int, RistrettoPoint[]> Commitments)
{
    /// <summary>Y_j for trustee j (1-based).</summary>
    public RistrettoPoint VerificationKey(int j) => VerificationKeys[j - 1];
}
