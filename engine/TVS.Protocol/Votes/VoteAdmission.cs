using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Engine.Votes;

/// <summary>
/// An election's acceptance rules after the envelope is open: a verification key per tree depth
/// (unknown_depth), the set of accepted signed roots (unknown_root), and the Groth16 check with
/// the signals derived from the record. Roots may be added while votes flow (reads and the
/// occasional add are synchronised by a copy-on-write set).
/// </summary>
public sealed class VoteAdmission
{
    private readonly VerifyingKey?[] _keys = new VerifyingKey?[VoteRecord.MaxDepth + 1];
    private HashSet<Fr> _roots = [];
    private readonly Lock _rootsLock = new();

    public VoteAdmission(Guid electionId)
    {
        ElectionId = electionId;
        ScopeHash = SemaphoreSignals.ScopeHash(electionId);
    }

    public Guid ElectionId { get; }
    public Fr ScopeHash { get; }

    public void SetKey(int depth, VerifyingKey key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, VoteRecord.MinDepth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, VoteRecord.MaxDepth);
        ArgumentNullException.ThrowIfNull(key);
        if (key.PublicInputCount != SemaphoreSignals.Count)
        {
            throw new ArgumentException("a Semaphore key has 4 public inputs", nameof(key));
        }
        _keys[depth] = key;
    }

    /// <summary>Accepts a (signed) registry root.</summary>
    public void AddRoot(in Fr root)
    {
        lock (_rootsLock)
        {
            var next = new HashSet<Fr>(_roots) { root };
            Volatile.Write(ref _roots, next);
        }
    }

    /// <summary>unknown_depth / unknown_root, before any proof work; the key for the depth on success.</summary>
    public VoteRejectReason Check(in VoteRecord record, out VerifyingKey? key)
    {
        key = (uint)record.Depth < (uint)_keys.Length ? _keys[record.Depth] : null;
        if (key is null)
        {
            return VoteRejectReason.UnknownDepth;
        }
        if (!Volatile.Read(ref _roots).Contains(record.Root))
        {
            key = null;
            return VoteRejectReason.UnknownRoot;
        }
        return default;
    }

    /// <summary>
    /// Check, then the proof decoded from <paramref name="recordBytes"/> (the plaintext the record
    /// was parsed from) and one single Groth16 verification against the derived signals. The
    /// engine's verify stage does the same in batches.
    /// </summary>
    public VoteRejectReason Verify(in VoteRecord record, ReadOnlySpan<byte> recordBytes)
    {
        var reason = Check(record, out var key);
        if (!reason.IsAccepted)
        {
            return reason;
        }
        return VoteRejectReason.Proof(VoteProofs.Verify(key!, recordBytes, record, ScopeHash));
    }
}
