using System.Diagnostics;
using System.Text;
using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Board;

/// <summary>
/// Keeps the bulletin board up with the authority on a background thread: every
/// <see cref="Interval"/> it runs a <see cref="BoardPublisher"/> round for each partition it is
/// given, then, when anything moved and a signer is set, signs and publishes the combined
/// checkpoint of every partition head the board shows (<c>combined/checkpoint</c>, docs/formats.md
/// "Combined checkpoint"). A failing store (an S3 outage) delays only the board: the round is
/// retried with back-off and the engine is never waited on. Stopping runs one last round, so a
/// clean stop leaves the board at the authority's last checkpoint. With <see cref="Witnesses"/>
/// each partition's checkpoint is cosigned before it goes up (<see cref="BoardPublisher"/>); a
/// witness that fails is warned about, counted and retried with back-off (<see cref="BackoffWitness"/>).
/// </summary>
public sealed class BoardFollower : IDisposable
{
    private readonly IBoardStore _board;
    private readonly IBoardSource _source;
    private readonly NoteVerifier _verifier;
    private readonly Func<int, string> _origin;
    private readonly NoteSigner? _combinedSigner;
    private readonly string? _combinedOrigin;
    private readonly Dictionary<int, BoardPublisher> _publishers = [];
    private readonly SortedSet<int> _seen = [];
    private readonly int _electionPartitions;
    private readonly Func<IReadOnlyCollection<int>> _partitions;
    private readonly Action<string> _warn;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private long _failures;
    private IReadOnlyList<ICheckpointWitness>? _backoff;
    private long _cosignatures, _witnessFailures, _witnessDeferred, _belowQuorum, _cosignTicks, _cosignRounds;

    /// <param name="partitions">The partitions to publish, asked again every round (a Kafka member's set changes with rebalances).</param>
    /// <param name="combinedSigner">Signs the combined checkpoint (origin <paramref name="combinedOrigin"/>) of the heads the board shows for partitions 0..<paramref name="electionPartitions"/>−1 (whoever publishes them); null publishes none.</param>
    public BoardFollower(IBoardStore board, IBoardSource source, NoteVerifier verifier, Func<int, string> origin, Func<IReadOnlyCollection<int>> partitions,
        Action<string> warn, NoteSigner? combinedSigner = null, string? combinedOrigin = null, int electionPartitions = 0)
    {
        _electionPartitions = electionPartitions;
        _board = board;
        _source = source;
        _verifier = verifier;
        _origin = origin;
        _partitions = partitions;
        _warn = warn;
        _combinedSigner = combinedSigner;
        _combinedOrigin = combinedOrigin;
    }

    /// <summary>The election's witnesses (each wrapped in a <see cref="BackoffWitness"/> shared by all partitions); null: none.</summary>
    public IReadOnlyList<ICheckpointWitness>? Witnesses { get; init; }

    /// <summary>The clock of the witnesses' back-off (<see cref="Stopwatch.GetTimestamp"/> units); tests step it by hand so a loaded machine cannot change what they see.</summary>
    public Func<long>? BackoffClock { get; init; }

    /// <summary>The election's witness policy (required with <see cref="Witnesses"/>).</summary>
    public WitnessPolicy? WitnessPolicy { get; init; }

    /// <summary>Cosignatures obtained from witnesses (all partitions, new and re-submitted checkpoints).</summary>
    public long CosignaturesObtained => Interlocked.Read(ref _cosignatures);

    /// <summary>Witness calls that failed (each warned about).</summary>
    public long WitnessFailures => Interlocked.Read(ref _witnessFailures);

    /// <summary>Witness calls skipped because the witness is backing off after a failure.</summary>
    public long WitnessCallsDeferred => Interlocked.Read(ref _witnessDeferred);

    /// <summary>Partition checkpoints published with fewer cosignatures than the quorum (to be re-submitted).</summary>
    public long PublishedBelowQuorum => Interlocked.Read(ref _belowQuorum);

    /// <summary>Rounds in which witnesses were asked, and the total time spent waiting for them (publication latency added by witnessing).</summary>
    public (long Rounds, TimeSpan Total) CosignLatency => (Interlocked.Read(ref _cosignRounds), TimeSpan.FromTicks(Interlocked.Read(ref _cosignTicks)));

    /// <summary>Time between rounds.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Tiles and bundles written, by all partitions.</summary>
    public long TilesWritten { get; private set; }

    /// <summary>Checkpoints published (partition and combined).</summary>
    public long CheckpointsPublished { get; private set; }

    /// <summary>Rounds that failed (and were retried).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Time spent publishing, for the cost measurement (docs/PERFORMANCE.md).</summary>
    public TimeSpan Busy { get; private set; }

    /// <summary>The board size published for <paramref name="partition"/> (-1 if none yet).</summary>
    public long PublishedSize(int partition)
    {
        lock (_publishers)
        {
            return _publishers.TryGetValue(partition, out var p) ? p.PublishedSize : -1;
        }
    }

    public void Start()
    {
        _thread = new Thread(Loop) { Name = "tvs-board", IsBackground = true };
        _thread.Start();
    }

    /// <summary>One round over every partition; returns whether it completed. Not concurrent with the loop: call it when the loop is stopped or never started.</summary>
    public bool RunOnce() => RunOnce(final: false);

    /// <param name="final">Also every partition published before (a stopping Kafka member owns none any more, but the checkpoints its engines signed at their revocation must still go up).</param>
    private bool RunOnce(bool final)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            bool moved = false;
            var partitions = new SortedSet<int>(_partitions());
            lock (_seen)
            {
                _seen.UnionWith(partitions);
                if (final)
                {
                    partitions.UnionWith(_seen);
                }
            }
            foreach (int p in partitions)
            {
                BoardPublisher publisher;
                lock (_publishers)
                {
                    if (!_publishers.TryGetValue(p, out publisher!))
                    {
                        _backoff ??= Witnesses?.Select(w => (ICheckpointWitness)new BackoffWitness(w, BackoffClock)).ToList();
                        publisher = new BoardPublisher(_board, _source, p, _verifier, _origin(p), _backoff, WitnessPolicy);
                        _publishers[p] = publisher;
                    }
                }
                long before = publisher.TilesWritten;
                var done = publisher.PublishOnce();
                TilesWritten += publisher.TilesWritten - before;
                if (done.Cosigning is { } outcome)
                {
                    Count(p, outcome, done.CheckpointWritten && done.Witnessed == false, done.CosignTime);
                }
                if (done.CheckpointWritten)
                {
                    CheckpointsPublished++;
                    moved = true;
                }
            }
            if (moved && _combinedSigner is not null)
            {
                PublishCombined();
            }
            return true;
        }
        catch (Exception e)
        {
            // Publication is retried from the authority; the board only lags meanwhile.
            Interlocked.Increment(ref _failures);
            _warn($"board: publishing to {_board.Location} failed: {e.GetType().Name}: {e.Message}");
            lock (_publishers)
            {
                _publishers.Clear(); // resume from what the board really holds
            }
            return false;
        }
        finally
        {
            Busy += Stopwatch.GetElapsedTime(start);
        }
    }

    private void Count(int partition, CosignOutcome outcome, bool publishedBelowQuorum, TimeSpan took)
    {
        Interlocked.Increment(ref _cosignRounds);
        Interlocked.Add(ref _cosignTicks, took.Ticks);
        foreach (var (witness, result) in outcome.Results)
        {
            if (result.Ok)
            {
                Interlocked.Increment(ref _cosignatures);
            }
            else if (result.Detail == BackoffWitness.Deferred)
            {
                Interlocked.Increment(ref _witnessDeferred);
            }
            else
            {
                Interlocked.Increment(ref _witnessFailures);
                _warn($"board: witness {witness.Key.Name} did not cosign partition {partition}'s checkpoint: {result.Failure}{(result.Status is int s ? $" ({s})" : "")}: {result.Detail}");
            }
        }
        if (publishedBelowQuorum)
        {
            Interlocked.Increment(ref _belowQuorum);
            _warn($"board: partition {partition}'s checkpoint published below quorum ({outcome.Check}); it is sent to the witnesses again on later rounds");
        }
    }

    private void PublishCombined()
    {
        var heads = new List<PartitionHead>();
        // Every partition of the election the board has a head for, published by this member or another.
        int[] partitions;
        lock (_seen)
        {
            partitions = [.. Enumerable.Range(0, _electionPartitions).Union(_seen).Order()];
        }
        foreach (int p in partitions)
        {
            if (_board.TryGet(BoardPublisher.PartitionPrefix(p) + TilePaths.Checkpoint) is { } note)
            {
                var c = Checkpoint.Open(Encoding.UTF8.GetString(note), _verifier, _origin(p));
                heads.Add(new PartitionHead(p, c.Size, c.Root));
            }
        }
        if (heads.Count > 0)
        {
            string signed = Checkpoint.Combined(_combinedOrigin!, heads).Sign(_combinedSigner!);
            _board.Put(CombinedPath, Encoding.UTF8.GetBytes(signed));
            CheckpointsPublished++;
        }
    }

    /// <summary>Where the combined checkpoint of the partitions' heads is published.</summary>
    public const string CombinedPath = "combined/checkpoint";

    private void Loop()
    {
        int delayMs = (int)Interval.TotalMilliseconds;
        while (!_stop.IsCancellationRequested)
        {
            bool ok = RunOnce();
            delayMs = ok ? (int)Interval.TotalMilliseconds : Math.Min(Math.Max(delayMs * 2, 100), 30_000);
            _stop.Token.WaitHandle.WaitOne(delayMs);
        }
    }

    /// <summary>Stops the loop and runs a last round (up to <paramref name="attempts"/> tries); returns whether the board caught up.</summary>
    public bool Stop(int attempts = 3)
    {
        _stop.Cancel();
        _thread?.Join();
        _thread = null;
        for (int i = 0; i < attempts; i++)
        {
            if (RunOnce(final: true))
            {
                return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
    }
}
