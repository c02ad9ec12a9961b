using System.Diagnostics;
using System.Globalization;
using Prometheus;
using TVS.Crypto.Groth16;
using TVS.Engine.Processing;
using TVS.Engine.Votes;

namespace TVS.Ingest.Metrics;

/// <summary>
/// One registered partition: its <see cref="EngineStats"/>, its labelled series (made once, so a
/// scrape does no label lookups), and the snapshots behind the one-minute gauges. Used under
/// <see cref="EngineMetrics"/>'s lock only.
/// </summary>
internal sealed class PartitionSeries
{
    private const int PreCheckStage = (int)Stage.PreCheck;
    private const int CommitStage = (int)Stage.Commit;

    /// <summary>Every reason code the engine can give, exported at zero from the start so that rate() sees a first refusal.</summary>
    internal static readonly string[] KnownReasons = KnownReasonCodes();

    private readonly EngineCollectors _c;
    private readonly EngineStats _stats;
    private readonly Func<long?>? _consumerLag;
    private readonly string _label;
    private readonly TimeSpan _window;
    private readonly Dictionary<string, Counter.Child> _rejections = new(StringComparer.Ordinal);
    private readonly Counter.Child[] _stageBusy;
    private readonly Counter.Child[] _stageRecords;
    private readonly Histogram.Child _latency;

    /// <summary>Latency bucket counts already fed into the Prometheus histogram.</summary>
    private readonly long[] _latencyExported = new long[LatencyHistogram.BucketCount];

    /// <summary>Snapshots at least a twelfth of the window apart, oldest first; the first one at least a window old when there is one.</summary>
    private readonly List<Snapshot> _history = [];

    public PartitionSeries(EngineCollectors collectors, int partition, EngineStats stats, Func<long?>? consumerLag, TimeSpan window)
    {
        _c = collectors;
        _stats = stats;
        _consumerLag = consumerLag;
        _window = window;
        _label = partition.ToString(CultureInfo.InvariantCulture);
        foreach (var reason in KnownReasons)
        {
            _rejections[reason] = _c.Rejections.WithLabels(_label, reason);
        }
        _stageBusy = new Counter.Child[EngineStats.StageNames.Length];
        _stageRecords = new Counter.Child[EngineStats.StageNames.Length];
        for (int i = 0; i < _stageBusy.Length; i++)
        {
            _stageBusy[i] = _c.StageBusySeconds.WithLabels(_label, EngineStats.StageNames[i]);
            _stageRecords[i] = _c.StageRecords.WithLabels(_label, EngineStats.StageNames[i]);
        }
        _latency = _c.Latency.WithLabels(_label);
        _history.Add(Snapshot.Of(stats, Stopwatch.GetTimestamp()));
    }

    /// <summary>Copies the stats into the series (at scrape time).</summary>
    public void Collect()
    {
        var s = _stats;
        // Read in pipeline order (durable before read) so that racy reads cannot make in-flight negative.
        long committed = Volatile.Read(ref s.Committed);
        long replayed = Volatile.Read(ref s.Replayed);
        long read = Volatile.Read(ref s.Read);
        _c.RecordsRead.WithLabels(_label).IncTo(read);
        _c.RecordsCommitted.WithLabels(_label).IncTo(committed);
        _c.RecordsReplayed.WithLabels(_label).IncTo(replayed);
        _c.VotesAccepted.WithLabels(_label).IncTo(Volatile.Read(ref s.Accepted));
        _c.VotesRejected.WithLabels(_label).IncTo(Volatile.Read(ref s.Rejected));
        _c.VotesRestored.WithLabels(_label).IncTo(Volatile.Read(ref s.VotesRestored));
        _c.ProofsVerified.WithLabels(_label).IncTo(Interlocked.Read(ref s.ProofsVerified));
        _c.ProofsRefused.WithLabels(_label).IncTo(Interlocked.Read(ref s.ProofsRefused));
        _c.RecordsInFlight.WithLabels(_label).Set(Math.Max(0, read - committed - replayed));
        foreach (var (reason, count) in s.RejectionsByReason())
        {
            if (!_rejections.TryGetValue(reason, out var child))
            {
                _rejections[reason] = child = _c.Rejections.WithLabels(_label, reason);
            }
            child.IncTo(count);
        }
        for (int i = 0; i < _stageBusy.Length; i++)
        {
            _stageBusy[i].IncTo((double)Volatile.Read(ref s.StageTicks[i]) / Stopwatch.Frequency);
            _stageRecords[i].IncTo(Volatile.Read(ref s.StageRecords[i]));
        }

        // Checkpointed first: it never passes the MMR, so read this way the lag is never negative.
        long checkpointed = Volatile.Read(ref s.CheckpointedLeaves);
        long leaves = Volatile.Read(ref s.MmrLeaves);
        _c.MmrLeaves.WithLabels(_label).Set(leaves);
        _c.CheckpointedLeaves.WithLabels(_label).Set(checkpointed);
        _c.MerkleUpdateLag.WithLabels(_label).Set(Math.Max(0, leaves - checkpointed));
        long signedAt = Volatile.Read(ref s.LastCheckpointUnixMilliseconds);
        if (signedAt > 0)
        {
            _c.LastCheckpoint.WithLabels(_label).Set(signedAt / 1000.0);
        }

        long? lag = null;
        try
        {
            lag = _consumerLag?.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A lag that cannot be read now (consumer closing) is left out of this scrape, not fatal to it.
        }
        if (lag is { } l)
        {
            _c.KafkaConsumerLag.WithLabels(_label).Set(l);
        }
        else
        {
            _c.KafkaConsumerLag.RemoveLabelled(_label);
        }

        var now = Snapshot.Of(s, Stopwatch.GetTimestamp());
        ExportLatency(now.Latency);
        UpdateWindow(now);
    }

    /// <summary>Feeds the samples recorded since the last scrape into the Prometheus histogram, each at its bucket's upper bound.</summary>
    private void ExportLatency(long[] counts)
    {
        for (int i = 0; i < counts.Length; i++)
        {
            long added = counts[i] - _latencyExported[i];
            if (added > 0)
            {
                _latency.Observe(LatencyHistogram.BucketUpperBound(i) / 1e6, added);
                _latencyExported[i] = counts[i];
            }
        }
    }

    /// <summary>Sets the one-minute gauges from the newest snapshot at least a window old (or the oldest there is).</summary>
    private void UpdateWindow(Snapshot now)
    {
        var baseline = _history[0];
        foreach (var h in _history)
        {
            if (Elapsed(h, now) >= _window)
            {
                baseline = h;
            }
        }
        double seconds = Elapsed(baseline, now).TotalSeconds;
        _c.VotesPerSecond.WithLabels(_label).Set(seconds > 0 ? (now.Committed - baseline.Committed) / seconds : double.NaN);
        _c.LatencyP99.WithLabels(_label).Set(Percentile(baseline.Latency, now.Latency, 0.99));
        _c.NullifierCheckLatency.WithLabels(_label, "lookup").Set(MeanBusySeconds(baseline, now, PreCheckStage));
        _c.NullifierCheckLatency.WithLabels(_label, "insert").Set(MeanBusySeconds(baseline, now, CommitStage));

        if (Elapsed(_history[^1], now) >= _window / 12)
        {
            _history.Add(now);
        }
        while (_history.Count > 1 && Elapsed(_history[1], now) >= _window)
        {
            _history.RemoveAt(0);
        }
    }

    /// <summary>Removes every series of this partition (on revoke): a later owner starts from zero, which rate() reads as a reset.</summary>
    public void Remove()
    {
        _c.RecordsRead.RemoveLabelled(_label);
        _c.RecordsCommitted.RemoveLabelled(_label);
        _c.RecordsReplayed.RemoveLabelled(_label);
        _c.VotesAccepted.RemoveLabelled(_label);
        _c.VotesRejected.RemoveLabelled(_label);
        _c.VotesRestored.RemoveLabelled(_label);
        _c.ProofsVerified.RemoveLabelled(_label);
        _c.ProofsRefused.RemoveLabelled(_label);
        foreach (var reason in _rejections.Keys)
        {
            _c.Rejections.RemoveLabelled(_label, reason);
        }
        foreach (var stage in EngineStats.StageNames)
        {
            _c.StageBusySeconds.RemoveLabelled(_label, stage);
            _c.StageRecords.RemoveLabelled(_label, stage);
        }
        _c.Latency.RemoveLabelled(_label);
        _c.VotesPerSecond.RemoveLabelled(_label);
        _c.LatencyP99.RemoveLabelled(_label);
        _c.NullifierCheckLatency.RemoveLabelled(_label, "lookup");
        _c.NullifierCheckLatency.RemoveLabelled(_label, "insert");
        _c.RecordsInFlight.RemoveLabelled(_label);
        _c.MmrLeaves.RemoveLabelled(_label);
        _c.CheckpointedLeaves.RemoveLabelled(_label);
        _c.MerkleUpdateLag.RemoveLabelled(_label);
        _c.LastCheckpoint.RemoveLabelled(_label);
        _c.KafkaConsumerLag.RemoveLabelled(_label);
    }

    private static TimeSpan Elapsed(Snapshot from, Snapshot to) => Stopwatch.GetElapsedTime(from.Timestamp, to.Timestamp);

    private static double MeanBusySeconds(Snapshot from, Snapshot to, int stage)
    {
        long slots = to.StageRecords[stage] - from.StageRecords[stage];
        return slots > 0 ? (double)(to.StageTicks[stage] - from.StageTicks[stage]) / Stopwatch.Frequency / slots : double.NaN;
    }

    /// <summary>Quantile <paramref name="q"/> of the samples recorded between two snapshots, in seconds (the bucket's upper bound); NaN if none.</summary>
    internal static double Percentile(long[] from, long[] to, double q)
    {
        long total = 0;
        for (int i = 0; i < to.Length; i++)
        {
            total += to[i] - from[i];
        }
        if (total <= 0)
        {
            return double.NaN;
        }
        long rank = Math.Clamp((long)Math.Ceiling(q * total), 1, total);
        long seen = 0;
        for (int i = 0; i < to.Length; i++)
        {
            seen += to[i] - from[i];
            if (seen >= rank)
            {
                return LatencyHistogram.BucketUpperBound(i) / 1e6;
            }
        }
        return double.NaN;
    }

    private static string[] KnownReasonCodes()
    {
        var codes = new SortedSet<string>(StringComparer.Ordinal)
        {
            VoteRejectReason.Malformed.Code(),
            VoteRejectReason.Envelope.Code(),
            VoteRejectReason.NullifierMismatch.Code(),
            VoteRejectReason.WrongElection.Code(),
            VoteRejectReason.UnknownDepth.Code(),
            VoteRejectReason.UnknownRoot.Code(),
            VoteRejectReason.Duplicate.Code(),
        };
        foreach (var e in Enum.GetValues<VerifyError>())
        {
            if (e != VerifyError.None)
            {
                codes.Add(VoteRejectReason.Proof(e).Code());
            }
        }
        return [.. codes];
    }

    /// <summary>What the one-minute gauges difference: committed records, stage times and latency buckets at one instant.</summary>
    private sealed record Snapshot(long Timestamp, long Committed, long[] StageTicks, long[] StageRecords, long[] Latency)
    {
        public static Snapshot Of(EngineStats s, long timestamp)
        {
            var latency = new long[LatencyHistogram.BucketCount];
            s.Latency.CopyCounts(latency);
            var ticks = new long[EngineStats.StageNames.Length];
            var records = new long[EngineStats.StageNames.Length];
            for (int i = 0; i < ticks.Length; i++)
            {
                ticks[i] = Volatile.Read(ref s.StageTicks[i]);
                records[i] = Volatile.Read(ref s.StageRecords[i]);
            }
            return new Snapshot(timestamp, Volatile.Read(ref s.Committed), ticks, records, latency);
        }
    }
}
