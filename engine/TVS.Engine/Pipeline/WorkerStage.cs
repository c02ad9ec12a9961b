using System.Runtime.CompilerServices;

namespace TVS.Engine.Pipeline;

/// <summary>
/// A stage whose work is spread over N threads (the Groth16 verify stage). Each worker claims a
/// contiguous range of up to <c>maxBatch</c> available sequences, processes it with its own
/// handler, and the stage's <see cref="Sequence"/> advances only over ranges that are finished.
/// </summary>
/// <remarks>
/// <para><b>Claiming.</b> <c>_claim</c> is the highest sequence handed to any worker. A worker
/// reads it as <c>c</c>, waits until <c>c + 1</c> is available from upstream, and claims
/// <c>[c + 1, hi]</c> (at most <c>maxBatch</c> slots, never crossing the end of the ring, never
/// beyond what is available) with one CAS <c>c → hi</c>. A failed CAS means another worker took
/// that range: re-read and retry. So ranges are disjoint, cover every sequence, and each sequence
/// is processed by exactly one worker, exactly once.</para>
/// <para><b>Per-worker sequence <c>w[i]</c>.</b> Invariant: <i>worker i holds no unfinished
/// sequence ≤ w[i]</i>. It is kept by writing, before every claim attempt, <c>w[i] = c</c> (the
/// claim value just read; the worker holds nothing then, and a range it is about to claim starts
/// at <c>c + 1</c>), and after finishing <c>[lo, hi]</c>, <c>w[i] = hi</c>. While it processes
/// <c>[lo, hi]</c>, <c>w[i] = lo - 1</c>. Each <c>w[i]</c> only grows (claim values only grow,
/// and a worker's next read of the claim is at least its last <c>hi</c>).</para>
/// <para><b>Stage sequence (what downstream sees).</b> <c>Sequence = max over time of
/// min_i w[i]</c>. If <c>m = min_i w[i]</c> (each read at some instant) then every sequence
/// <c>s ≤ m</c> is finished: <c>s</c> was claimed by some worker <c>j</c> before <c>w[j]</c> was
/// read (<c>w[j] ≥ s</c> and <c>w[j]</c> never exceeds the claim), and <c>w[j] ≥ s</c> with the
/// invariant means <c>j</c> no longer holds <c>s</c>, i.e. finished it. Since the <c>w[i]</c> only
/// grow, reading them one after the other is as good as a snapshot. So downstream never sees a
/// gap: no slot below the stage sequence is still being worked on. The slot writes of a worker
/// happen before its release-write of <c>w[i]</c>, which the advancing worker reads with acquire
/// before publishing <see cref="Sequence"/>: downstream sees the finished slot contents.</para>
/// <para><b>Liveness.</b> Every write of a <c>w[i]</c> is fenced (store-load) and followed by a
/// recomputation of the minimum and a monotonic CAS-max into <see cref="Sequence"/>. Of two
/// workers that update concurrently, at least one sees both new values (Dekker), so after the
/// last update the stage sequence equals the true minimum; it never lags behind forever.</para>
/// <para><b>Halt and drain.</b> <see cref="Halt"/> records the ring's cursor as the target. A
/// worker ends when the claim has reached the target (after publishing its own <c>w[i]</c>), so
/// every sequence up to the target is claimed; each worker finishes its range before it looks
/// again, so after <see cref="Join"/> every one is finished and covered by the stage sequence.</para>
/// </remarks>
public sealed class WorkerStage<T, THandler, TWait> : IStage
    where T : struct
    where THandler : struct, IBatchHandler<T>
    where TWait : struct, IWaitStrategy
{
    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier[] _barriers;
    private readonly Sequence _claim = new();
    private readonly Sequence _completed = new();
    private readonly Sequence[] _workerSequences;
    private readonly THandler[] _handlers;
    private readonly Thread[] _threads;
    private readonly int _maxBatch;
    private readonly string _name;
    private readonly TWait _wait;
    private long _drainTo = long.MaxValue;
    private bool _started;

    /// <param name="ring">The ring the stage reads.</param>
    /// <param name="dependsOn">Upstream stages' sequences (empty: the stage reads what the producer published).</param>
    /// <param name="handlers">One handler per worker thread; the stage keeps copies.</param>
    /// <param name="waitStrategy">How idle workers wait.</param>
    /// <param name="maxBatch">Most slots one worker claims at once.</param>
    /// <param name="name">Thread name prefix.</param>
    public WorkerStage(RingBuffer<T> ring, Sequence[] dependsOn, THandler[] handlers, TWait waitStrategy, int maxBatch, string? name = null)
    {
        if (handlers.Length == 0)
        {
            ThrowHelper.ThrowNoWorkers();
        }

        if (maxBatch < 1)
        {
            ThrowHelper.ThrowMaxBatchOutOfRange(maxBatch);
        }

        _ring = ring;
        _handlers = (THandler[])handlers.Clone();
        _wait = waitStrategy;
        _maxBatch = maxBatch;
        _name = name ?? typeof(THandler).Name;
        _workerSequences = new Sequence[handlers.Length];
        for (int i = 0; i < _workerSequences.Length; i++)
        {
            _workerSequences[i] = new Sequence();
        }

        // One barrier per worker so that a worker can clear its own alert while draining.
        _barriers = new SequenceBarrier[handlers.Length];
        for (int i = 0; i < _barriers.Length; i++)
        {
            _barriers[i] = ring.NewBarrier(dependsOn);
        }

        _threads = new Thread[handlers.Length];
    }

    /// <summary>Highest sequence up to which every slot has been processed by some worker.</summary>
    public Sequence Sequence => _completed;

    public int WorkerCount => _handlers.Length;

    /// <summary>Worker <paramref name="index"/>'s handler; read it only after <see cref="Join"/>.</summary>
    public ref THandler Handler(int index) => ref _handlers[index];

    public void Start()
    {
        if (_started)
        {
            ThrowHelper.ThrowAlreadyStarted();
        }

        _started = true;
        for (int i = 0; i < _threads.Length; i++)
        {
            int index = i;
            _threads[i] = new Thread(() => RunWorker(index)) { IsBackground = true, Name = $"tvs-{_name}-{i}" };
            _threads[i].Start();
        }
    }

    public void Halt() => HaltAt(_ring.Cursor.Value);

    public void HaltAt(long lastSequence)
    {
        Volatile.Write(ref _drainTo, lastSequence);
        AlertAll();
    }

    public void HaltNow()
    {
        Volatile.Write(ref _drainTo, long.MinValue);
        AlertAll();
    }

    private void AlertAll()
    {
        foreach (SequenceBarrier b in _barriers)
        {
            b.Alert();
        }
    }

    public bool Join(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        foreach (Thread? t in _threads)
        {
            if (t is null)
            {
                continue;
            }

            long left = Math.Max(0, deadline - Environment.TickCount64);
            if (!t.Join(TimeSpan.FromMilliseconds(left)))
            {
                return false;
            }
        }

        return true;
    }

    private void RunWorker(int index)
    {
        RingBuffer<T> ring = _ring;
        SequenceBarrier barrier = _barriers[index];
        Sequence claim = _claim;
        Sequence mine = _workerSequences[index];
        ref THandler handler = ref _handlers[index];
        TWait wait = _wait;
        int maxBatch = _maxBatch;
        long cachedAvailable = Sequence.InitialValue;

        while (true)
        {
            long claimed = claim.Value;
            if (mine.Value < claimed)
            {
                // Holding nothing: everything up to the current claim is someone else's or done.
                Publish(mine, claimed, ref wait);
            }

            if (claimed >= Volatile.Read(ref _drainTo))
            {
                return;
            }

            long lo = claimed + 1;
            if (cachedAvailable < lo)
            {
                cachedAvailable = barrier.WaitFor(lo, ref wait);
                if (cachedAvailable < lo)
                {
                    // Alerted: the loop re-reads the drain target, which Halt() stored before
                    // alerting. Each worker has its own barrier, so clearing is private.
                    barrier.ClearAlert();
                    continue;
                }
            }

            // Not past what is available, the ring's end, maxBatch or a drain target (lo is
            // at most the target here, so the range is never empty).
            long hi = Math.Min(Math.Min(cachedAvailable, Volatile.Read(ref _drainTo)), ring.ContiguousEnd(lo));
            if (hi - lo + 1 > maxBatch)
            {
                hi = lo + maxBatch - 1;
            }

            if (!claim.CompareAndSet(claimed, hi))
            {
                continue;
            }

            handler.OnBatch(ring.GetSpan(lo, (int)(hi - lo + 1)), lo);
            Publish(mine, hi, ref wait);
        }
    }

    /// <summary>Stores the worker's sequence (fenced) and advances the stage sequence to the minimum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(Sequence mine, long value, ref TWait wait)
    {
        mine.SetValueFenced(value);
        long min = Sequence.Minimum(_workerSequences, value);
        if (min > _completed.Value)
        {
            _completed.SetMax(min);
            wait.SignalAllWhenBlocking();
        }
    }

    public override string ToString() => _name;
}
