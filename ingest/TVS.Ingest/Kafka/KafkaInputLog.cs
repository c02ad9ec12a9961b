using Confluent.Kafka;
using TVS.Engine.Ports;

namespace TVS.Ingest.Kafka;

/// <summary>Where a partition's consumed position is committed: the partition's own consumer, or the group member that owns it.</summary>
public interface IOffsetCommitter
{
    /// <summary>Commits <paramref name="nextOffset"/> (the next record to read) for <paramref name="partition"/>; returns when the broker has stored it, throws on failure.</summary>
    void Commit(string topic, int partition, long nextOffset);
}

/// <summary>Settings of a <see cref="KafkaInputLog"/>.</summary>
public sealed record KafkaInputLogOptions
{
    public required string BootstrapServers { get; init; }

    /// <summary>Consumer group under which offsets are committed (<c>tvs-engine</c> by convention).</summary>
    public string GroupId { get; init; } = "tvs-engine";

    public string Topic { get; init; } = KafkaTopics.Pending;

    public required int Partition { get; init; }

    /// <summary>Extra librdkafka settings (e.g. security); applied last.</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }
}

/// <summary>
/// One partition of <c>votes.pending</c> as the engine's input log (docs/design.md, "Durability and
/// recovery"): <see cref="Seek"/> assigns the partition at an offset, <see cref="TryRead"/> returns
/// the records in order with their Kafka offsets (next = offset + 1). Offsets are committed only
/// by <see cref="CommitOffset"/>, which the integrator calls after a batch's progress is durable
/// (<see cref="OffsetCommittingVoteStore"/>); Kafka's committed offset is a lagging copy of the
/// progress row, which stays the authority on restart.
/// </summary>
/// <remarks>
/// Never skips a record: auto.offset.reset is <c>error</c>, so a position below the partition's
/// low watermark (retention, or the mock cluster's eviction) fails loudly instead of silently
/// jumping ahead. Fatal client errors surface as <see cref="KafkaException"/>; transient ones
/// (broker restarts, leader moves) are retried inside <see cref="TryRead"/> until its timeout.
/// Per record the .NET client allocates its ConsumeResult and the key and value arrays (it has no
/// span-based consume); the spans handed out point into those arrays, so nothing more is copied.
/// </remarks>
public sealed class KafkaInputLog : IInputLog
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly IOffsetCommitter? _committer;
    private ConsumeResult<byte[], byte[]>? _current; // keeps the spans of the last record alive
    private volatile Error? _fatal;
    private bool _assigned;
    private long _transientErrors;

    public KafkaInputLog(KafkaInputLogOptions options, IOffsetCommitter? committer = null)
    {
        Topic = options.Topic;
        Partition = options.Partition;
        _committer = committer;
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Error,
            // The engine's ingest thread polls with its tick interval: do not let a fetch sit on
            // the broker much longer than that when the partition is quiet.
            FetchWaitMaxMs = 50,
            ClientId = $"tvs-input-p{options.Partition}",
        };
        if (options.Extra != null)
        {
            foreach (var (k, v) in options.Extra)
            {
                config.Set(k, v);
            }
        }
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                // Non-fatal errors (a broker down, a leader moving) are retried by librdkafka.
                if (e.IsFatal)
                {
                    _fatal = e;
                }
                else
                {
                    Interlocked.Increment(ref _transientErrors);
                }
            })
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public string Topic { get; }

    public int Partition { get; }

    /// <summary>Kafka never ends.</summary>
    public bool IsComplete => false;

    /// <summary>Transient errors seen (retried), for metrics and tests.</summary>
    public long TransientErrors => Interlocked.Read(ref _transientErrors);

    /// <summary>
    /// Records in the partition beyond this log's read position (the engine's consumer lag): the
    /// high watermark librdkafka cached from its last fetch minus the consumer's position. Both
    /// are local reads, no broker round trip, so a metrics scrape may call it from any thread.
    /// Null while either is unknown (before the first fetch after <see cref="Seek"/>) or once
    /// the log is disposed.
    /// </summary>
    public long? Lag
    {
        get
        {
            var partition = new TopicPartition(Topic, Partition);
            try
            {
                long high = _consumer.GetWatermarkOffsets(partition).High.Value;
                long position = _consumer.Position(partition).Value;
                return high < 0 || position < 0 ? null : Math.Max(0, high - position);
            }
            catch (Exception e) when (e is KafkaException or ObjectDisposedException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    public void Seek(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        _current = null;
        _consumer.Assign(new TopicPartitionOffset(Topic, Partition, new Offset(offset)));
        _assigned = true;
    }

    public bool TryRead(TimeSpan timeout, out InputRecord record)
    {
        if (!_assigned)
        {
            throw new InvalidOperationException("Seek first: the input log is positioned by the engine's recovery");
        }
        record = default;
        long deadline = Environment.TickCount64 + (long)Math.Max(0, timeout.TotalMilliseconds);
        while (true)
        {
            if (_fatal is { } fatal)
            {
                throw new KafkaException(fatal);
            }
            int wait = (int)Math.Max(0, deadline - Environment.TickCount64);
            ConsumeResult<byte[], byte[]>? r;
            try
            {
                r = _consumer.Consume(wait);
            }
            catch (ConsumeException e) when (e.Error.Code is ErrorCode.Local_AutoOffsetReset or ErrorCode.OffsetOutOfRange)
            {
                throw new InvalidDataException(
                    $"{Topic}[{Partition}]: the requested offset is no longer in the log ({e.Error.Reason}); records were lost to retention or eviction and the engine cannot continue", e);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                Interlocked.Increment(ref _transientErrors);
                if (Environment.TickCount64 >= deadline)
                {
                    return false;
                }
                Thread.Sleep(Math.Min(10, wait));
                continue;
            }
            catch (ConsumeException e)
            {
                throw new KafkaException(e.Error, e);
            }
            if (r == null)
            {
                return false;
            }
            if (r.IsPartitionEOF)
            {
                if (Environment.TickCount64 >= deadline)
                {
                    return false;
                }
                continue;
            }
            _current = r;
            long offset = r.Offset.Value;
            record = new InputRecord(offset, offset + 1, r.Message.Key, r.Message.Value);
            return true;
        }
    }

    /// <summary>
    /// Commits <paramref name="nextOffset"/> for the group: call only once everything before it is
    /// durable (the batch's progress row). Through the group member when the partition came from
    /// <see cref="KafkaGroupRunner"/>, else with this log's own consumer.
    /// </summary>
    public void CommitOffset(long nextOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nextOffset);
        if (_committer != null)
        {
            _committer.Commit(Topic, Partition, nextOffset);
        }
        else
        {
            _consumer.Commit([new TopicPartitionOffset(Topic, Partition, new Offset(nextOffset))]);
        }
    }

    /// <summary>The group's committed offset for this partition, −1 if none.</summary>
    public long CommittedOffset(TimeSpan timeout)
    {
        var c = _consumer.Committed([new TopicPartition(Topic, Partition)], timeout);
        long v = c.Count == 1 ? c[0].Offset.Value : -1;
        return v < 0 ? -1 : v;
    }

    public void Dispose()
    {
        _current = null;
        // Never Close(): this consumer is not a group member and must not commit anything on its way out.
        _consumer.Dispose();
    }
}

/// <summary>
/// Wraps the flush stage's vote store so that Kafka offsets are committed right after the batch's
/// progress is durable, never before (docs/design.md "Durability and recovery", pipeline step 7). A
/// failed offset commit does not fail the batch: the progress row is already the truth, and the
/// next batch commits a later offset anyway.
/// </summary>
/// <remarks>
/// With a <see cref="ValidatedPublisher"/>, the batch's accepted votes are published on
/// <c>votes.validated</c> BEFORE the vote store commits, like the dead letters: a verdict is a
/// function of the input log, so publishing it early is safe, and publishing it first means a
/// crash between the two can only repeat events (a replay re-derives and republishes the same
/// ones), never lose them; a batch replayed after its commit is not written again, so publishing
/// after the commit could lose that batch's events for good.
/// </remarks>
public sealed class OffsetCommittingVoteStore : IVoteStore
{
    private readonly IVoteStore _inner;
    private readonly KafkaInputLog _log;
    private readonly ValidatedPublisher? _validated;
    private long _failures;
    private volatile bool _fenced;

    public OffsetCommittingVoteStore(IVoteStore inner, KafkaInputLog log, ValidatedPublisher? validated = null)
    {
        _inner = inner;
        _log = log;
        _validated = validated;
    }

    /// <summary>Offset commits that failed (the next one covers them).</summary>
    public long CommitFailures => Interlocked.Read(ref _failures);

    /// <summary>
    /// Stops committing offsets (the partition was lost to another member, which now owns the
    /// group's offset for it); rows and progress are still written, harmlessly: they are the same
    /// rows the new owner derives, and the store skips what is already committed.
    /// </summary>
    public void Fence() => _fenced = true;

    public PartitionProgress LoadProgress() => _inner.LoadProgress();

    public void Commit(VoteBatch batch, in PartitionProgress progress)
    {
        _validated?.Publish(batch);
        _inner.Commit(batch, progress);
        if (_fenced)
        {
            return;
        }
        try
        {
            _log.CommitOffset(progress.NextOffset);
        }
        catch (KafkaException)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    public void Dispose() => _inner.Dispose();
}
