using System.Diagnostics;
using TVS.Engine.Pipeline;
using TVS.Engine.Ports;
using TVS.Engine.Votes;

namespace TVS.Engine.Processing;

/// <summary>
/// Stage 5, the nullifier store's single writer: first valid vote wins. A vote whose nullifier is
/// already accepted is a duplicate whatever else is wrong with its proof, so the reason does not
/// depend on whether the pre-check happened to see the earlier vote (verdicts are a function of
/// the input alone, which recovery relies on). An accepted vote gets the next MMR index.
/// </summary>
/// <remarks>
/// At a <see cref="SlotKind.Checkpoint"/> marker everything before it is durable (the ingest
/// thread publishes the marker only once the Sync just ahead of it is; the stage checks), and the
/// store is checkpointed with the input offset to resume from: a nullifier checkpoint is never
/// ahead of committed progress.
/// </remarks>
public struct CommitStage : IBatchHandler<VoteSlot>
{
    private readonly PartitionContext _ctx;
    private long _nextIndex;

    public CommitStage(PartitionContext ctx, long nextIndex)
    {
        _ctx = ctx;
        _nextIndex = nextIndex;
    }

    public void OnBatch(Span<VoteSlot> batch, long firstSequence)
    {
        long start = Stopwatch.GetTimestamp();
        var store = _ctx.Nullifiers;
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            switch (s.Kind)
            {
                case SlotKind.Vote:
                    Commit(ref s, store);
                    break;
                case SlotKind.Checkpoint:
                    if (_ctx.Durable.Value < firstSequence + i - 1)
                    {
                        Environment.FailFast("TVS engine: a nullifier checkpoint marker arrived before the Sync ahead of it was durable");
                    }
                    s.NullifierCheckpoint = store.Checkpoint(s.NextOffset);
                    break;
            }
        }
        _ctx.Stats.AddStage(Stage.Commit, Stopwatch.GetTimestamp() - start, batch.Length);
    }

    private void Commit(ref VoteSlot s, INullifierStore store)
    {
        if (s.Reason.IsAccepted)
        {
            if (s.KnownNullifier)
            {
                s.Reason = VoteRejectReason.Duplicate;
                return;
            }
            var result = store.TryInsert(Nullifier.FromBytes(s.Record.NullifierBytes), _nextIndex);
            if (result.IsInserted)
            {
                s.MmrIndex = _nextIndex++;
            }
            else
            {
                s.Reason = VoteRejectReason.Duplicate;
            }
        }
        else if (s.Reason.Kind == VoteRejectKind.Proof && store.TryGet(Nullifier.FromBytes(s.Record.NullifierBytes), out _))
        {
            s.Reason = VoteRejectReason.Duplicate;
        }
    }
}

/// <summary>
/// Stage 6: MMR append (the vote's index must be the one the commit stage gave it). Publishes the
/// MMR's size and root on the last slot of each batch and on every marker, where the flush stage
/// may commit; at a Sync marker fsyncs the node file so the coming nullifier checkpoint never
/// names more leaves than are on disk.
/// </summary>
internal struct AppendStage : IBatchHandler<VoteSlot>
{
    private readonly PartitionContext _ctx;
    private readonly long _checkRootAtSize;

    /// <param name="checkRootAtSize">MMR size whose root must equal the committed progress' root (replay check), or −1.</param>
    public AppendStage(PartitionContext ctx, long checkRootAtSize)
    {
        _ctx = ctx;
        _checkRootAtSize = checkRootAtSize;
        ctx.Stats.MmrLeaves = ctx.Mmr.LeafCount;
    }

    public readonly void OnBatch(Span<VoteSlot> batch, long firstSequence)
    {
        long start = Stopwatch.GetTimestamp();
        var mmr = _ctx.Mmr;
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            s.HasRoot = false;
            if (s.IsLiveVote)
            {
                long index = mmr.AppendLeafHash(s.LeafHash);
                if (index != s.MmrIndex)
                {
                    Diverged($"MMR index {index} appended for a vote the commit stage numbered {s.MmrIndex}");
                }
                if (mmr.LeafCount == _checkRootAtSize && mmr.Root != _ctx.Committed.MmrRoot)
                {
                    Diverged($"replay reached MMR size {_checkRootAtSize} with root {mmr.Root} but the committed root is {_ctx.Committed.MmrRoot}");
                }
            }
            else if (s.Kind != SlotKind.Vote)
            {
                if (s.Kind == SlotKind.Sync)
                {
                    mmr.Flush();
                }
                SetRoot(ref s, mmr);
            }
        }
        SetRoot(ref batch[^1], mmr);
        _ctx.Stats.MmrLeaves = mmr.LeafCount;
        _ctx.Stats.AddStage(Stage.Append, Stopwatch.GetTimestamp() - start, batch.Length);
    }

    private static void SetRoot(ref VoteSlot s, Merkle.MerkleMountainRange mmr)
    {
        s.HasRoot = true;
        s.MmrSizeAfter = mmr.LeafCount;
        s.MmrRootAfter = mmr.Root;
    }

    /// <summary>Replay produced a different history: stop at once rather than publish a second truth.</summary>
    private static void Diverged(string what) => Environment.FailFast("TVS engine: " + what);
}
