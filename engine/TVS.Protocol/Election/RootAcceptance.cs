using TVS.Engine.Votes;

namespace TVS.Engine.Election;

/// <summary>Why a signed root was refused (docs/formats.md, "Signed registry root").</summary>
public enum RootRefusal
{
    None = 0,
    /// <summary>The statement names another election.</summary>
    WrongElection,
    /// <summary>The statement is malformed (size, depth, zero root).</summary>
    BadStatement,
    /// <summary>A signature entry names an issuer index the election does not have.</summary>
    UnknownIssuer,
    /// <summary>A signature does not verify under its issuer's key over these signed bytes.</summary>
    BadSignature,
    /// <summary>Fewer than t distinct issuers signed.</summary>
    TooFewSignatures,
}

/// <summary>The verdict on one signed root: accepted, or the reason and a human detail.</summary>
public readonly record struct RootVerdict(RootRefusal Refusal, string Detail, int DistinctIssuers)
{
    public bool Accepted => Refusal == RootRefusal.None;

    /// <summary>Stable snake_case code (wrong_election, bad_statement, unknown_issuer, bad_signature, too_few_signatures).</summary>
    public string Code => Refusal switch
    {
        RootRefusal.None => "accepted",
        RootRefusal.WrongElection => "wrong_election",
        RootRefusal.BadStatement => "bad_statement",
        RootRefusal.UnknownIssuer => "unknown_issuer",
        RootRefusal.BadSignature => "bad_signature",
        _ => "too_few_signatures",
    };

    public override string ToString() => Accepted ? $"accepted ({DistinctIssuers} issuers)" : $"{Code}: {Detail}";
}

/// <summary>
/// The rule that makes a registry root acceptable (docs/design.md, Actors): valid Ed25519 signatures
/// of at least t DISTINCT issuers of this election over the canonical statement. Any entry that
/// is not a valid signature of a known issuer refuses the whole root: a collected file is made
/// by checking each endorsement first (<c>tvs issuer collect</c>), so a bad entry means a broken
/// or tampered file, which should be looked at, not silently trimmed. Several entries of one
/// issuer (even with different valid signatures: Ed25519 signers may be randomised) count once.
/// The engine's root set is filled only through <see cref="AcceptInto"/>.
/// </summary>
public sealed class RootAcceptance
{
    public RootAcceptance(Guid electionId, IssuerSet issuers)
    {
        ElectionId = electionId;
        Issuers = issuers ?? throw new ArgumentNullException(nameof(issuers));
    }

    public Guid ElectionId { get; }
    public IssuerSet Issuers { get; }

    public RootVerdict Evaluate(SignedRoot signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        var s = signed.Statement;
        if (s.ElectionId != ElectionId) return new(RootRefusal.WrongElection, $"signed for election {s.ElectionId:D}, not {ElectionId:D}", 0);
        var why = s.Validate();
        if (why != null) return new(RootRefusal.BadStatement, why, 0);
        var bytes = s.ToSignedBytes();
        var distinct = new HashSet<int>();
        foreach (var sig in signed.Signatures)
        {
            if (sig.Issuer < 1 || sig.Issuer > Issuers.Count) return new(RootRefusal.UnknownIssuer, $"issuer {sig.Issuer} is not one of the election's {Issuers.Count} issuers", 0);
            if (!Issuers.Verify(sig.Issuer, bytes, sig.Signature)) return new(RootRefusal.BadSignature, $"issuer {sig.Issuer}'s signature does not verify over this statement", 0);
            distinct.Add(sig.Issuer);
        }
        if (distinct.Count < Issuers.Threshold)
        {
            int duplicates = signed.Signatures.Count - distinct.Count;
            return new(RootRefusal.TooFewSignatures,
                $"{distinct.Count} distinct issuers signed, {Issuers.Threshold} required" + (duplicates > 0 ? $" ({duplicates} duplicate entries counted once)" : ""), distinct.Count);
        }
        return new(RootRefusal.None, "", distinct.Count);
    }

    /// <summary>Adds the root to <paramref name="admission"/> only if it is accepted; returns the verdict.</summary>
    public RootVerdict AcceptInto(VoteAdmission admission, SignedRoot signed)
    {
        ArgumentNullException.ThrowIfNull(admission);
        if (admission.ElectionId != ElectionId) throw new ArgumentException("the admission is for another election", nameof(admission));
        var verdict = Evaluate(signed);
        if (verdict.Accepted) admission.AddRoot(signed.Statement.Root);
        return verdict;
    }
}
