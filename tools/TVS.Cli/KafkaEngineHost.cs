using System.Diagnostics;
using Npgsql;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Ingest.Kafka;
using TVS.LoadGen;
using TVS.Storage;
using TVS.Storage.Board;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>
/// The production composition of <c>tvs engine run</c> (docs/operations.md, "Engine over Kafka"):
/// a member of the engines' consumer group on <c>votes.pending</c> that runs one
/// <see cref="PartitionEngine"/> per partition it owns. Per partition: FASTER nullifiers, the MMR
/// node file and signed checkpoints stay local (under the data directory's <c>p{N}</c>); accepted
/// votes and progress go to PostgreSQL (or the local vote store without one), batch objects to S3
/// (or local files), dead letters to <c>votes.rejected</c>, accepted events to
/// <c>votes.validated</c>, and the Kafka offset is committed after the batch is durable.
/// </summary>
/// <remarks>
/// <para>Rebalances: a revoked partition's engine is stopped the graceful way (drain, commit, sign,
/// commit the offset) before the group hands it on; a newly assigned one recovers from the
/// committed progress and whatever local checkpoint this machine has for it (none, or one behind
/// the progress: it restores the votes in between from the vote store's rows and reads Kafka from
/// the committed offset, verifying no proof twice; docs/pipeline.md "Recovery"). A lost partition (this member
/// missed its session) is stopped with offset commits fenced off: its last writes are the same
/// rows the new owner derives, and the store skips what is already committed.</para>
/// <para>A partition engine that fails (a store that does not belong to the partition, records lost
/// to retention) stops the whole member with an error: an orchestrator restarts it, and the group
/// moves its partitions meanwhile. Nothing is skipped to keep going.</para>
/// </remarks>
public sealed class KafkaEngineHost : IPartitionHandler, IDisposable
{
    private readonly ElectionSetup _election;
    private readonly EngineSettings _settings;
    private readonly Action<string> _log;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly Dictionary<int, Running> _running = [];
    private readonly List<string> _failures = [];
    private readonly Dictionary<int, PartitionProgress> _final = [];
    private KafkaGroupRunner? _runner;

    /// <summary>Thread-pool threads kept ready (FASTER checkpoints of many partitions at once; see <see cref="Run"/>).</summary>
    public const int MinThreadPoolThreads = 128;

    public KafkaEngineHost(ElectionSetup election, EngineSettings settings, Action<string> log)
    {
        if (settings.Kafka is null || settings.Data is null)
        {
            throw new ArgumentException("Engine:Kafka and Engine:Data must be set", nameof(settings));
        }
        _election = election;
        _settings = settings;
        _log = log;
        if (settings.Postgres is { } cs)
        {
            _dataSource = PostgresVoteStore.CreateDataSource(cs);
        }
    }

    /// <summary>Called after a partition engine is started (metrics registration, tests).</summary>
    public Action<int, PartitionEngine, KafkaInputLog>? OnStarted { get; init; }

    /// <summary>Called after a partition engine has stopped and its stores are closed.</summary>
    public Action<int>? OnStopped { get; init; }

    /// <summary>The NpgsqlDataSource shared by the partitions' vote stores (null without PostgreSQL).</summary>
    public NpgsqlDataSource? DataSource => _dataSource;

    /// <summary>Partitions owned now.</summary>
    public int[] Owned
    {
        get
        {
            lock (_running)
            {
                return [.. _running.Keys.Order()];
            }
        }
    }

    /// <summary>The engines running now (a snapshot), for status lines and metrics.</summary>
    public (int Partition, PartitionEngine Engine)[] Engines
    {
        get
        {
            lock (_running)
            {
                return [.. _running.Where(kv => kv.Value.Ran).OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.Engine!))];
            }
        }
    }

    /// <summary>The durable progress of every partition this member stopped, by partition (last one wins).</summary>
    public IReadOnlyDictionary<int, PartitionProgress> StoppedProgress
    {
        get
        {
            lock (_final)
            {
                return new Dictionary<int, PartitionProgress>(_final);
            }
        }
    }

    /// <summary>
    /// Joins the group and runs the owned partitions' engines until <paramref name="stop"/>; then
    /// revokes everything (each engine drains and commits) and leaves the group. Throws if a
    /// partition engine failed.
    /// </summary>
    public void Run(CancellationToken stop)
    {
        CheckPartitionCount();
        // FASTER runs its checkpoint state machine on thread-pool threads that wait synchronously
        // for device writes whose completions need thread-pool threads too. Sixteen partitions
        // checkpointing at once on a 2-core machine starve the pool (it adds a thread or two per
        // second), and every engine stalls in its commit stage on an idle machine (docs/
        // PERFORMANCE.md, "End to end through Kafka, PostgreSQL and S3"). Keep enough
        // threads ready for all of them at once.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, MinThreadPoolThreads), io);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _runner = new KafkaGroupRunner(new KafkaGroupOptions
        {
            BootstrapServers = _settings.Kafka!,
            GroupId = _settings.KafkaGroup,
            Topic = _settings.KafkaTopic,
            SessionTimeoutMs = _settings.KafkaSessionTimeoutMs,
        }, this);
        var watcher = new Thread(() =>
        {
            while (!failed.IsCancellationRequested)
            {
                Thread.Sleep(100);
                lock (_failures)
                {
                    if (_failures.Count > 0)
                    {
                        failed.Cancel();
                    }
                }
            }
        })
        { IsBackground = true, Name = "tvs-host-watch" };
        watcher.Start();
        // The board is published from the authority, on its own thread: an S3 outage delays it, never the engines.
        using var board = EngineBoard.Start(_settings, _election, _dataSource, () => Owned, _log);
        Board = board?.Follower;
        try
        {
            _runner.Run(failed.Token);
        }
        finally
        {
            failed.Cancel();
            watcher.Join();
            _runner.Dispose();
            _runner = null;
            board?.Stop(_log);
        }
        lock (_failures)
        {
            if (_failures.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", _failures));
            }
        }
    }

    /// <summary>The board follower of this member (null when PublishBoard is off), for metrics and tests.</summary>
    public BoardFollower? Board { get; private set; }

    /// <summary>
    /// The partition count has one authority, election.json: refuses to start (an
    /// <see cref="InvalidOperationException"/> naming both numbers) when the input topic has
    /// another count (<see cref="PartitionCountMismatchException"/>), and, with PostgreSQL, registers
    /// the election in <c>elections</c> (first engine) or checks it against the row another engine
    /// registered (<see cref="ElectionPartitionMismatchException"/>). Runs before the member joins
    /// the group, so a refused engine never owns a partition.
    /// </summary>
    public void CheckPartitionCount()
    {
        KafkaTopics.RequirePartitionCount(_settings.Kafka!, _settings.KafkaTopic, _election.Partitions);
        if (_dataSource is null)
        {
            _log($"election {_election.Id:D}: {_election.Partitions} partition(s), as topic {_settings.KafkaTopic} has");
            return;
        }
        try
        {
            PostgresElections.Register(_dataSource, _election.Id, _election.Id.ToString("D"), _election.Partitions);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new InvalidOperationException($"PostgreSQL has no TVS schema (table elections is missing): run tvs db migrate first ({e.MessageText})", e);
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL: could not register election {_election.Id:D} in table elections: {e.Message}", e);
        }
        _log($"election {_election.Id:D}: {_election.Partitions} partition(s), as topic {_settings.KafkaTopic} and PostgreSQL's elections row say");
    }

    /// <summary>
    /// Called in the group's rebalance callback: it only registers the partition and starts its
    /// thread, which opens the stores, recovers and runs the engine. Opening sixteen partitions
    /// (FASTER, producers, a reader each) inside the callback kept the member from answering the
    /// group protocol on a loaded machine: the coordinator's rebalance went on without it, the
    /// member's partitions were lost and assigned again, round after round.
    /// </summary>
    public void OnAssigned(AssignedPartition assigned)
    {
        int p = assigned.Partition;
        var running = new Running(p);
        running.Thread = new Thread(() => StartAndRun(running, assigned)) { Name = $"tvs-ingest-p{p}", IsBackground = false };
        lock (_running)
        {
            _running[p] = running;
        }
        running.Thread.Start();
    }

    public void OnRevoked(int partition) => Stop(partition, lost: false);

    public void OnLost(int partition) => Stop(partition, lost: true);

    private void StartAndRun(Running running, AssignedPartition assigned)
    {
        int p = running.Partition;
        long opening = Stopwatch.GetTimestamp();
        try
        {
            Open(running, assigned);
        }
        catch (Exception e)
        {
            if (!running.Stop.IsCancellationRequested)
            {
                running.Failure = e;
                Fail($"partition {p}: could not start: {e.GetType().Name}: {e.Message}");
            }
            return;
        }
        if (running.Stop.IsCancellationRequested)
        {
            return; // revoked while its stores were opening: Stop closes them
        }
        _log($"partition {p}: assigned, engine started (stores opened in {Stopwatch.GetElapsedTime(opening).TotalSeconds:N1} s)");
        OnStarted?.Invoke(p, running.Engine!, running.Input!);
        running.Ran = true;
        try
        {
            running.Engine!.Run(running.Stop.Token, stopAtEnd: false);
        }
        catch (Exception e)
        {
            running.Failure = e;
            Fail($"partition {p}: the engine stopped: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Opens the partition's stores and builds its engine into <paramref name="running"/>; on failure closes what it opened.</summary>
    private void Open(Running running, AssignedPartition assigned)
    {
        int p = running.Partition;
        var disposables = new Stack<IDisposable>();
        try
        {
            var local = LocalPartition.Open(_settings.Data!, p, FasterNullifierStoreOptions.ForExpectedKeys(
                Math.Max(1, _settings.ExpectedVotesPerPartition), Math.Max(16, _settings.NullifierMemoryMiB) << 20));
            disposables.Push(local);
            var input = assigned.OpenInputLog();
            disposables.Push(input);
            IVoteStore votes = local.Votes;
            if (_dataSource != null)
            {
                votes = new PostgresVoteStore(_dataSource, _election.Id, p);
                disposables.Push(votes);
            }
            IBlobSink blobs = local.Blobs;
            if (_settings.S3Options() is { } s3Options)
            {
                var s3 = new S3BlobSink(s3Options);
                disposables.Push(s3);
                blobs = s3;
            }
            var deadLetters = new KafkaDeadLetterSink(_settings.Kafka!, p);
            disposables.Push(deadLetters);
            ValidatedPublisher? validated = null;
            if (_settings.PublishValidated)
            {
                validated = new ValidatedPublisher(_settings.Kafka!, p);
                disposables.Push(validated);
            }
            var committing = new OffsetCommittingVoteStore(votes, input, validated);
            var options = _settings.ToOptions() with
            {
                Partition = p,
                OnWarning = w => _log($"partition {p}: {w}"),
                OnInfo = i => _log($"partition {p}: {i}"),
            };
            var engine = new PartitionEngine(_election.CreateOpener(), _election.CreateAdmission(), _election.Signer, _election.Origin(p),
                options, local.Nullifiers, local.Mmr, input, committing, blobs, deadLetters, local.Checkpoints, history: votes as IVoteHistory);
            running.Opened(engine, input, committing, [.. disposables]);
        }
        catch
        {
            while (disposables.Count > 0)
            {
                disposables.Pop().Dispose();
            }
            throw;
        }
    }

    private void Stop(int partition, bool lost)
    {
        Running? running;
        lock (_running)
        {
            if (!_running.Remove(partition, out running))
            {
                return;
            }
        }
        if (lost)
        {
            running.Fence();
        }
        running.Stop.Cancel();
        running.Thread!.Join();
        if (running.Failure is null && running.Ran)
        {
            lock (_final)
            {
                _final[partition] = running.Engine!.Progress;
            }
        }
        foreach (var d in running.Disposables)
        {
            try
            {
                d.Dispose();
            }
            catch (Exception e)
            {
                _log($"partition {partition}: closing a store: {e.GetType().Name}: {e.Message}");
            }
        }
        running.Stop.Dispose();
        if (running.Ran)
        {
            _log($"partition {partition}: {(lost ? "lost" : "revoked")}, engine stopped at offset {running.Engine!.Progress.NextOffset} (MMR {running.Engine.Progress.MmrSize})");
        }
        else
        {
            _log($"partition {partition}: {(lost ? "lost" : "revoked")} before its engine started");
        }
        OnStopped?.Invoke(partition);
    }

    private void Fail(string message)
    {
        _log(message);
        lock (_failures)
        {
            _failures.Add(message);
        }
    }

    public void Dispose()
    {
        foreach (int p in Owned)
        {
            Stop(p, lost: false);
        }
        _dataSource?.Dispose();
    }

    /// <summary>One owned partition: its thread from assignment on, and the engine once its stores are open.</summary>
    private sealed class Running(int partition)
    {
        private readonly object _lock = new();
        private bool _fenced;
        private volatile bool _ran;

        public int Partition { get; } = partition;
        public PartitionEngine? Engine { get; private set; }
        public KafkaInputLog? Input { get; private set; }
        public OffsetCommittingVoteStore? Votes { get; private set; }

        /// <summary>In the order they must be closed: the last opened first (empty until the stores are open).</summary>
        public IDisposable[] Disposables { get; private set; } = [];
        public CancellationTokenSource Stop { get; } = new();
        public Thread? Thread { get; set; }
        public Exception? Failure { get; set; }

        /// <summary>The engine ran (its progress is the partition's final one when it stops).</summary>
        public bool Ran { get => _ran; set => _ran = value; }

        public void Opened(PartitionEngine engine, KafkaInputLog input, OffsetCommittingVoteStore votes, IDisposable[] disposables)
        {
            lock (_lock)
            {
                Engine = engine;
                Input = input;
                Votes = votes;
                Disposables = disposables;
                if (_fenced)
                {
                    votes.Fence(); // lost while opening
                }
            }
        }

        /// <summary>No more offset commits (the partition was lost), now or as soon as the store exists.</summary>
        public void Fence()
        {
            lock (_lock)
            {
                _fenced = true;
                Votes?.Fence();
            }
        }
    }
}
