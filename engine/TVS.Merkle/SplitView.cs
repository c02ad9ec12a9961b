namespace TVS.Merkle;

/// <summary>What comparing two signed checkpoints of one log found.</summary>
public enum SplitViewKind
{
    /// <summary>Consistent: same tree, or the larger extends the smaller by the proof supplied.</summary>
    Consistent,

    /// <summary>Both signed by the log at one size with different roots: a fork, proven by the two notes alone.</summary>
    SameSizeDifferentRoots,

    /// <summary>Different sizes and the consistency proof supplied (smaller → larger) does not verify.</summary>
    Inconsistent,

    /// <summary>Different sizes and no proof supplied: ask the log (or a monitor) for one.</summary>
    NeedProof,
}

/// <summary>
/// The result of <see cref="SplitView.Compare"/>: the two checkpoints (in note order), each
/// note's text as given (the evidence: both carry the log's signature, and their cosignatures
/// show which witnesses were shown which tree), and the verified cosigners of each.
/// </summary>
public sealed record SplitViewReport(
    SplitViewKind Kind,
    Checkpoint A,
    Checkpoint B,
    string NoteA,
    string NoteB,
    IReadOnlyList<Hash256> Proof,
    CosignatureCheck CosignersA,
    CosignatureCheck CosignersB)
{
    /// <summary>True when the log showed two views that cannot both be true.</summary>
    public bool IsFork => Kind is SplitViewKind.SameSizeDifferentRoots or SplitViewKind.Inconsistent;

    /// <summary>A description for an alert.</summary>
    public override string ToString() => Kind switch
    {
        SplitViewKind.SameSizeDifferentRoots => $"split view of {A.Origin}: size {A.Size} has root {A.Root.ToBase64()} (cosigned by {Names(CosignersA)}) and root {B.Root.ToBase64()} (cosigned by {Names(CosignersB)})",
        SplitViewKind.Inconsistent => $"split view of {A.Origin}: the proof from size {Math.Min(A.Size, B.Size)} to {Math.Max(A.Size, B.Size)} does not verify (cosigned by {Names(CosignersA)} and {Names(CosignersB)})",
        SplitViewKind.NeedProof => $"{A.Origin}: sizes {A.Size} and {B.Size}: a consistency proof is needed to compare",
        _ => $"{A.Origin}: sizes {A.Size} and {B.Size} are consistent",
    };

    private static string Names(CosignatureCheck c) => c.Cosigners.Count == 0 ? "no listed witness" : string.Join(", ", c.Cosigners.Select(w => w.Witness.Name));
}

/// <summary>
/// Split-view detection: when two cosigned checkpoints of one log meet (a voter's receipt and the
/// public board, two witnesses' latest checkpoints, two monitors), they must describe one
/// append-only tree. Both notes must carry a valid signature of the log's key, so a fork found
/// here is the log's own signed statement of two views.
/// </summary>
public static class SplitView
{
    /// <summary>
    /// Compares two signed checkpoint notes of one origin. Same size: the roots must be equal.
    /// Different sizes: <paramref name="proof"/> must be the RFC 9162 consistency proof from the
    /// smaller to the larger (from the log, a mirror or a witness's caller); a proof that does not
    /// verify reports <see cref="SplitViewKind.Inconsistent"/> (evidence as strong as the proof's
    /// source: the log cannot show the trees consistent with it); none reports
    /// <see cref="SplitViewKind.NeedProof"/>. Throws <see cref="NoteException"/> when a note is
    /// malformed, not signed by <paramref name="log"/>, or the origins differ.
    /// </summary>
    public static SplitViewReport Compare(string noteA, string noteB, NoteVerifier log, IReadOnlyList<CosignatureVerifier> witnesses, IReadOnlyList<Hash256>? proof = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(witnesses);
        Checkpoint a = Checkpoint.Open(noteA, log);
        Checkpoint b = Checkpoint.Open(noteB, log, a.Origin);
        CosignatureCheck ca = Cosignatures.Check(noteA, witnesses, 1);
        CosignatureCheck cb = Cosignatures.Check(noteB, witnesses, 1);
        IReadOnlyList<Hash256> p = proof ?? [];
        SplitViewKind kind;
        if (a.Size == b.Size)
        {
            kind = a.Root == b.Root ? SplitViewKind.Consistent : SplitViewKind.SameSizeDifferentRoots;
        }
        else
        {
            (Checkpoint small, Checkpoint large) = a.Size < b.Size ? (a, b) : (b, a);
            if (small.Size == 0)
            {
                kind = small.Root == Rfc9162.EmptyRoot ? SplitViewKind.Consistent : SplitViewKind.Inconsistent;
            }
            else if (proof is null)
            {
                kind = SplitViewKind.NeedProof;
            }
            else
            {
                kind = Rfc9162.VerifyConsistency(small.Size, large.Size, small.Root, large.Root, p.ToArray())
                    ? SplitViewKind.Consistent
                    : SplitViewKind.Inconsistent;
            }
        }
        return new SplitViewReport(kind, a, b, noteA, noteB, p, ca, cb);
    }
}
