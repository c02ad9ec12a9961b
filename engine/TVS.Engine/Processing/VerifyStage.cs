using System.Diagnostics;
using TVS.Crypto.Groth16;
using TVS.Engine.Pipeline;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Processing;

/// <summary>
/// Stage 4, run by N worker threads: decode each proof (the G2 subgroup test happens here, on
/// many cores), derive the Semaphore signals, verify in Groth16 batches, and hash the leaf of
/// every vote that passed. One instance per worker; its buffers are sized once.
/// </summary>
/// <remarks>
/// A batch with a bad proof costs a split and re-checks, so the worker sizes its batches from the
/// bad-proof rate f it has seen recently. With m the per-proof cost of a batch and F its fixed
/// cost (final exponentiation, the key's pairings), a batch of n costs about
/// m + F/n + 1.15·n·f·m + 16·f·F per proof (one bad proof re-checks the batch in eight parts), which
/// is least at n = √(F / (1.15·f·m)) ≈ √(2/f) with this machine's F ≈ 2.3·m
/// (docs/pipeline.md, "Verify stage"). Clean traffic gets the largest batches.
/// </remarks>
internal sealed class VerifyWorker
{
    private readonly PartitionContext _ctx;
    private readonly ProofBatch _proofs;
    private readonly int _maxBatch;
    private double _badRate;

    public VerifyWorker(PartitionContext ctx, int maxBatch)
    {
        _ctx = ctx;
        _maxBatch = maxBatch;
        _proofs = VoteProofs.NewBatch(maxBatch);
    }

    /// <summary>Recent fraction of refused proofs (exponentially weighted over ~256 proofs).</summary>
    public double BadRate => _badRate;

    /// <summary>Largest batch worth attempting at the current bad-proof rate.</summary>
    public int BatchSize => _badRate * _maxBatch * _maxBatch <= 2 ? _maxBatch : Math.Clamp((int)Math.Round(Math.Sqrt(2 / _badRate)), 1, _maxBatch);

    public void Process(Span<VoteSlot> batch)
    {
        long start = Stopwatch.GetTimestamp();
        int verified = 0, refused = 0;
        int size = BatchSize;
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            if (!s.IsLiveVote || s.KnownNullifier)
            {
                continue;
            }
            var e = VoteProofs.TryAdd(_proofs, s.Key!, _ctx.PlaintextOf(s), s.Record, _ctx.Opener.ScopeHash, tag: i);
            if (e != VerifyError.None)
            {
                s.Reason = VoteRejectReason.Proof(e);
                refused++;
                Learn(bad: true);
                continue;
            }
            if (_proofs.Count == size)
            {
                verified += _proofs.Count;
                refused += Flush(batch);
                size = BatchSize;
            }
        }
        if (_proofs.Count > 0)
        {
            verified += _proofs.Count;
            refused += Flush(batch);
        }
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            if (s.IsLiveVote && !s.KnownNullifier)
            {
                s.LeafHash = Rfc9162.HashLeaf(_ctx.PlaintextOf(s));
            }
        }
        var stats = _ctx.Stats;
        Interlocked.Add(ref stats.ProofsVerified, verified);
        Interlocked.Add(ref stats.ProofsRefused, refused);
        // Several verify threads share the counters: atomically.
        Interlocked.Add(ref stats.StageTicks[(int)Stage.Verify], Stopwatch.GetTimestamp() - start);
        Interlocked.Add(ref stats.StageRecords[(int)Stage.Verify], batch.Length);
    }

    private int Flush(Span<VoteSlot> batch)
    {
        var verdicts = _proofs.Verify(out var slots);
        int refused = 0;
        for (int k = 0; k < verdicts.Length; k++)
        {
            bool bad = verdicts[k] != VerifyError.None;
            if (bad)
            {
                batch[slots[k]].Reason = VoteRejectReason.Proof(verdicts[k]);
                refused++;
            }
            Learn(bad);
        }
        return refused;
    }

    private void Learn(bool bad) => _badRate += ((bad ? 1.0 : 0.0) - _badRate) / 256;
}

/// <summary>The verify stage's handler: a thin struct over its worker's state.</summary>
internal readonly struct VerifyStage : IBatchHandler<VoteSlot>
{
    private readonly VerifyWorker _worker;

    public VerifyStage(VerifyWorker worker) => _worker = worker;

    public void OnBatch(Span<VoteSlot> batch, long firstSequence) => _worker.Process(batch);
}
