namespace TVS.Crypto.Threshold;

public enum ShareCheck
{
    Ok,
    Undecryptable,
    NotCanonical,
    /// <summary>s_ij·G ≠ Σ_k j^k·C_ik: the dealer sent a share off its committed polynomial.</summary>
    Mismatch,
}
