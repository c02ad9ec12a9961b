using System.Diagnostics;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>What one engine run did, for tables and JSON.</summary>
public sealed record RunSummary(
    long Read,
    long Committed,
    long Accepted,
    long Rejected,
    long Replayed,
    SortedDictionary<string, long> RejectedByReason,
    double Seconds,
    double VotesPerSecond,
    long LatencyP50Micros,
    long LatencyP99Micros,
    long LatencyMaxMicros,
    long PeakWorkingSetBytes,
    long MmrSize,
    string MmrRoot,
    long NextOffset,
    string? Checkpoint,
    Dictionary<string, double> StageMicrosPerRecord,
    long ResumedFromOffset,
    long CommittedBefore,
    long Restored = 0,
    double RestoreSeconds = 0);

/// <summary>
/// Shared stores for an embedded run (docs/operations.md, "`tvs engine run`"): accepted votes and
/// progress in PostgreSQL, batch objects in S3; null keeps the local file.
/// </summary>
public sealed record EmbeddedServices(string? Postgres, S3BlobSinkOptions? S3)
{
    /// <summary>The services <paramref name="settings"/> name (Postgres, S3Bucket and the S3 settings), or null when none.</summary>
    public static EmbeddedServices? From(EngineSettings settings)
        => settings.Postgres is null && settings.S3Bucket is null ? null : new EmbeddedServices(settings.Postgres, settings.S3Options());
}

/// <summary>
/// Runs one partition engine on the embedded stores of a data directory over a local input log:
/// the composition <c>tvs demo</c> and <c>tvs engine run</c> share.
/// </summary>
public static class EmbeddedRun
{
    public static RunSummary Run(ElectionSetup election, string dataDir, string inputPath, EngineOptions options, bool stopAtEnd,
        CancellationToken stop, Action<EngineStats>? onTick = null, double recordsPerSecond = 0, EmbeddedServices? services = null)
    {
        using var partition = LocalPartition.Open(dataDir, options.Partition, FasterNullifierStoreOptions.ForExpectedKeys(1_000_000));
        using var log = LocalInputLog.Open(inputPath);
        IInputLog input = recordsPerSecond > 0 ? new PacedInputLog(log, recordsPerSecond) : log;
        if (services?.Postgres is { } connection)
        {
            // As a Kafka member does: the election and its partition count in table elections, where close checks them.
            using var dataSource = PostgresVoteStore.CreateDataSource(connection);
            PostgresElections.Register(dataSource, election.Id, election.Id.ToString("D"), election.Partitions);
        }
        using var pg = services?.Postgres is { } cs ? PostgresVoteStore.Open(cs, election.Id, options.Partition) : null;
        using var s3 = services?.S3 is { } s3Options ? new S3BlobSink(s3Options) : null;
        var engine = partition.CreateEngine(election.CreateOpener(), election.CreateAdmission(), election.Signer, election.Origin(options.Partition), options, input, pg, s3);
        var sw = Stopwatch.StartNew();
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                engine.Run(stop, stopAtEnd);
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { Name = "tvs-ingest", IsBackground = false };
        thread.Start();
        while (!thread.Join(200))
        {
            onTick?.Invoke(engine.Stats);
        }
        sw.Stop();
        onTick?.Invoke(engine.Stats);
        if (failure != null)
        {
            throw new InvalidOperationException("the engine stopped: " + failure.Message, failure);
        }
        var s = engine.Stats;
        var stages = new Dictionary<string, double>();
        for (int i = 0; i < EngineStats.StageNames.Length; i++)
        {
            stages[EngineStats.StageNames[i]] = Math.Round(s.MicrosecondsPerRecord(i), 2);
        }
        var progress = engine.Progress;
        return new RunSummary(
            s.Read, s.Committed, s.Accepted, s.Rejected, s.Replayed, s.RejectionsByReason(),
            Math.Round(sw.Elapsed.TotalSeconds, 3), Math.Round(s.Committed / Math.Max(sw.Elapsed.TotalSeconds, 1e-9), 1),
            s.Latency.Percentile(0.50), s.Latency.Percentile(0.99), s.Latency.MaxMicroseconds,
            Process.GetCurrentProcess().PeakWorkingSet64,
            progress.MmrSize, progress.MmrRoot.ToHex(), progress.NextOffset, engine.LastSignedCheckpoint,
            stages, engine.Recovery.ReplayFrom, engine.Recovery.Committed.Accepted + engine.Recovery.Committed.Rejected,
            engine.Recovery.Restored, Math.Round(engine.Recovery.RestoreTime.TotalSeconds, 3));
    }

    /// <summary>Checks <paramref name="samples"/> random accepted votes' inclusion proofs against the latest signed checkpoint of the data directory.</summary>
    public static (int Checked, int Valid) CheckInclusionSample(ElectionSetup election, string dataDir, int partition, int samples, int seed = 7)
    {
        var note = File.ReadAllText(Path.Combine(LocalPartition.CheckpointDirectory(dataDir, partition), LocalCheckpointSink.LatestFile));
        var checkpoint = Checkpoint.Open(note, election.Signer.Verifier, election.Origin(partition));
        var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(dataDir, partition)).Where(v => v.MmrIndex < checkpoint.Size).ToList();
        using var nodes = FileMmrNodeStore.Open(LocalPartition.MmrFile(dataDir, partition));
        var mmr = new MerkleMountainRange(nodes);
        var rng = new Random(seed);
        int valid = 0, n = Math.Min(samples, votes.Count);
        for (int i = 0; i < n; i++)
        {
            var v = votes[rng.Next(votes.Count)];
            var proof = mmr.GetInclusionProof(v.MmrIndex, checkpoint.Size);
            if (Rfc9162.VerifyInclusion(v.MmrIndex, checkpoint.Size, Rfc9162.HashLeaf(v.Record), proof, checkpoint.Root))
            {
                valid++;
            }
        }
        return (n, valid);
    }
}

/// <summary>
/// Releases the records of an input log no faster than a given rate, as clients would send them:
/// for measuring latency below saturation (a log read at full speed only measures queueing).
/// </summary>
public sealed class PacedInputLog : IInputLog
{
    private readonly IInputLog _inner;
    private readonly double _ticksPerRecord;
    private long _released;
    private long _start;

    public PacedInputLog(IInputLog inner, double recordsPerSecond)
    {
        _inner = inner;
        _ticksPerRecord = Stopwatch.Frequency / recordsPerSecond;
    }

    public bool IsComplete => _inner.IsComplete;

    public void Seek(long offset) => _inner.Seek(offset);

    public bool TryRead(TimeSpan timeout, out InputRecord record)
    {
        if (_start == 0)
        {
            _start = Stopwatch.GetTimestamp();
        }
        long due = _start + (long)(_released * _ticksPerRecord);
        long wait = due - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            var ms = wait * 1000.0 / Stopwatch.Frequency;
            if (ms > timeout.TotalMilliseconds)
            {
                Thread.Sleep(timeout);
                record = default;
                return false;
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(ms));
        }
        if (!_inner.TryRead(timeout, out record))
        {
            return false;
        }
        _released++;
        return true;
    }

    public void Dispose() => _inner.Dispose();
}
