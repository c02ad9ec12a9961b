using System.Diagnostics;
using TVS.Engine.Pipeline;
using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Processing;

/// <summary>
/// How a run resumed: the committed progress found, the local checkpoint the input is read again
/// from (after a restore: the one it took at the committed progress), the offset reading starts
/// at, and how many accepted votes were restored from the vote store's history (and how long that took).
/// </summary>
public readonly record struct RecoveryInfo(PartitionProgress Committed, NullifierCheckpoint Checkpoint, long ReplayFrom, long Restored = 0, TimeSpan RestoreTime = default);

/// <summary>
/// One partition's engine: recovers its stores, then runs the ingest thread (the ring's single
/// producer, on the caller's thread) and the stages open → pre-check → verify (N threads) →
/// commit → append → flush (docs/architecture.md, "The life of one vote").
/// </summary>
/// <remarks>
/// Recovery (docs/design.md, "Durability and recovery"): the committed progress P comes from the vote
/// store; the nullifier store returns to its last checkpoint K, which the commit stage only ever
/// takes once everything before it is durable, so K ≤ P; the MMR is cut to K's size (its nodes up
/// to there were fsynced before K was taken). If K is behind P and the vote store keeps its rows
/// (<see cref="IVoteHistory"/>), the accepted votes between them are restored from the store
/// (nullifiers with their indexes, MMR leaves from the records; the root must equal P's), a
/// nullifier checkpoint is taken at P and input is read from P's offset: no proof is verified
/// twice. Otherwise input is read again from K's offset: records before P's offset are re-derived
/// (nullifiers, MMR) but not written again; the MMR root must come out equal to P's at P's size,
/// or the engine stops.
/// </remarks>
public sealed class PartitionEngine
{
    private readonly PartitionContext _ctx;
    private readonly IInputLog _input;
    private readonly IVoteHistory? _history;
    private readonly Guid _electionId;

    public PartitionEngine(
        VoteOpener opener,
        VoteAdmission admission,
        NoteSigner signer,
        string origin,
        EngineOptions options,
        INullifierStore nullifiers,
        MerkleMountainRange mmr,
        IInputLog input,
        IVoteStore votes,
        IBlobSink blobs,
        IDeadLetterSink deadLetters,
        ICheckpointSink checkpoints,
        IVoteHistory? history = null)
    {
        if (opener.ElectionId != admission.ElectionId)
        {
            throw new ArgumentException("opener and admission are for different elections");
        }
        int largest = IInputLog.MaxKey + IInputLog.MaxValue + VoteRecord.MaxPlaintext;
        if (options.ArenaBytes < 4 * largest)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"ArenaBytes must be at least {4 * largest} (four of the largest records)");
        }
        _electionId = opener.ElectionId;
        _input = input;
        // A wrapper around the vote store (Kafka's offset-committing one) passes the inner store's history.
        _history = history ?? votes as IVoteHistory;
        _ctx = new PartitionContext(options, new SlotArena(options.ArenaBytes), opener, admission, nullifiers, mmr, votes, blobs, deadLetters, checkpoints, signer, origin, new EngineStats());
    }

    public EngineStats Stats => _ctx.Stats;

    /// <summary>The last durable progress.</summary>
    public PartitionProgress Progress => _ctx.Progress;

    /// <summary>The last signed checkpoint of this run (null before the first Sync).</summary>
    public string? LastSignedCheckpoint => _ctx.LastSignedCheckpoint;

    public RecoveryInfo Recovery { get; private set; }

    /// <summary>
    /// Recovers, then processes input until <paramref name="stop"/> is cancelled or, with
    /// <paramref name="stopAtEnd"/>, until a complete log is exhausted. Either way it ends with
    /// a Sync (everything durable, a signed checkpoint) and drains the ring before returning.
    /// </summary>
    public void Run(CancellationToken stop, bool stopAtEnd)
    {
        var recovery = RecoverRetrying(stop);
        Recovery = recovery;
        var o = _ctx.Options;
        var wait = new BlockingWaitStrategy();
        var builder = new PipelineBuilder<VoteSlot, BlockingWaitStrategy>(o.RingSize, wait);
        builder.AddStage(new OpenStage(_ctx), name: "open");
        builder.AddStage(new PreCheckStage(_ctx), name: "precheck");
        var workers = new VerifyStage[Math.Max(1, o.VerifyThreads)];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new VerifyStage(new VerifyWorker(_ctx, o.VerifyMaxBatch));
        }
        builder.AddWorkerStage(workers, o.VerifyMaxBatch, name: "verify");
        builder.AddStage(new CommitStage(_ctx, recovery.Checkpoint.Count), name: "commit");
        long checkRoot = recovery.Committed.MmrSize > recovery.Checkpoint.Count ? recovery.Committed.MmrSize : -1;
        builder.AddStage(new AppendStage(_ctx, checkRoot), name: "append");
        var flush = new FlushWorker(_ctx, _electionId, o.Partition, recovery.ReplayFrom, _ctx.Mmr.LeafCount, _ctx.Mmr.Root);
        builder.AddStage(new FlushStage(flush), name: "flush");
        using var pipeline = builder.Build();
        pipeline.Start();
        try
        {
            Ingest(pipeline, recovery.ReplayFrom, stop, stopAtEnd);
        }
        finally
        {
            if (!pipeline.Halt(TimeSpan.FromMinutes(10)))
            {
                throw new TimeoutException("the pipeline did not drain within 10 minutes");
            }
        }
        if (_ctx.Failure is { } failure)
        {
            throw new StoreRefusedException($"partition {o.Partition} stopped: {failure.Message}", failure);
        }
    }

    /// <summary>
    /// Recovery, retried with back-off while it fails for a transient reason (a vote store that
    /// does not answer yet, a connection timing out under load: any exception but a refusal), until
    /// <paramref name="stop"/>. A refusal (stores that do not belong together: <see cref="InvalidDataException"/>,
    /// <see cref="StoreRefusedException"/>; a wrong argument) is thrown at once. Each attempt starts
    /// over from the local checkpoint, so a half-done restore is simply done again.
    /// </summary>
    private RecoveryInfo RecoverRetrying(CancellationToken stop)
    {
        int delayMs = 100;
        var warn = _ctx.Options.OnWarning ?? (m => Console.Error.WriteLine(m));
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return Recover();
            }
            catch (Exception e) when (e is not (InvalidDataException or StoreRefusedException or ArgumentException or NotSupportedException) && !stop.IsCancellationRequested)
            {
                warn($"partition {_ctx.Options.Partition}: recovery failed reading its stores (attempt {attempt}, retrying in {delayMs} ms): {e.GetType().Name}: {e.Message}");
                stop.WaitHandle.WaitOne(delayMs);
                delayMs = Math.Min(delayMs * 2, 5000);
            }
        }
    }

    private RecoveryInfo Recover()
    {
        var committed = _ctx.Votes.LoadProgress();
        var checkpoint = _ctx.Nullifiers.Recover();
        if (checkpoint.Count > committed.MmrSize || checkpoint.CoveredPosition > committed.NextOffset)
        {
            throw new InvalidDataException(
                $"the nullifier checkpoint (offset {checkpoint.CoveredPosition}, {checkpoint.Count} votes) is ahead of the committed progress (offset {committed.NextOffset}, MMR size {committed.MmrSize}): the stores do not belong together");
        }
        if (_ctx.Mmr.LeafCount < checkpoint.Count)
        {
            throw new InvalidDataException($"the MMR holds {_ctx.Mmr.LeafCount} leaves but the nullifier checkpoint names {checkpoint.Count}: MMR node file lost or from another partition");
        }
        _ctx.Mmr.TruncateTo(checkpoint.Count);
        if (committed.MmrSize == checkpoint.Count && _ctx.Mmr.Root != committed.MmrRoot)
        {
            throw new InvalidDataException($"the MMR's root at {checkpoint.Count} leaves is {_ctx.Mmr.Root}, the committed progress says {committed.MmrRoot}: the MMR node file does not belong to this partition's history");
        }
        long restored = 0;
        var restoreTime = TimeSpan.Zero;
        if (_history != null && _ctx.Options.RestoreFromHistory && checkpoint.CoveredPosition < committed.NextOffset)
        {
            long started = Stopwatch.GetTimestamp();
            restored = Restore(_history, checkpoint, committed);
            checkpoint = _ctx.Nullifiers.LastCheckpoint;
            restoreTime = Stopwatch.GetElapsedTime(started);
        }
        _ctx.Committed = committed;
        _ctx.Progress = committed;
        _input.Seek(checkpoint.CoveredPosition);
        _ctx.Options.OnInfo?.Invoke(restored > 0 || restoreTime > TimeSpan.Zero
            ? $"restored {restored:N0} accepted votes (MMR {checkpoint.Count - restored:N0} → {checkpoint.Count:N0}) from the vote store in {restoreTime.TotalSeconds:F1} s, no proof verified again; reading input from offset {checkpoint.CoveredPosition}"
            : $"resuming from the local checkpoint (MMR {checkpoint.Count:N0}, offset {checkpoint.CoveredPosition}); committed progress: offset {committed.NextOffset}, MMR {committed.MmrSize:N0}");
        return new RecoveryInfo(committed, checkpoint, checkpoint.CoveredPosition, restored, restoreTime);
    }

    /// <summary>
    /// Brings the nullifier store and the MMR from the local checkpoint <paramref name="from"/> to
    /// the committed progress <paramref name="to"/> with the vote store's rows: every row's index
    /// must follow the previous one, its nullifier must be new and equal the record's, and the MMR
    /// root at <paramref name="to"/>'s size must be <paramref name="to"/>'s root. Then the MMR is
    /// fsynced and a nullifier checkpoint covering <paramref name="to"/>'s offset is taken, so the
    /// invariants hold as if the engine had processed the records itself (nullifier checkpoint ≤
    /// committed progress, the MMR file holds its leaves). Rejected records left no state: nothing
    /// to restore for them. Throws <see cref="InvalidDataException"/> when the history does not
    /// give exactly the committed state; a crash midway leaves the old checkpoint in force.
    /// </summary>
    private long Restore(IVoteHistory history, NullifierCheckpoint from, PartitionProgress to)
    {
        var restorer = new HistoryRestorer(_ctx.Nullifiers, _ctx.Mmr, from.Count);
        long rows = history.ReadHistory(from.Count, to.MmrSize, restorer.OnRow);
        if (restorer.Next != to.MmrSize || rows != to.MmrSize - from.Count)
        {
            throw new InvalidDataException(
                $"restore: the vote store's history gave {rows} votes up to MMR index {restorer.Next}, the committed progress needs indexes {from.Count}..{to.MmrSize - 1}: accepted votes are missing from the vote store");
        }
        if (_ctx.Mmr.Root != to.MmrRoot)
        {
            throw new InvalidDataException(
                $"restore: the MMR rebuilt from the vote store's records has root {_ctx.Mmr.Root} at {to.MmrSize} leaves, the committed progress says {to.MmrRoot}: the rows do not belong to this progress");
        }
        _ctx.Mmr.Flush();
        var k = _ctx.Nullifiers.Checkpoint(to.NextOffset);
        if (k.Count != to.MmrSize)
        {
            throw new InvalidDataException($"restore: the nullifier checkpoint holds {k.Count} nullifiers, the committed MMR {to.MmrSize}");
        }
        _ctx.Stats.VotesRestored += rows;
        return rows;
    }

    /// <summary>The restore's per-row work: one instance per restore, so a row costs no allocation.</summary>
    private sealed class HistoryRestorer(INullifierStore nullifiers, MerkleMountainRange mmr, long first)
    {
        public long Next { get; private set; } = first;

        public void OnRow(long mmrIndex, ReadOnlySpan<byte> nullifier, ReadOnlySpan<byte> record)
        {
            if (mmrIndex != Next)
            {
                throw new InvalidDataException($"restore: the vote store holds MMR index {mmrIndex} where {Next} was due: {(mmrIndex < Next ? "an index stored twice" : "a gap")}");
            }
            if (nullifier.Length != Nullifier.Size || record.Length < VoteRecord.HeaderSize || !record.Slice(VoteRecord.NullifierOffset, Nullifier.Size).SequenceEqual(nullifier))
            {
                throw new InvalidDataException($"restore: the vote at MMR index {mmrIndex} has a nullifier that is not its record's (or a record of {record.Length} bytes)");
            }
            var result = nullifiers.TryInsert(Nullifier.FromBytes(nullifier), mmrIndex);
            if (!result.IsInserted)
            {
                throw new InvalidDataException($"restore: the nullifier of MMR index {mmrIndex} was already used at index {result.ExistingMmrIndex}");
            }
            long appended = mmr.AppendLeafHash(Rfc9162.HashLeaf(record));
            if (appended != mmrIndex)
            {
                throw new InvalidDataException($"restore: the MMR appended index {appended} for vote {mmrIndex}");
            }
            Next = mmrIndex + 1;
        }
    }

    private void Ingest(Pipeline<VoteSlot> pipeline, long resumeOffset, CancellationToken stop, bool stopAtEnd)
    {
        var o = _ctx.Options;
        var ring = pipeline.Ring;
        var arena = _ctx.Arena;
        var stats = _ctx.Stats;
        long lastPublished = Sequence.InitialValue;
        long nextOffset = resumeOffset;
        long lastTick = Stopwatch.GetTimestamp();
        long lastSync = lastTick;
        long sinceSync = 0;

        while (!stop.IsCancellationRequested && _ctx.Failure is null)
        {
            if (_input.TryRead(o.TickInterval, out var record))
            {
                long t0 = Stopwatch.GetTimestamp();
                int keyLength = Math.Min(record.Key.Length, IInputLog.MaxKey);
                int valueLength = Math.Min(record.Value.Length, IInputLog.MaxValue);
                bool truncated = keyLength != record.Key.Length || valueLength != record.Value.Length;
                int need = keyLength + valueLength + PartitionContext.PlaintextRoom(valueLength);
                WaitForArena(pipeline, need, lastPublished);
                long seq = ring.Next();
                ref VoteSlot s = ref ring[seq];
                s = default;
                s.Kind = SlotKind.Vote;
                s.Offset = record.Offset;
                s.NextOffset = record.NextOffset;
                s.ReadTimestamp = t0;
                s.ArenaStart = arena.Take(need);
                s.KeyLength = keyLength;
                s.ValueLength = valueLength;
                record.Key[..keyLength].CopyTo(_ctx.KeyOf(s));
                record.Value[..valueLength].CopyTo(_ctx.ValueOf(s));
                if (truncated)
                {
                    s.Reason = VoteRejectReason.Malformed;
                }
                ring.Publish(seq);
                lastPublished = seq;
                nextOffset = record.NextOffset;
                stats.Read++;
                sinceSync++;
                stats.AddStage(Stage.Ingest, Stopwatch.GetTimestamp() - t0, 1);
            }
            else if (stopAtEnd && _input.IsComplete)
            {
                break;
            }

            long now = Stopwatch.GetTimestamp();
            if (sinceSync >= o.CheckpointEveryRecords || (sinceSync > 0 && Stopwatch.GetElapsedTime(lastSync, now) >= o.CheckpointInterval))
            {
                lastPublished = PublishSync(ring, arena, nextOffset);
                sinceSync = 0;
                lastSync = lastTick = now;
            }
            else if (Stopwatch.GetElapsedTime(lastTick, now) >= o.TickInterval)
            {
                lastPublished = PublishMarker(ring, arena, SlotKind.Tick, nextOffset);
                lastTick = now;
            }
        }
        if (_ctx.Failure is null)
        {
            PublishSync(ring, arena, nextOffset);
        }
    }

    /// <summary>
    /// Publishes a Sync, waits until the flush stage has made it durable, then publishes the
    /// Checkpoint marker. Waiting here, not in the commit stage, matters: a stage's sequence
    /// advances only when its batch ends, so a commit stage waiting inside the batch that holds
    /// the Sync would wait for itself. Meanwhile the stages drain what is in flight; only new
    /// input pauses, for about one batch commit.
    /// </summary>
    private long PublishSync(RingBuffer<VoteSlot> ring, SlotArena arena, long nextOffset)
    {
        long sync = PublishMarker(ring, arena, SlotKind.Sync, nextOffset);
        var spin = new SpinWait();
        while (_ctx.Durable.Value < sync)
        {
            if (_ctx.Failure is not null)
            {
                return sync; // the Sync will never be durable: no Checkpoint marker after it
            }
            spin.SpinOnce(sleep1Threshold: 20);
        }
        return PublishMarker(ring, arena, SlotKind.Checkpoint, nextOffset);
    }

    private static long PublishMarker(RingBuffer<VoteSlot> ring, SlotArena arena, SlotKind kind, long nextOffset)
    {
        long seq = ring.Next();
        ref VoteSlot s = ref ring[seq];
        s = default;
        s.Kind = kind;
        s.Offset = -1;
        s.NextOffset = nextOffset;
        s.ArenaStart = arena.Head;
        ring.Publish(seq);
        return seq;
    }

    /// <summary>Waits until the arena has room for <paramref name="need"/> bytes behind the slots still in flight.</summary>
    private void WaitForArena(Pipeline<VoteSlot> pipeline, int need, long lastPublished)
    {
        var arena = _ctx.Arena;
        var spin = new SpinWait();
        while (true)
        {
            long oldest = pipeline.Completed.Value + 1;
            long oldestStart = oldest <= lastPublished ? pipeline.Ring[oldest].ArenaStart : arena.Head;
            if (arena.Fits(need, oldestStart))
            {
                return;
            }
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }
}
