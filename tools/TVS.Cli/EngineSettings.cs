using Microsoft.Extensions.Configuration;
using TVS.Engine.Processing;

namespace TVS.Cli;

/// <summary>The engine's settings (section "Engine" of the config file; environment variables TVS_Engine__Name override).</summary>
public sealed class EngineSettings
{
    /// <summary>"production" refuses an insecure (simulated) election; "test" allows it.</summary>
    public string Mode { get; set; } = "production";
    public string? Election { get; set; }
    public string? Data { get; set; }
    public string? Input { get; set; }
    public int Partition { get; set; }
    public bool StopAtEnd { get; set; }
    public int VerifyThreads { get; set; } = Environment.ProcessorCount;
    public int VerifyMaxBatch { get; set; } = 128;
    public int RingSize { get; set; } = 2048;
    public int ArenaMiB { get; set; } = 32;
    public int FlushMaxVotes { get; set; } = 4096;
    public int FlushMaxDelayMs { get; set; } = 20;
    public long CheckpointEveryRecords { get; set; } = 100_000;
    public int CheckpointIntervalSeconds { get; set; } = 30;
    public int StatusIntervalSeconds { get; set; } = 5;

    /// <summary>How often the ingest thread publishes a tick marker when input is quiet or slow (age-based flushes ride on ticks).</summary>
    public int TickIntervalMs { get; set; } = 5;

    // Production composition (docs/operations.md, "Engine over Kafka, PostgreSQL and S3"): set
    // Kafka instead of Input; Postgres and S3Bucket are optional (local files without them).

    /// <summary>Bootstrap servers of the Kafka cluster holding votes.pending (instead of Input).</summary>
    public string? Kafka { get; set; }
    public string KafkaGroup { get; set; } = "tvs-engine";
    public string KafkaTopic { get; set; } = TVS.Ingest.Kafka.KafkaTopics.Pending;
    public int KafkaSessionTimeoutMs { get; set; } = 10_000;

    /// <summary>Publish accepted votes on votes.validated (Kafka mode).</summary>
    public bool PublishValidated { get; set; } = true;

    /// <summary>Npgsql connection string: accepted votes and progress go to PostgreSQL (tvs db migrate first).</summary>
    public string? Postgres { get; set; }

    /// <summary>Bucket for batch objects; with S3Endpoint for an S3-compatible server, else AWS (credentials from the SDK's chain unless S3AccessKey/S3SecretKey).</summary>
    public string? S3Bucket { get; set; }
    public string? S3Endpoint { get; set; }
    public string S3Region { get; set; } = "us-east-1";
    public string? S3AccessKey { get; set; }
    public string? S3SecretKey { get; set; }
    public string? S3KeyPrefix { get; set; }

    /// <summary>
    /// Create <see cref="S3Bucket"/> when it does not exist (docs/ops/storage.md, "The bucket").
    /// Absent: only a test-mode engine on an S3-compatible endpoint (<see cref="S3Endpoint"/>)
    /// creates it; a production engine stops at start naming the missing bucket and the endpoint.
    /// </summary>
    public bool? S3CreateBucket { get; set; }

    /// <summary>Whether this engine may create a missing bucket (<see cref="S3CreateBucket"/>, else test mode on an S3-compatible endpoint).</summary>
    public bool CreatesBucket(bool production) => S3CreateBucket ?? (!production && S3Endpoint is not null);

    /// <summary>
    /// Where the bulletin board goes (docs/formats.md "Bulletin board (tlog-tiles)"): a directory, or
    /// absent for S3 under <see cref="S3Bucket"/> (prefix <see cref="S3KeyPrefix"/> + election id)
    /// when one is set, else <c>{Data}/board</c>. <see cref="PublishBoard"/> false: none (another
    /// process, e.g. <c>tvs board publish</c>, publishes).
    /// </summary>
    public string? Board { get; set; }
    public bool PublishBoard { get; set; } = true;
    public int BoardIntervalMs { get; set; } = 1000;

    /// <summary>
    /// The submission URL of each witness election.json lists, by witness name (docs/ops/witness.md):
    /// the board publisher has each partition checkpoint cosigned by them before it goes up.
    /// </summary>
    public Dictionary<string, string> WitnessUrls { get; set; } = [];

    /// <summary>The S3 settings as the blob sink and the board store take them (null without a bucket).</summary>
    public TVS.Storage.S3.S3BlobSinkOptions? S3Options() => S3Bucket is { } bucket ? new TVS.Storage.S3.S3BlobSinkOptions
    {
        Bucket = bucket,
        ServiceUrl = S3Endpoint,
        Region = S3Region,
        AccessKey = S3AccessKey,
        SecretKey = S3SecretKey,
        KeyPrefix = S3KeyPrefix ?? "",
    } : null;

    /// <summary>Prometheus /metrics and /healthz port (Kafka mode; docs/ops/metrics.md): absent = no exporter, 0 = any free port (logged).</summary>
    public int? MetricsPort { get; set; }
    public string MetricsHost { get; set; } = "0.0.0.0";

    /// <summary>Nullifier store sizing per partition (FASTER index buckets and in-memory log).</summary>
    public long ExpectedVotesPerPartition { get; set; } = 1_000_000;
    public int NullifierMemoryMiB { get; set; } = 256;

    public EngineOptions ToOptions() => new()
    {
        Partition = Partition,
        VerifyThreads = Math.Max(1, VerifyThreads),
        VerifyMaxBatch = Math.Max(1, VerifyMaxBatch),
        RingSize = RingSize,
        ArenaBytes = Math.Max(9, ArenaMiB) << 20,
        FlushMaxVotes = Math.Max(1, FlushMaxVotes),
        FlushMaxDelay = TimeSpan.FromMilliseconds(Math.Max(1, FlushMaxDelayMs)),
        CheckpointEveryRecords = Math.Max(1, CheckpointEveryRecords),
        CheckpointInterval = TimeSpan.FromSeconds(Math.Max(1, CheckpointIntervalSeconds)),
        TickInterval = TimeSpan.FromMilliseconds(Math.Clamp(TickIntervalMs, 1, 1000)),
    };

    /// <summary>The "Engine" section of <paramref name="config"/> (when given), overridden by the environment variables TVS_Engine__Name.</summary>
    public static EngineSettings Load(FileInfo? config)
    {
        var builder = new ConfigurationBuilder();
        if (config != null)
        {
            builder.AddJsonFile(config.FullName, optional: false);
        }
        builder.AddEnvironmentVariables("TVS_");
        var settings = new EngineSettings();
        builder.Build().GetSection("Engine").Bind(settings);
        return settings;
    }
}
