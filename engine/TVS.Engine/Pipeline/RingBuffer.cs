using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TVS.Engine.Pipeline;

/// <summary>
/// Preallocated ring of <typeparamref name="T"/> slots with a single-producer sequencer.
/// </summary>
/// <remarks>
/// <para>Slots are reused, never reallocated: the producer claims sequences with
/// <see cref="Next()"/>, fills <c>ring[seq]</c> in place and makes them visible with
/// <see cref="Publish(long)"/>. Consumers read and write slots in place through the same indexer.
/// Sequence <c>s</c> lives in slot <c>s &amp; (size - 1)</c>.</para>
/// <para>Back-pressure: the producer may not claim sequence <c>s</c> until every gating sequence
/// (the pipeline's last stage) has reached <c>s - size</c>, so a slot is never overwritten
/// before the last consumer has finished with it.</para>
/// <para>Single producer: <see cref="Next()"/>, <see cref="TryNext(out long)"/> and
/// <see cref="Publish(long)"/> must be called from one thread at a time.</para>
/// </remarks>
public sealed class RingBuffer<T> where T : struct
{
    // Extra slots either side of the used ones so that the array header before and whatever
    // follows the array in memory never share a cache line (or its prefetch pair) with a slot.
    private static readonly int s_pad = Math.Max(1, 128 / Math.Max(1, Unsafe.SizeOf<T>()));

    private readonly T[] _entries;
    private readonly long _mask;
    private readonly int _bufferSize;
    private readonly Sequence _cursor = new();
    private readonly BlockingSignal? _signal;
    private Sequence[] _gating = [];

    // Producer-only state, padded away from the read-mostly fields above.
    private ProducerState _producer;

    /// <param name="bufferSize">Number of slots, a power of two.</param>
    /// <param name="signal">
    /// The wait strategy's <see cref="IWaitStrategy.Signal"/>, pulsed on publish and alert: it must
    /// be the same object the stages' <see cref="BlockingWaitStrategy"/> sleeps on, or they are never
    /// woken (<see cref="PipelineBuilder{T, TWait}"/> does this). Null for spinning strategies.
    /// </param>
    public RingBuffer(int bufferSize, BlockingSignal? signal = null)
    {
        if (bufferSize < 1 || !BitOperations.IsPow2(bufferSize))
        {
            ThrowHelper.ThrowBufferSizeNotPowerOfTwo(bufferSize);
        }

        _bufferSize = bufferSize;
        _mask = bufferSize - 1;
        _entries = new T[bufferSize + 2 * s_pad];
        _signal = signal;
        _producer.NextValue = Sequence.InitialValue;
        _producer.CachedGating = Sequence.InitialValue;
    }

    public int BufferSize => _bufferSize;

    /// <summary>Highest published sequence.</summary>
    public Sequence Cursor => _cursor;

    public BlockingSignal? Signal => _signal;

    /// <summary>The slot of <paramref name="sequence"/>. No bounds check: the mask keeps it in range.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), s_pad + (nint)(sequence & _mask));
    }

    /// <summary>
    /// The slots of sequences <paramref name="lo"/> .. <paramref name="lo"/>+<paramref name="count"/>-1
    /// as one span; the range must not cross the end of the ring (see <see cref="ContiguousEnd"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> GetSpan(long lo, int count)
    {
        Debug.Assert(count >= 0 && (lo & _mask) + count <= _bufferSize);
        return MemoryMarshal.CreateSpan(ref this[lo], count);
    }

    /// <summary>Last sequence from <paramref name="lo"/> on whose slot is contiguous in memory with lo's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ContiguousEnd(long lo) => lo + (_bufferSize - 1 - (lo & _mask));

    /// <summary>
    /// Sets the sequences the producer must not lap (normally the last stage's). Call before
    /// publishing; replaces the previous set.
    /// </summary>
    public void SetGatingSequences(params Sequence[] sequences) => Volatile.Write(ref _gating, (Sequence[])sequences.Clone());

    /// <summary>Creates a barrier over the cursor and <paramref name="dependents"/>.</summary>
    public SequenceBarrier NewBarrier(params Sequence[] dependents) => new(_cursor, (Sequence[])dependents.Clone(), _signal);

    /// <summary>Slots the producer could claim now without waiting.</summary>
    public long RemainingCapacity
    {
        get
        {
            long produced = _producer.NextValue;
            long consumed = Sequence.Minimum(Volatile.Read(ref _gating), produced);
            return _bufferSize - (produced - consumed);
        }
    }

    /// <summary>Claims the next sequence, waiting while the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next() => Next(1);

    /// <summary>Claims the next <paramref name="n"/> sequences and returns the highest; waits while the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int n)
    {
        if ((uint)(n - 1) >= (uint)_bufferSize)
        {
            ThrowHelper.ThrowClaimOutOfRange(n, _bufferSize);
        }

        long next = _producer.NextValue + n;
        long wrapPoint = next - _bufferSize;
        if (wrapPoint > _producer.CachedGating)
        {
            WaitForCapacity(wrapPoint);
        }

        _producer.NextValue = next;
        return next;
    }

    /// <summary>Spins and yields of a producer waiting for a full ring before it sleeps a millisecond at a time.</summary>
    public const int ProducerSpinsBeforeSleep = 200;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long wrapPoint)
    {
        Sequence[] gating = Volatile.Read(ref _gating);
        long current = _producer.NextValue;
        long min;
        SpinWait spin = default;
        while (wrapPoint > (min = Sequence.Minimum(gating, current)))
        {
            // A full ring is the normal state under load. Spin and yield first: the consumer
            // usually frees a slot within microseconds, and a nap per wrap would cap the ring's
            // own throughput. But keep yielding and many producers (one engine per partition,
            // sixteen on two cores) turn into a sched_yield storm that starves the very stages
            // they wait for (docs/PERFORMANCE.md, "End to end through Kafka, PostgreSQL and S3":
            // a sched_yield storm). Past the spin budget, nap a millisecond:
            // a ring of thousands of slots stays full meanwhile, so the consumers never wait on it.
            if (spin.Count < ProducerSpinsBeforeSleep)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                Thread.Sleep(1);
            }
        }

        _producer.CachedGating = min;
    }

    /// <summary>Claims the next sequence if there is room now; never waits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(out long sequence) => TryNext(1, out sequence);

    /// <summary>Claims the next <paramref name="n"/> sequences (returns the highest) if there is room now; never waits.</summary>
    public bool TryNext(int n, out long sequence)
    {
        if ((uint)(n - 1) >= (uint)_bufferSize)
        {
            ThrowHelper.ThrowClaimOutOfRange(n, _bufferSize);
        }

        long current = _producer.NextValue;
        long next = current + n;
        long wrapPoint = next - _bufferSize;
        if (wrapPoint > _producer.CachedGating)
        {
            long min = Sequence.Minimum(Volatile.Read(ref _gating), current);
            _producer.CachedGating = min;
            if (wrapPoint > min)
            {
                sequence = current;
                return false;
            }
        }

        _producer.NextValue = next;
        sequence = next;
        return true;
    }

    /// <summary>Makes every claimed sequence up to <paramref name="sequence"/> visible to consumers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence)
    {
        _cursor.Value = sequence;
        _signal?.SignalAll();
    }

    /// <summary>Publishes <paramref name="lo"/>..<paramref name="hi"/> (with one producer, the same as publishing hi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long lo, long hi)
    {
        Debug.Assert(lo <= hi);
        Publish(hi);
    }
}

/// <summary>
/// The single producer's private counters, padded away from the ring's read-mostly fields
/// (explicit layout cannot be used inside a generic type, hence outside <see cref="RingBuffer{T}"/>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128 + 16 + 128)]
internal struct ProducerState
{
    /// <summary>Last sequence claimed by the producer.</summary>
    [FieldOffset(128)] public long NextValue;

    /// <summary>Last minimum of the gating sequences seen (avoids re-reading them per claim).</summary>
    [FieldOffset(136)] public long CachedGating;
}
