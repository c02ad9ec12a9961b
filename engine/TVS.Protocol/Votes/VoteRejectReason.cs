using TVS.Crypto.Groth16;

namespace TVS.Engine.Votes;

/// <summary>The kinds of refusal of a vote record (docs/formats.md, "Vote record (v1)", reason codes).</summary>
public enum VoteRejectKind : byte
{
    None = 0,
    /// <summary>Framing, magic, version, flags, a length, trailing bytes, a root or nullifier ≥ r.</summary>
    Malformed,
    /// <summary>HPKE open failed: wrong key, wrong election, tampered, clear key changed.</summary>
    Envelope,
    /// <summary>The sealed nullifier differs from the clear record key.</summary>
    NullifierMismatch,
    /// <summary>The sealed election id is not the engine's election.</summary>
    WrongElection,
    /// <summary>No verification key for the record's tree depth.</summary>
    UnknownDepth,
    /// <summary>The root is not one of the election's accepted (signed) roots.</summary>
    UnknownRoot,
    /// <summary>The proof was refused: see <see cref="VoteRejectReason.ProofError"/>.</summary>
    Proof,
    /// <summary>The nullifier already has an accepted vote (first valid vote wins).</summary>
    Duplicate,
}

/// <summary>
/// Why a vote was refused: a kind and, for <see cref="VoteRejectKind.Proof"/>, the Groth16
/// <see cref="VerifyError"/>. Two bytes, no allocation; <see cref="Code"/> gives the stable
/// snake_case code that dead letters carry.
/// </summary>
public readonly struct VoteRejectReason : IEquatable<VoteRejectReason>
{
    public VoteRejectKind Kind { get; }

    /// <summary>The proof's own error when <see cref="Kind"/> is <see cref="VoteRejectKind.Proof"/>, else None.</summary>
    public VerifyError ProofError { get; }

    private VoteRejectReason(VoteRejectKind kind, VerifyError proofError)
    {
        Kind = kind;
        ProofError = proofError;
    }

    public bool IsAccepted => Kind == VoteRejectKind.None;

    public static VoteRejectReason None => default;
    public static VoteRejectReason Malformed => new(VoteRejectKind.Malformed, VerifyError.None);
    public static VoteRejectReason Envelope => new(VoteRejectKind.Envelope, VerifyError.None);
    public static VoteRejectReason NullifierMismatch => new(VoteRejectKind.NullifierMismatch, VerifyError.None);
    public static VoteRejectReason WrongElection => new(VoteRejectKind.WrongElection, VerifyError.None);
    public static VoteRejectReason UnknownDepth => new(VoteRejectKind.UnknownDepth, VerifyError.None);
    public static VoteRejectReason UnknownRoot => new(VoteRejectKind.UnknownRoot, VerifyError.None);
    public static VoteRejectReason Duplicate => new(VoteRejectKind.Duplicate, VerifyError.None);

    /// <summary>A proof refusal; <see cref="VerifyError.None"/> maps to <see cref="None"/>.</summary>
    public static VoteRejectReason Proof(VerifyError error)
        => error == VerifyError.None ? default : new(VoteRejectKind.Proof, error);

    /// <summary>Stable snake_case code: "ok", "malformed", …, the proof's <see cref="VerifyErrorText.Code"/>, "duplicate".</summary>
    public string Code() => Kind switch
    {
        VoteRejectKind.None => "ok",
        VoteRejectKind.Malformed => "malformed",
        VoteRejectKind.Envelope => "envelope",
        VoteRejectKind.NullifierMismatch => "nullifier_mismatch",
        VoteRejectKind.WrongElection => "wrong_election",
        VoteRejectKind.UnknownDepth => "unknown_depth",
        VoteRejectKind.UnknownRoot => "unknown_root",
        VoteRejectKind.Proof => ProofError.Code(),
        VoteRejectKind.Duplicate => "duplicate",
        _ => "unknown",
    };

    public bool Equals(VoteRejectReason other) => Kind == other.Kind && ProofError == other.ProofError;
    public override bool Equals(object? obj) => obj is VoteRejectReason r && Equals(r);
    public override int GetHashCode() => ((int)Kind << 8) | (int)ProofError;
    public static bool operator ==(VoteRejectReason a, VoteRejectReason b) => a.Equals(b);
    public static bool operator !=(VoteRejectReason a, VoteRejectReason b) => !a.Equals(b);
    public override string ToString() => Code();
}
