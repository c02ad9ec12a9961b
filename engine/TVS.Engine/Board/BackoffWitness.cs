using System.Diagnostics;
using TVS.Engine.Ports;
using TVS.Merkle;

namespace TVS.Engine.Board;

/// <summary>
/// A witness as the board publisher calls it: after a failure (down, refusing, misbehaving) it is
/// not called again until a back-off delay has passed (1 s doubling to <see cref="MaxDelay"/>;
/// reset by a cosignature), so a witness that is down costs the publisher one timeout per
/// back-off period, not one per partition and round. Calls in the back-off window answer
/// <see cref="WitnessFailure.Unavailable"/> with <see cref="Deferred"/> as the detail, at once.
/// One instance per witness, shared by the partitions of one publisher process; thread-safe.
/// </summary>
internal sealed class BackoffWitness : ICheckpointWitness
{
    /// <summary>The detail of a call skipped in the back-off window.</summary>
    public const string Deferred = "deferred: backing off after a failure";

    private readonly ICheckpointWitness _inner;
    private readonly Func<long> _now;
    private readonly object _lock = new();
    private long _retryAt;
    private TimeSpan _delay;

    public BackoffWitness(ICheckpointWitness inner, Func<long>? now = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _now = now ?? Stopwatch.GetTimestamp;
    }

    /// <summary>First delay after a failure.</summary>
    public TimeSpan MinDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    public CosignatureVerifier Key => _inner.Key;

    public async Task<WitnessResult> AddCheckpointAsync(long oldSize, IReadOnlyList<Hash256> proof, string signedNote, CancellationToken cancel = default)
    {
        lock (_lock)
        {
            if (_delay > TimeSpan.Zero && _now() < _retryAt)
            {
                return new WitnessResult(WitnessFailure.Unavailable, null, null, null, Deferred);
            }
        }
        WitnessResult r = await _inner.AddCheckpointAsync(oldSize, proof, signedNote, cancel).ConfigureAwait(false);
        lock (_lock)
        {
            if (r.Ok || r.Failure == WitnessFailure.Conflict)
            {
                _delay = TimeSpan.Zero;
            }
            else
            {
                _delay = _delay == TimeSpan.Zero ? MinDelay : TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, MaxDelay.Ticks));
                _retryAt = _now() + (long)(_delay.TotalSeconds * Stopwatch.Frequency);
            }
        }
        return r;
    }
}
