using Prometheus;

namespace TVS.Ingest.Metrics;

/// <summary>
/// Every metric the engine exports (docs/ops/metrics.md describes each), made once per
/// <see cref="EngineMetrics"/> in its registry. Values are set at scrape time from
/// <see cref="Engine.Processing.EngineStats"/>; nothing here is touched on the vote path.
/// </summary>
internal sealed class EngineCollectors
{
    /// <summary>Latency buckets (seconds): from a fast flush (a few ms) to a stalled store (a minute).</summary>
    private static readonly double[] LatencyBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    public EngineCollectors(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        string[] p = ["partition"];

        RecordsRead = f.CreateCounter("tvs_engine_records_read_total", "input records read by the ingest thread (replayed ones included)", p);
        RecordsCommitted = f.CreateCounter("tvs_engine_records_committed_total", "records whose verdict became durable in this run (accepted + rejected)", p);
        RecordsReplayed = f.CreateCounter("tvs_engine_records_replayed_total", "records re-derived on recovery whose verdict was already durable (not written again)", p);
        VotesAccepted = f.CreateCounter("tvs_engine_votes_accepted_total", "votes accepted and durable", p);
        VotesRejected = f.CreateCounter("tvs_engine_votes_rejected_total", "records refused and durable (dead letters)", p);
        Rejections = f.CreateCounter("tvs_engine_rejections_total", "refused records by reason code (docs/formats.md reason codes)", ["partition", "reason"]);
        VotesRestored = f.CreateCounter("tvs_engine_votes_restored_total", "accepted votes recovery restored from the vote store's rows (nullifier and MMR leaf; their proofs are not verified again)", p);
        ProofsVerified = f.CreateCounter("tvs_engine_proofs_verified_total", "Groth16 proofs checked by the verify workers", p);
        ProofsRefused = f.CreateCounter("tvs_engine_proofs_refused_total", "Groth16 proofs refused by the verify workers", p);
        StageBusySeconds = f.CreateCounter("tvs_engine_stage_busy_seconds_total", "time each pipeline stage spent processing batches", ["partition", "stage"]);
        StageRecords = f.CreateCounter("tvs_engine_stage_records_total", "ring slots through each stage (records, plus tick and sync markers after ingest)", ["partition", "stage"]);
        Latency = f.CreateHistogram("tvs_engine_vote_latency_seconds", "read to durable, per committed record (each sample at its engine histogram bucket's upper bound, at most 6.25 % high)",
            new HistogramConfiguration { LabelNames = p, Buckets = LatencyBuckets });

        VotesPerSecond = f.CreateGauge("tvs_engine_votes_per_second", "records committed per second over the last minute (prefer rate(tvs_engine_records_committed_total[1m]))", p);
        LatencyP99 = f.CreateGauge("tvs_engine_vote_latency_p99_seconds", "99th percentile of read-to-durable latency over the last minute, at the engine histogram's resolution; NaN when nothing was committed", p);
        NullifierCheckLatency = f.CreateGauge("tvs_engine_nullifier_check_latency_seconds",
            "mean busy time per slot over the last minute of the nullifier stages: lookup = pre-check (FASTER read), insert = commit (FASTER upsert)", ["partition", "operation"]);
        RecordsInFlight = f.CreateGauge("tvs_engine_records_in_flight", "records read but not yet durable (in the ring)", p);
        MmrLeaves = f.CreateGauge("tvs_engine_mmr_leaves", "leaves of the partition's MMR (accepted votes appended)", p);
        CheckpointedLeaves = f.CreateGauge("tvs_engine_checkpointed_leaves", "MMR leaves covered by the last checkpoint signed in this run (before the first: the size at resume)", p);
        MerkleUpdateLag = f.CreateGauge("tvs_engine_merkle_update_lag", "MMR leaves appended but not yet under a signed checkpoint", p);
        LastCheckpoint = f.CreateGauge("tvs_engine_last_checkpoint_timestamp_seconds", "Unix time of the last checkpoint signed in this run (absent before the first)", p);
        KafkaConsumerLag = f.CreateGauge("tvs_engine_kafka_consumer_lag", "records in the Kafka partition beyond the engine's read position (high watermark - position, as cached by the consumer)", p);

        Partitions = f.CreateGauge("tvs_engine_partitions", "partitions this engine process currently runs");
        PoolUsage = f.CreateGauge("tvs_engine_db_connection_pool_usage", "PostgreSQL connections of each Npgsql pool by state (used, idle)", ["pool", "state"]);
        PoolMax = f.CreateGauge("tvs_engine_db_connection_pool_max", "maximum size of each Npgsql pool", ["pool"]);
        PoolUtilization = f.CreateGauge("tvs_engine_db_connection_pool_utilization", "used / maximum connections of each Npgsql pool (1 = exhausted)", ["pool"]);
        PoolPending = f.CreateGauge("tvs_engine_db_connection_pool_pending_requests", "opens waiting for a free connection of each Npgsql pool", ["pool"]);
        PoolTimeouts = f.CreateCounter("tvs_engine_db_connection_pool_timeouts_total", "opens that timed out waiting for a connection of each Npgsql pool", ["pool"]);
    }

    public Counter RecordsRead { get; }
    public Counter RecordsCommitted { get; }
    public Counter RecordsReplayed { get; }
    public Counter VotesAccepted { get; }
    public Counter VotesRejected { get; }
    public Counter Rejections { get; }
    public Counter VotesRestored { get; }
    public Counter ProofsVerified { get; }
    public Counter ProofsRefused { get; }
    public Counter StageBusySeconds { get; }
    public Counter StageRecords { get; }
    public Histogram Latency { get; }
    public Gauge VotesPerSecond { get; }
    public Gauge LatencyP99 { get; }
    public Gauge NullifierCheckLatency { get; }
    public Gauge RecordsInFlight { get; }
    public Gauge MmrLeaves { get; }
    public Gauge CheckpointedLeaves { get; }
    public Gauge MerkleUpdateLag { get; }
    public Gauge LastCheckpoint { get; }
    public Gauge KafkaConsumerLag { get; }
    public Gauge Partitions { get; }
    public Gauge PoolUsage { get; }
    public Gauge PoolMax { get; }
    public Gauge PoolUtilization { get; }
    public Gauge PoolPending { get; }
    public Counter PoolTimeouts { get; }
}
