using Confluent.Kafka;

namespace TVS.Ingest.Kafka;

/// <summary>
/// What the integrator plugs into <see cref="KafkaGroupRunner"/>: one PartitionEngine per owned
/// partition. All calls come from the runner's thread, one at a time.
/// </summary>
public interface IPartitionHandler
{
    /// <summary>
    /// This member now owns <paramref name="partition"/>: open its input log
    /// (<see cref="AssignedPartition.OpenInputLog"/>) and start its engine on a thread of its own;
    /// the engine's recovery seeks the log. Return promptly: the group waits.
    /// </summary>
    void OnAssigned(AssignedPartition partition);

    /// <summary>
    /// The partition is being handed to another member: stop its engine (it flushes, commits its
    /// progress and, through <see cref="OffsetCommittingVoteStore"/>, the offset) and return only
    /// when it has stopped. Offset commits still work until this returns.
    /// </summary>
    void OnRevoked(int partition);

    /// <summary>
    /// The partition was lost (this member was thrown out of the group, e.g. a missed session):
    /// another member may already be writing it. Stop the engine without committing offsets; the
    /// progress row decides where the new owner resumes.
    /// </summary>
    void OnLost(int partition);
}

/// <summary>A partition handed to this member, with the means to read and commit it.</summary>
public sealed class AssignedPartition
{
    private readonly KafkaGroupRunner _runner;

    internal AssignedPartition(KafkaGroupRunner runner, int partition)
    {
        _runner = runner;
        Partition = partition;
    }

    public int Partition { get; }

    /// <summary>
    /// A reader of this partition whose <see cref="KafkaInputLog.CommitOffset"/> goes through the
    /// group member (a commit from outside the member would be refused by a real broker while the
    /// group is active).
    /// </summary>
    public KafkaInputLog OpenInputLog() => new(_runner.InputOptions(Partition), _runner);
}

/// <summary>Settings of a <see cref="KafkaGroupRunner"/>.</summary>
public sealed record KafkaGroupOptions
{
    public required string BootstrapServers { get; init; }
    public string GroupId { get; init; } = "tvs-engine";
    public string Topic { get; init; } = KafkaTopics.Pending;
    /// <summary>How long the group waits for a silent member before reassigning its partitions.</summary>
    public int SessionTimeoutMs { get; init; } = 10_000;
    /// <summary>
    /// How often the member tells the coordinator it is alive, and so how soon it learns that a
    /// rebalance began. Default: a fifth of the session timeout (librdkafka's own default, 3 s,
    /// leaves a member that joins late on a loaded machine too little of the coordinator's join
    /// window, and it is then left out of the generation).
    /// </summary>
    public int? HeartbeatIntervalMs { get; init; }
    public IReadOnlyDictionary<string, string>? Extra { get; init; }
}

/// <summary>
/// The engine side of the consumer group: subscribes to <c>votes.pending</c> with the
/// cooperative-sticky assignor (a rebalance moves only the partitions that change owner; the
/// others' engines keep running) and turns assignments into <see cref="IPartitionHandler"/> calls.
/// </summary>
/// <remarks>
/// The member consumer only holds membership and commits offsets: each owned partition is read
/// by its own <see cref="KafkaInputLog"/> (an assigned, non-member consumer), because the .NET
/// client cannot split one consumer's stream into per-partition queues and each engine has its
/// own ingest thread. The member's partitions are paused as soon as they arrive (it starts them
/// at the log end so it fetches next to nothing before that); anything it does receive is
/// dropped, and its position is never committed.
/// </remarks>
public sealed class KafkaGroupRunner : IOffsetCommitter, IDisposable
{
    private readonly KafkaGroupOptions _options;
    private readonly IPartitionHandler _handler;
    private readonly IConsumer<Ignore, Ignore> _member;
    private readonly HashSet<int> _owned = [];
    private readonly List<TopicPartition> _toPause = [];
    private volatile Error? _fatal;
    private Exception? _handlerFailure;

    public KafkaGroupRunner(KafkaGroupOptions options, IPartitionHandler handler)
    {
        _options = options;
        _handler = handler;
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = options.SessionTimeoutMs,
            HeartbeatIntervalMs = options.HeartbeatIntervalMs ?? Math.Max(100, options.SessionTimeoutMs / 5),
            ClientId = "tvs-engine-member",
            // It fetches next to nothing (paused, started at the end): keep its buffers small.
            QueuedMaxMessagesKbytes = 64,
        };
        if (options.Extra != null)
        {
            foreach (var (k, v) in options.Extra)
            {
                config.Set(k, v);
            }
        }
        _member = new ConsumerBuilder<Ignore, Ignore>(config)
            .SetPartitionsAssignedHandler((c, added) => Assigned(added))
            .SetPartitionsRevokedHandler((c, revoked) => Revoked(revoked, lost: false))
            .SetPartitionsLostHandler((c, lost) => Revoked(lost, lost: true))
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal)
                {
                    _fatal = e;
                }
            })
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>Partitions this member owns now (a snapshot).</summary>
    public int[] Owned
    {
        get
        {
            lock (_owned)
            {
                return [.. _owned.Order()];
            }
        }
    }

    internal KafkaInputLogOptions InputOptions(int partition) => new()
    {
        BootstrapServers = _options.BootstrapServers,
        GroupId = _options.GroupId,
        Topic = _options.Topic,
        Partition = partition,
        Extra = _options.Extra,
    };

    /// <summary>
    /// Joins the group and serves its callbacks until <paramref name="stop"/>; then leaves it
    /// cleanly (every owned partition is revoked through the handler first).
    /// </summary>
    public void Run(CancellationToken stop)
    {
        _member.Subscribe(_options.Topic);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (_fatal is { } fatal)
                {
                    throw new KafkaException(fatal);
                }
                if (_handlerFailure is { } failure)
                {
                    throw new InvalidOperationException("a partition handler failed; this member leaves the group", failure);
                }
                try
                {
                    // Serves rebalance callbacks; data should not arrive (paused) and is dropped if it does.
                    _member.Consume(100);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    // Transient (a broker restarting): librdkafka reconnects by itself.
                }
                PausePending();
            }
        }
        finally
        {
            // Close() revokes everything through the handler (engines flush and commit), then leaves.
            _member.Close();
        }
    }

    // The handler's exceptions never escape a rebalance callback: the client would then skip the
    // incremental (un)assign that completes the rebalance, and Close() would wait for it forever.
    // The first one is kept and thrown by Run once the callback has returned.
    private void Guarded(Action call)
    {
        try
        {
            call();
        }
        catch (Exception e)
        {
            _handlerFailure ??= e;
        }
    }

    private IEnumerable<TopicPartitionOffset> Assigned(List<TopicPartition> added)
    {
        foreach (var tp in added)
        {
            lock (_owned)
            {
                _owned.Add(tp.Partition.Value);
            }
            _toPause.Add(tp);
            Guarded(() => _handler.OnAssigned(new AssignedPartition(this, tp.Partition.Value)));
        }
        return added.Select(tp => new TopicPartitionOffset(tp, Offset.End));
    }

    private void Revoked(List<TopicPartitionOffset> revoked, bool lost)
    {
        foreach (var tpo in revoked)
        {
            int p = tpo.Partition.Value;
            if (lost)
            {
                Guarded(() => _handler.OnLost(p));
            }
            else
            {
                Guarded(() => _handler.OnRevoked(p));
            }
            lock (_owned)
            {
                _owned.Remove(p);
            }
            _toPause.RemoveAll(x => x.Partition.Value == p);
        }
    }

    private void PausePending()
    {
        if (_toPause.Count == 0)
        {
            return;
        }
        try
        {
            _member.Pause(_toPause);
            _toPause.Clear();
        }
        catch (KafkaException)
        {
            // Not assigned yet (the incremental assign completes after the callback): next round.
        }
    }

    /// <summary>Commits for a partition this member owns (called by its KafkaInputLog, from the engine's flush thread).</summary>
    public void Commit(string topic, int partition, long nextOffset)
        => _member.Commit([new TopicPartitionOffset(topic, partition, new Offset(nextOffset))]);

    /// <summary>How long <see cref="Dispose"/> waits for librdkafka to destroy the consumer.</summary>
    public static TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when <see cref="Dispose"/> gave up waiting for the consumer's destruction (it goes on in the background).</summary>
    public bool DisposeAbandoned { get; private set; }

    /// <summary>
    /// Destroys the consumer, waiting at most <see cref="DisposeTimeout"/>: rd_kafka_destroy has been
    /// seen to spin without end in its main thread after a cooperative rebalance on a loaded machine
    /// (librdkafka's mock cluster, in the test suite), and a member that stops must not hang its
    /// process for it; the destruction goes on in the background and the process exits regardless.
    /// </summary>
    public void Dispose()
    {
        var destroy = new Thread(() => _member.Dispose()) { IsBackground = true, Name = "tvs-kafka-destroy" };
        destroy.Start();
        DisposeAbandoned = !destroy.Join(DisposeTimeout);
    }
}
