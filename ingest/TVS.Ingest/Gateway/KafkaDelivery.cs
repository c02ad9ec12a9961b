using System.Threading.Tasks.Sources;
using Confluent.Kafka;
using Microsoft.Extensions.ObjectPool;

namespace TVS.Ingest.Gateway;

/// <summary>Where Kafka put a record, or why it did not (<see cref="ErrorCode.NoError"/> when it did).</summary>
internal readonly record struct DeliveryOutcome(ErrorCode Error, int Partition, long Offset);

/// <summary>
/// Waits for one record's delivery report without a Task: <c>ProduceAsync</c> costs a
/// TaskCompletionSource, its Task and an async state machine per record, and its continuation
/// always hops to the thread pool. This is a pooled <see cref="IValueTaskSource{TResult}"/> that
/// the producer's delivery callback (a delegate made once per instance) completes; the awaiter's
/// GetResult puts it back in the pool.
/// </summary>
internal sealed class KafkaDelivery : IValueTaskSource<DeliveryOutcome>
{
    private readonly ObjectPool<KafkaDelivery> _pool;
    private ManualResetValueTaskSourceCore<DeliveryOutcome> _core;

    private KafkaDelivery(ObjectPool<KafkaDelivery> pool, bool runContinuationsAsynchronously)
    {
        _pool = pool;
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        OnDelivery = Complete;
    }

    /// <summary>The delivery handler to pass to <c>Produce</c>: completes this source.</summary>
    public Action<DeliveryReport<byte[], byte[]>> OnDelivery { get; }

    /// <summary>Awaited once, then this instance belongs to the pool again.</summary>
    public ValueTask<DeliveryOutcome> Outcome => new(this, _core.Version);

    /// <summary>
    /// A pool of sources. <paramref name="inline"/>: the awaiting request resumes on the producer's
    /// delivery-report thread (no thread-pool hop, but the reports of a batch wait for each
    /// other's continuations); otherwise on the thread pool.
    /// </summary>
    public static ObjectPool<KafkaDelivery> CreatePool(bool inline, int retained)
    {
        var policy = new Policy(!inline);
        var pool = new DefaultObjectPool<KafkaDelivery>(policy, retained);
        policy.Bind(pool);
        return pool;
    }

    private void Complete(DeliveryReport<byte[], byte[]> report)
        => _core.SetResult(new DeliveryOutcome(report.Error.Code, report.Partition.Value, report.Offset.Value));

    /// <summary>Produce failed synchronously (no report will come): back to the pool unused.</summary>
    public void Abandon()
    {
        _core.Reset();
        _pool.Return(this);
    }

    public DeliveryOutcome GetResult(short token)
    {
        var outcome = _core.GetResult(token);
        _core.Reset();
        _pool.Return(this);
        return outcome;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private sealed class Policy(bool runContinuationsAsynchronously) : IPooledObjectPolicy<KafkaDelivery>
    {
        private ObjectPool<KafkaDelivery>? _pool;

        public KafkaDelivery Create() => new(_pool!, runContinuationsAsynchronously);

        public bool Return(KafkaDelivery obj) => true;

        internal void Bind(ObjectPool<KafkaDelivery> pool) => _pool = pool;
    }
}
