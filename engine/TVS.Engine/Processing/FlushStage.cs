using System.Diagnostics;
using TVS.Engine.Pipeline;
using TVS.Engine.Ports;
using TVS.Merkle;

namespace TVS.Engine.Processing;

/// <summary>
/// Stage 7: gathers verdicts into a batch and makes it durable in docs/design.md's order (batch object,
/// dead letters, then the rows with the partition's progress in one commit), then advances
/// <see cref="PartitionContext.Durable"/>. Commits when the batch is full, at the first tick after
/// <see cref="EngineOptions.FlushMaxDelay"/>, and at every Sync marker, where it also signs a
/// checkpoint. A sink that fails is retried with back-off: the ring fills and the ingest thread
/// waits, which is the back-pressure.
/// </summary>
/// <remarks>
/// On replay (records before <see cref="PartitionContext.Committed"/>'s offset) verdicts are
/// re-derived but not written again.
/// </remarks>
internal sealed class FlushWorker
{
    private readonly PartitionContext _ctx;
    private readonly VoteBatch _batch;
    private readonly long _skipBelow;
    private long _nextOffset;
    private long _mmrSize;
    private Hash256 _mmrRoot;
    private long _rejected;
    private long _batchStarted;
    private bool _commitWanted;
    private long _records;
    private long _signedSize = -1;

    public FlushWorker(PartitionContext ctx, Guid electionId, int partition, long resumeOffset, long resumeMmrSize, in Hash256 resumeRoot)
    {
        _ctx = ctx;
        _batch = new VoteBatch(electionId, partition);
        _skipBelow = ctx.Committed.NextOffset;
        _nextOffset = resumeOffset;
        _mmrSize = resumeMmrSize;
        _mmrRoot = resumeRoot;
        _rejected = ctx.Committed.Rejected;
        ctx.Stats.CheckpointedLeaves = resumeMmrSize;
    }

    public void Process(Span<VoteSlot> batch, long firstSequence)
    {
        if (_ctx.Failure is not null)
        {
            return; // a store refused: drain without writing, the engine is stopping
        }
        long start = Stopwatch.GetTimestamp();
        var stats = _ctx.Stats;
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            if (s.Kind == SlotKind.Vote)
            {
                Take(ref s, stats);
            }
            if (s.HasRoot)
            {
                _mmrSize = s.MmrSizeAfter;
                _mmrRoot = s.MmrRootAfter;
                bool due = _commitWanted
                    || s.Kind == SlotKind.Sync
                    || (s.Kind == SlotKind.Tick && _records > 0 && Stopwatch.GetElapsedTime(_batchStarted) >= _ctx.Options.FlushMaxDelay);
                if (due)
                {
                    Commit(firstSequence + i, s.Kind == SlotKind.Sync);
                }
            }
        }
        stats.AddStage(Stage.Flush, Stopwatch.GetTimestamp() - start, batch.Length);
    }

    private void Take(ref VoteSlot s, EngineStats stats)
    {
        _nextOffset = s.NextOffset;
        if (s.Offset < _skipBelow)
        {
            stats.Replayed++;
            return;
        }
        if (_records++ == 0)
        {
            _batchStarted = Stopwatch.GetTimestamp();
        }
        if (s.Reason.IsAccepted)
        {
            _batch.AddAccepted(s.MmrIndex, s.Offset, _ctx.PlaintextOf(s), s.LeafHash, s.ReadTimestamp);
        }
        else
        {
            _rejected++;
            stats.CountRejection(s.Reason);
            _batch.AddRejected(s.Offset, s.Reason, _ctx.KeyOf(s), _ctx.ValueOf(s), s.ReadTimestamp);
        }
        if (_records >= _ctx.Options.FlushMaxVotes)
        {
            _commitWanted = true;
        }
    }

    private void Commit(long sequence, bool sync)
    {
        _commitWanted = false;
        if (_nextOffset > _ctx.Progress.NextOffset)
        {
            var progress = new PartitionProgress(_nextOffset, _mmrSize, _mmrRoot, _mmrSize, _rejected);
            bool written = Retry("batch object", () =>
            {
                if (_batch.AcceptedCount > 0)
                {
                    _ctx.Blobs.Put(_batch.ObjectKey(), _batch.EncodeObject());
                }
            }) && Retry("dead letters", () =>
            {
                if (_batch.RejectedCount > 0)
                {
                    _ctx.DeadLetters.Write(_batch);
                }
            });
            // At a Sync the checkpoint is signed first and committed with the rows it covers.
            _batch.SignedCheckpoint = sync ? SignNote(progress) : null;
            if (!written || !Retry("votes and progress", () => _ctx.Votes.Commit(_batch, progress)))
            {
                return; // refused: nothing more is written and the sequence is never durable
            }
            _ctx.Progress = progress;
            RecordCommitted();
            _ctx.Options.OnDurable?.Invoke(progress);
            if (sync)
            {
                Published(progress, _batch.SignedCheckpoint!);
            }
        }
        else if (sync && _ctx.Progress.NextOffset > 0 && _signedSize != _ctx.Progress.MmrSize)
        {
            // Nothing new since the last commit (a tick flushed it), but nothing signed covers it
            // yet: a Sync promises a signed checkpoint of everything durable. An empty batch with
            // the same progress stores just the checkpoint.
            var progress = _ctx.Progress;
            _batch.Clear();
            string note = SignNote(progress);
            _batch.SignedCheckpoint = note;
            if (!Retry("checkpoint", () => _ctx.Votes.Commit(_batch, progress)))
            {
                return;
            }
            Published(progress, note);
        }
        _batch.Clear();
        _records = 0;
        _ctx.Durable.Value = sequence;
    }

    private void RecordCommitted()
    {
        var stats = _ctx.Stats;
        long now = Stopwatch.GetTimestamp();
        double toMicros = 1e6 / Stopwatch.Frequency;
        foreach (ref readonly var v in _batch.Accepted)
        {
            stats.Latency.Record((long)((now - v.ReadTimestamp) * toMicros));
        }
        foreach (ref readonly var r in _batch.Rejected)
        {
            stats.Latency.Record((long)((now - r.ReadTimestamp) * toMicros));
        }
        stats.Accepted += _batch.AcceptedCount;
        stats.Rejected += _batch.RejectedCount;
        stats.Committed += _batch.AcceptedCount + _batch.RejectedCount;
    }

    private string SignNote(in PartitionProgress progress) => new Checkpoint(_ctx.Origin, progress.MmrSize, progress.MmrRoot).Sign(_ctx.Signer);

    /// <summary>After the commit that stored it: the local checkpoint sink, the stats.</summary>
    private void Published(PartitionProgress progress, string note)
    {
        Retry("checkpoint", () => _ctx.Checkpoints.Publish(progress.MmrSize, note));
        _ctx.LastSignedCheckpoint = note;
        _ctx.Stats.CheckpointedLeaves = progress.MmrSize;
        _ctx.Stats.LastCheckpointUnixMilliseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _signedSize = progress.MmrSize;
    }

    /// <summary>
    /// Runs a sink call until it succeeds, backing off to 5 s between attempts and warning on each
    /// failure: a transient failure (I/O, a connection, a timeout: any exception but a refusal) is
    /// retried, since the engine cannot go on without the write and a sink makes a repeated call
    /// harmless (idempotent commits). A refusal (<see cref="StoreRefusedException"/>, or a store's
    /// <see cref="InvalidDataException"/>) is not: the partition stops with its reason. Returns
    /// whether the write happened.
    /// </summary>
    private bool Retry(string what, Action write)
    {
        int delayMs = 50;
        var warn = _ctx.Options.OnWarning ?? (m => Console.Error.WriteLine(m));
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                write();
                return true;
            }
            catch (Exception e) when (e is StoreRefusedException or InvalidDataException)
            {
                warn($"flush: writing {what} was refused, stopping the partition: {e.Message}");
                _ctx.Fail(new StoreRefusedException($"writing {what} was refused: {e.Message}", e));
                return false;
            }
            catch (Exception e)
            {
                warn($"flush: writing {what} failed (attempt {attempt}, retrying in {delayMs} ms): {e.GetType().Name}: {e.Message}");
                Thread.Sleep(delayMs);
                delayMs = Math.Min(delayMs * 2, 5000);
            }
        }
    }
}

/// <summary>The flush stage's handler: a thin struct over its worker's state.</summary>
internal readonly struct FlushStage : IBatchHandler<VoteSlot>
{
    private readonly FlushWorker _worker;

    public FlushStage(FlushWorker worker) => _worker = worker;

    public void OnBatch(Span<VoteSlot> batch, long firstSequence) => _worker.Process(batch, firstSequence);
}
