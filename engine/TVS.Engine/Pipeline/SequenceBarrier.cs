using System.Runtime.CompilerServices;

namespace TVS.Engine.Pipeline;

/// <summary>
/// What a consumer waits on: the ring's cursor (what the producer has published) and the
/// sequences of the stages it depends on. A sequence is available when the cursor and every
/// dependent sequence have reached it; dependents never run ahead of the cursor, so with
/// dependents the minimum of the dependents is the available sequence.
/// </summary>
/// <remarks>
/// The barrier does not hold the wait strategy: the processor that owns it keeps the strategy
/// struct as a generic parameter and passes it to <see cref="WaitFor{TWait}(long, ref TWait)"/>,
/// so the wait is a direct (inlinable) call, not a virtual one.
/// </remarks>
public sealed class SequenceBarrier
{
    private readonly Sequence _cursor;
    private readonly Sequence[] _dependents;
    private readonly BlockingSignal? _signal;
    private volatile bool _alerted;

    internal SequenceBarrier(Sequence cursor, Sequence[] dependents, BlockingSignal? signal)
    {
        _cursor = cursor;
        _dependents = dependents;
        _signal = signal;
    }

    public Sequence Cursor => _cursor;

    /// <summary>Highest sequence available right now (does not wait).</summary>
    public long Available
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            Sequence[] deps = _dependents;
            return deps.Length == 0 ? _cursor.Value : Sequence.Minimum(deps, long.MaxValue);
        }
    }

    public bool IsAlerted
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _alerted;
    }

    /// <summary>
    /// Waits until <paramref name="sequence"/> is available and returns the highest available
    /// sequence (at least <paramref name="sequence"/>), or returns a value below
    /// <paramref name="sequence"/> when the barrier is alerted. Never throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor<TWait>(long sequence, ref TWait waitStrategy)
        where TWait : struct, IWaitStrategy
    {
        long available = Available;
        if (available >= sequence)
        {
            return available;
        }

        return waitStrategy.WaitFor(sequence, this);
    }

    /// <summary>Wakes the waiter: its <c>WaitFor</c> returns below the requested sequence.</summary>
    public void Alert()
    {
        _alerted = true;
        _signal?.SignalAll();
    }

    public void ClearAlert() => _alerted = false;
}
