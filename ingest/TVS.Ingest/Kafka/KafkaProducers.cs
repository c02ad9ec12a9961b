using Confluent.Kafka;

namespace TVS.Ingest.Kafka;

/// <summary>Producer settings shared by the gateway, the dead-letter sink and the validated publisher.</summary>
public static class KafkaProducerSettings
{
    /// <summary>
    /// An idempotent producer: acks=all (every in-sync replica has the record before the ack),
    /// enable.idempotence (retries never duplicate or reorder within a partition), murmur2
    /// partitioning on the key (the Java client's choice: every producer, in any language, puts a
    /// nullifier in the same partition).
    /// </summary>
    public static ProducerConfig Idempotent(string bootstrapServers, string clientId, IReadOnlyDictionary<string, string>? extra = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = clientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            Partitioner = Partitioner.Murmur2Random,
            // A short linger batches concurrent requests into one produce request per partition
            // without adding visible latency.
            LingerMs = 1,
            // A delivery that cannot complete in 30 s fails instead of holding the caller forever.
            MessageTimeoutMs = 30_000,
            MessageMaxBytes = 2 << 20,
        };
        if (extra != null)
        {
            foreach (var (k, v) in extra)
            {
                config.Set(k, v);
            }
        }
        return config;
    }
}

/// <summary>A batch of records could not be delivered; the flush stage retries the whole batch.</summary>
public sealed class KafkaDeliveryException(string message, Error error) : KafkaException(error)
{
    public override string Message { get; } = message;
}

/// <summary>
/// Produces a batch of records and waits for every delivery report: returns only when the
/// brokers acknowledged all of them (acks=all), throws if any failed. One writer at a time (the
/// flush thread); the wait state and the delivery callback are reused, so a batch allocates only
/// what the .NET client needs per record (the Message and its exact-length arrays).
/// </summary>
public abstract class BatchProducer : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly ManualResetEventSlim _done = new(false);
    private int _outstanding;
    private Error? _firstError;
    private string? _firstErrorTopic;

    protected BatchProducer(ProducerConfig config)
    {
        _producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        _onDelivery = OnDelivery;
    }

    /// <summary>Records produced and acknowledged since creation.</summary>
    public long Delivered { get; private set; }

    protected IProducer<byte[], byte[]> Producer => _producer;

    protected void BeginBatch()
    {
        _outstanding = 1; // the batch itself, released by EndBatch: no early completion while producing
        _firstError = null;
        _done.Reset();
    }

    protected void Send(string topic, Message<byte[], byte[]> message)
    {
        Interlocked.Increment(ref _outstanding);
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, _onDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Local queue full: let deliveries drain, then try again.
                _producer.Poll(TimeSpan.FromMilliseconds(10));
            }
            catch
            {
                Interlocked.Decrement(ref _outstanding);
                throw;
            }
        }
    }

    /// <summary>Waits for every delivery of the batch; throws <see cref="KafkaDeliveryException"/> if one failed.</summary>
    protected void EndBatch(int count)
    {
        if (Interlocked.Decrement(ref _outstanding) != 0)
        {
            // message.timeout.ms bounds every delivery, so this wait ends.
            _done.Wait();
        }
        if (_firstError is { } error)
        {
            throw new KafkaDeliveryException($"{_firstErrorTopic}: a record of the batch was not delivered ({error.Code}: {error.Reason})", error);
        }
        Delivered += count;
    }

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _firstError, report.Error, null);
            _firstErrorTopic = report.Topic;
        }
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _done.Set();
        }
    }

    public virtual void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(30));
        _producer.Dispose();
        _done.Dispose();
    }
}
