namespace TVS.Crypto.Threshold;

/// <summary>What recipient j found when it opened its share of a deal (<see cref="Deal.OpenShare"/>).</summary>
public enum ShareCheck
{
    Ok,
    Undecryptable,
    NotCanonical,
    /// <summary>s_ij·G ≠ Σ_k j^k·C_ik: the dealer sent a share off its committed polynomial.</summary>
    Mismatch,
}
