namespace TVS.Engine.Processing;

/// <summary>Tuning of one partition engine; the defaults suit the embedded demo on a small machine.</summary>
public sealed record EngineOptions
{
    /// <summary>Partition number (Kafka partition; 0 for the embedded log).</summary>
    public int Partition { get; init; }

    /// <summary>
    /// Ring slots (a power of two). Enough to keep every verify worker busy with full batches;
    /// more only adds queueing latency when input outruns the verifier (a full ring holds RingSize ÷
    /// the verify rate of queue: docs/PERFORMANCE.md, "End to end: `tvs demo --voters 200000`").
    /// </summary>
    public int RingSize { get; init; } = 2048;

    /// <summary>Bytes behind the slots (keys, envelopes, plaintexts); at least 4 × the largest record.</summary>
    public int ArenaBytes { get; init; } = 32 << 20;

    /// <summary>Threads of the Groth16 verify stage (default: one per core).</summary>
    public int VerifyThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Most slots one verify worker claims at once (the largest Groth16 batch).</summary>
    public int VerifyMaxBatch { get; init; } = 128;

    /// <summary>A batch is committed once it holds this many votes (accepted + refused) …</summary>
    public int FlushMaxVotes { get; init; } = 4096;

    /// <summary>… or at the first tick after it has waited this long.</summary>
    public TimeSpan FlushMaxDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often the ingest thread publishes a tick when records are slow to come.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Durable checkpoint (MMR fsync, batch commit, signed checkpoint, nullifier checkpoint) every this many input records …</summary>
    public long CheckpointEveryRecords { get; init; } = 100_000;

    /// <summary>… or this often, whichever comes first.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Recovery restores the nullifier set and the MMR from the vote store's committed rows
    /// (<see cref="Ports.IVoteHistory"/>, when the store offers it) whenever the local nullifier
    /// checkpoint is behind the committed progress, instead of reading the input again from the
    /// checkpoint and verifying its proofs a second time (docs/pipeline.md, "Recovery"). False
    /// forces the replay (benchmarks compare the two).
    /// </summary>
    public bool RestoreFromHistory { get; init; } = true;

    /// <summary>
    /// Called by the flush stage after each batch is durable (votes and progress committed), with
    /// the new progress: where Kafka offsets are committed (docs/design.md: after the batch is durable),
    /// metrics updated, waiters released. Per batch, never per vote; must not throw.
    /// </summary>
    public Action<Ports.PartitionProgress>? OnDurable { get; init; }

    /// <summary>Called (rarely, never per vote) when a sink fails and the engine retries; null: stderr.</summary>
    public Action<string>? OnWarning { get; init; }

    /// <summary>Called once per run with how recovery resumed (restored votes, replay start); null: nothing.</summary>
    public Action<string>? OnInfo { get; init; }
}
