namespace TVS.Engine.Pipeline;

/// <summary>
/// Wires a linear chain producer → stage 1 → stage 2 → … on one ring: each stage waits on the
/// previous stage's sequence, and the ring gates the producer on the last stage.
/// </summary>
/// <example>
/// <code>
/// var b = new PipelineBuilder&lt;Vote, YieldingWaitStrategy&gt;(1 &lt;&lt; 14, default);
/// var decode = b.AddStage(new Decode());
/// var verify = b.AddWorkerStage(new[] { new Verify(), new Verify() }, maxBatch: 64);
/// var commit = b.AddStage(new Commit());
/// using Pipeline&lt;Vote&gt; p = b.Build();
/// p.Start();
/// long s = p.Ring.Next(); p.Ring[s] = ...; p.Ring.Publish(s);
/// p.Halt(TimeSpan.FromSeconds(5)); // after the producer has stopped: drains, then stops
/// </code>
/// </example>
public sealed class PipelineBuilder<T, TWait>
    where T : struct
    where TWait : struct, IWaitStrategy
{
    private readonly RingBuffer<T> _ring;
    private readonly TWait _wait;
    private readonly List<IStage> _stages = [];
    private bool _built;

    public PipelineBuilder(int bufferSize, TWait waitStrategy)
    {
        if (typeof(TWait) == typeof(BlockingWaitStrategy) && waitStrategy.Signal is null)
        {
            ThrowHelper.ThrowDefaultBlockingStrategy();
        }

        _wait = waitStrategy;
        _ring = new RingBuffer<T>(bufferSize, waitStrategy.Signal);
    }

    public RingBuffer<T> Ring => _ring;

    private Sequence[] Upstream => _stages.Count == 0 ? [] : [_stages[^1].Sequence];

    /// <summary>Adds a single-threaded stage after the current last one.</summary>
    public BatchEventProcessor<T, THandler, TWait> AddStage<THandler>(THandler handler, int maxBatch = int.MaxValue, string? name = null)
        where THandler : struct, IBatchHandler<T>
    {
        EnsureNotBuilt();
        var stage = new BatchEventProcessor<T, THandler, TWait>(_ring, _ring.NewBarrier(Upstream), handler, _wait, maxBatch, name);
        _stages.Add(stage);
        return stage;
    }

    /// <summary>Adds a stage run by <c>handlers.Length</c> worker threads after the current last one.</summary>
    public WorkerStage<T, THandler, TWait> AddWorkerStage<THandler>(THandler[] handlers, int maxBatch, string? name = null)
        where THandler : struct, IBatchHandler<T>
    {
        EnsureNotBuilt();
        var stage = new WorkerStage<T, THandler, TWait>(_ring, Upstream, handlers, _wait, maxBatch, name);
        _stages.Add(stage);
        return stage;
    }

    /// <summary>Gates the ring on the last stage and returns the (not yet started) pipeline.</summary>
    public Pipeline<T> Build()
    {
        EnsureNotBuilt();
        if (_stages.Count == 0)
        {
            ThrowHelper.ThrowNoStages();
        }

        _built = true;
        _ring.SetGatingSequences(_stages[^1].Sequence);
        return new Pipeline<T>(_ring, [.. _stages]);
    }

    private void EnsureNotBuilt()
    {
        if (_built)
        {
            ThrowHelper.ThrowNotBuilt();
        }
    }
}

/// <summary>A built chain of stages over one ring; see <see cref="PipelineBuilder{T, TWait}"/>.</summary>
public sealed class Pipeline<T> : IDisposable where T : struct
{
    private readonly IStage[] _stages;
    private int _state; // 0 built, 1 started, 2 halted

    internal Pipeline(RingBuffer<T> ring, IStage[] stages)
    {
        Ring = ring;
        _stages = stages;
    }

    /// <summary>The ring; the (single) producer claims and publishes on it.</summary>
    public RingBuffer<T> Ring { get; }

    public IReadOnlyList<IStage> Stages => _stages;

    /// <summary>The last stage's sequence: everything up to it has passed every stage.</summary>
    public Sequence Completed => _stages[^1].Sequence;

    /// <summary>Starts one thread per single-threaded stage and N per worker stage.</summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            ThrowHelper.ThrowAlreadyStarted();
        }

        foreach (IStage stage in _stages)
        {
            stage.Start();
        }
    }

    /// <summary>
    /// Graceful stop: every stage processes everything published before this call, then its
    /// threads end. Call after the producer has stopped publishing (a producer blocked on a full
    /// ring is released as the stages drain, but what it publishes afterwards is not processed).
    /// Returns false if the threads did not end within <paramref name="timeout"/>.
    /// </summary>
    public bool Halt(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return true;
        }

        // Every stage drains to the same cursor value, read once: a downstream stage waiting on
        // an upstream one gets there because the upstream drains to that value too.
        long last = Ring.Cursor.Value;
        foreach (IStage stage in _stages)
        {
            stage.HaltAt(last);
        }

        return JoinAll(timeout);
    }

    /// <summary>Stops every stage after the batch in hand, without draining.</summary>
    public bool HaltNow(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return true;
        }

        foreach (IStage stage in _stages)
        {
            stage.HaltNow();
        }

        return JoinAll(timeout);
    }

    private bool JoinAll(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        bool all = true;
        foreach (IStage stage in _stages)
        {
            all &= stage.Join(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
        }

        return all;
    }

    public void Dispose() => HaltNow(TimeSpan.FromSeconds(5));
}
