using System.Runtime.CompilerServices;

namespace TVS.Engine.Pipeline;

/// <summary>
/// One stage on one dedicated thread: waits on its barrier for the next sequences, hands them to
/// the handler in contiguous batches of at most <c>maxBatch</c>, then advances its sequence.
/// </summary>
/// <remarks>
/// <para>Every stage sees sequences in increasing order, each exactly once. The sequence is
/// advanced (release write) only after <see cref="IBatchHandler{T}.OnBatch"/> returns, so a
/// downstream stage never reads a slot this stage is still working on.</para>
/// <para>Halt and drain: <see cref="Halt"/> records the ring's cursor as the drain target and
/// alerts the barrier. The thread keeps processing until its sequence reaches the target, then
/// ends. <see cref="HaltNow"/> sets the target below anything, so the thread ends after the
/// batch in hand.</para>
/// </remarks>
public sealed class BatchEventProcessor<T, THandler, TWait> : IStage
    where T : struct
    where THandler : struct, IBatchHandler<T>
    where TWait : struct, IWaitStrategy
{
    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;
    private readonly Sequence _sequence = new();
    private readonly int _maxBatch;
    private readonly string _name;
    private THandler _handler;
    private TWait _wait;
    private long _drainTo = long.MaxValue;
    private Thread? _thread;

    public BatchEventProcessor(RingBuffer<T> ring, SequenceBarrier barrier, THandler handler, TWait waitStrategy, int maxBatch = int.MaxValue, string? name = null)
    {
        if (maxBatch < 1)
        {
            ThrowHelper.ThrowMaxBatchOutOfRange(maxBatch);
        }

        _ring = ring;
        _barrier = barrier;
        _handler = handler;
        _wait = waitStrategy;
        _maxBatch = maxBatch;
        _name = name ?? typeof(THandler).Name;
    }

    public Sequence Sequence => _sequence;

    /// <summary>The handler's state; read it only after <see cref="Join"/>.</summary>
    public ref THandler Handler => ref _handler;

    public bool IsRunning => _thread is { IsAlive: true };

    public void Start()
    {
        if (_thread is not null)
        {
            ThrowHelper.ThrowAlreadyStarted();
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "tvs-" + _name };
        _thread.Start();
    }

    public void Halt() => HaltAt(_ring.Cursor.Value);

    public void HaltAt(long lastSequence)
    {
        Volatile.Write(ref _drainTo, lastSequence);
        _barrier.Alert();
    }

    public void HaltNow()
    {
        Volatile.Write(ref _drainTo, long.MinValue);
        _barrier.Alert();
    }

    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    /// <summary>The processing loop; <see cref="Start"/> runs it on a dedicated thread (and only there).</summary>
    private void Run()
    {
        RingBuffer<T> ring = _ring;
        SequenceBarrier barrier = _barrier;
        Sequence sequence = _sequence;
        int maxBatch = _maxBatch;
        long next = sequence.Value + 1;

        while (next <= Volatile.Read(ref _drainTo))
        {
            long available = barrier.WaitFor(next, ref _wait);
            if (available < next)
            {
                // Alerted: Halt() already stored the drain target, so the loop test decides.
                // Clearing first and re-testing afterwards cannot miss a later Halt(), which
                // stores its target before alerting again.
                barrier.ClearAlert();
                continue;
            }

            while (next <= available)
            {
                // Re-read per batch: HaltNow() stops after the batch in hand, Halt() at its target.
                long limit = Volatile.Read(ref _drainTo);
                if (next > limit)
                {
                    break;
                }

                long hi = Math.Min(Math.Min(available, limit), ring.ContiguousEnd(next));
                long count = hi - next + 1;
                if (count > maxBatch)
                {
                    count = maxBatch;
                    hi = next + maxBatch - 1;
                }

                _handler.OnBatch(ring.GetSpan(next, (int)count), next);
                sequence.Value = hi;
                _wait.SignalAllWhenBlocking();
                next = hi + 1;
            }
        }
    }

    public override string ToString() => _name;
}
