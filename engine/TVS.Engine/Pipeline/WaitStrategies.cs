using System.Runtime.CompilerServices;

namespace TVS.Engine.Pipeline;

/// <summary>
/// How a consumer waits for a sequence. Implemented by structs and used as a generic parameter,
/// so calls are specialised and inlined rather than dispatched.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// Waits until <c>barrier.Available &gt;= sequence</c> and returns it, or returns a smaller
    /// value as soon as the barrier is alerted.
    /// </summary>
    long WaitFor(long sequence, SequenceBarrier barrier);

    /// <summary>Called after any sequence others may wait on has advanced.</summary>
    void SignalAllWhenBlocking();

    /// <summary>Shared signal for blocking strategies (given to the ring buffer); null otherwise.</summary>
    BlockingSignal? Signal { get; }
}

/// <summary>
/// Shared state of <see cref="BlockingWaitStrategy"/>: one monitor that every waiter of a
/// pipeline sleeps on and every sequence advance pulses, only when someone sleeps.
/// </summary>
/// <remarks>
/// Lost wake-ups are excluded by a Dekker-style handshake: a waiter increments
/// <see cref="_waiters"/> (full fence) before re-checking its condition; a signaller has already
/// stored the new sequence, issues a full fence and then reads <see cref="_waiters"/>. One of the
/// two must see the other's write: either the waiter sees the new sequence, or the signaller sees
/// the waiter and takes the lock, which it can only get once the waiter is inside Monitor.Wait.
/// </remarks>
public sealed class BlockingSignal
{
    private readonly object _gate = new();
    private int _waiters;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SignalAll()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiters) != 0)
        {
            SignalSlow();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SignalSlow()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    internal long Wait(long sequence, SequenceBarrier barrier)
    {
        long available;
        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            try
            {
                while ((available = barrier.Available) < sequence && !barrier.IsAlerted)
                {
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }

        return available;
    }
}

/// <summary>
/// Sleeps on a monitor until signalled: lowest CPU use when idle, highest wake-up latency.
/// Create with <c>new BlockingWaitStrategy()</c> (not <c>default</c>); copies share the signal.
/// </summary>
public readonly struct BlockingWaitStrategy : IWaitStrategy
{
    private readonly BlockingSignal _signal;

    public BlockingWaitStrategy() => _signal = new BlockingSignal();

    public BlockingWaitStrategy(BlockingSignal signal) => _signal = signal;

    public BlockingSignal? Signal => _signal;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor(long sequence, SequenceBarrier barrier) => _signal.Wait(sequence, barrier);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SignalAllWhenBlocking() => _signal.SignalAll();
}

/// <summary>Spins a little, then yields the processor between checks: low latency, a core in use.</summary>
public readonly struct YieldingWaitStrategy : IWaitStrategy
{
    private const int SpinTries = 100;

    public BlockingSignal? Signal => null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        int counter = SpinTries;
        long available;
        while ((available = barrier.Available) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return available;
            }

            if (counter == 0)
            {
                Thread.Yield();
            }
            else
            {
                counter--;
            }
        }

        return available;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SignalAllWhenBlocking()
    {
    }
}

/// <summary>Spins without yielding: lowest latency; needs a dedicated core per waiting thread.</summary>
public readonly struct BusySpinWaitStrategy : IWaitStrategy
{
    public BlockingSignal? Signal => null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        while ((available = barrier.Available) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return available;
            }

            // A pause (Java's Thread.onSpinWait): polls the cursor line less often, so the
            // producer's stores to it are not stolen back after every single publish.
            Thread.SpinWait(1);
        }

        return available;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SignalAllWhenBlocking()
    {
    }
}
