namespace TVS.Crypto.Groth16;

/// <summary>Why a Groth16 input or proof was refused. Stable codes: they appear in dead letters and CLI output.</summary>
public enum VerifyError
{
    None = 0,
    /// <summary>Not parseable: not JSON, a missing field, a non-decimal number, a wrong shape.</summary>
    Malformed,
    /// <summary>A field element written as a value ≥ its modulus (or with a sign or leading zeros).</summary>
    NonCanonicalFieldElement,
    PointNotOnCurve,
    PointNotInSubgroup,
    PointAtInfinity,
    /// <summary>A public signal ≥ r.</summary>
    PublicSignalOutOfRange,
    WrongPublicSignalCount,
    /// <summary>A verification key that is not a usable Groth16 key (γ = δ, wrong IC length, wrong protocol or curve).</summary>
    InvalidVerifyingKey,
    /// <summary>Well-formed, but the pairing equation does not hold.</summary>
    PairingCheckFailed,
}

public static class VerifyErrorText
{
    public static string Describe(this VerifyError e) => e switch
    {
        VerifyError.None => "ok",
        VerifyError.Malformed => "malformed input",
        VerifyError.NonCanonicalFieldElement => "non-canonical field element",
        VerifyError.PointNotOnCurve => "point not on curve",
        VerifyError.PointNotInSubgroup => "G2 point not in the prime-order subgroup",
        VerifyError.PointAtInfinity => "point at infinity",
        VerifyError.PublicSignalOutOfRange => "public signal not below the scalar field modulus r",
        VerifyError.WrongPublicSignalCount => "wrong number of public signals",
        VerifyError.InvalidVerifyingKey => "invalid verification key",
        VerifyError.PairingCheckFailed => "pairing check failed",
        _ => e.ToString(),
    };

    /// <summary>Stable snake_case code for machines.</summary>
    public static string Code(this VerifyError e) => e switch
    {
        VerifyError.None => "ok",
        VerifyError.Malformed => "malformed",
        VerifyError.NonCanonicalFieldElement => "non_canonical",
        VerifyError.PointNotOnCurve => "not_on_curve",
        VerifyError.PointNotInSubgroup => "not_in_subgroup",
        VerifyError.PointAtInfinity => "infinity",
        VerifyError.PublicSignalOutOfRange => "public_out_of_range",
        VerifyError.WrongPublicSignalCount => "public_count",
        VerifyError.InvalidVerifyingKey => "bad_vk",
        VerifyError.PairingCheckFailed => "bad_proof",
        _ => "unknown",
    };
}
