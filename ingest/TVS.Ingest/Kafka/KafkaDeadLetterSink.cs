using System.Text;
using Confluent.Kafka;
using TVS.Engine.Ports;
using TVS.Engine.Processing;

namespace TVS.Ingest.Kafka;

/// <summary>
/// The dead-letter output on <c>votes.rejected</c>: each refused record with its original key and
/// value, keyed by the original key, with headers <c>tvs-reason</c>, <c>tvs-partition</c>,
/// <c>tvs-offset</c> (docs/formats.md, "Kafka topics and records"). <see cref="Write"/> returns
/// only when every dead letter of the batch is acknowledged by the brokers, so they are durable
/// before the batch's progress commits; a failed delivery throws and the flush stage retries.
/// </summary>
/// <remarks>
/// A retried batch, or a replay after a crash, produces the same dead letters again: consumers
/// of votes.rejected deduplicate by (tvs-partition, tvs-offset), which identify the input record.
/// The idempotent producer only prevents duplicates from its own internal retries.
/// </remarks>
public sealed class KafkaDeadLetterSink : BatchProducer, IDeadLetterSink
{
    private readonly byte[] _partitionHeader;
    private readonly Dictionary<string, byte[]> _reasonBytes = new(StringComparer.Ordinal);

    /// <param name="partition">The votes.pending partition whose dead letters this sink writes.</param>
    public KafkaDeadLetterSink(string bootstrapServers, int partition, IReadOnlyDictionary<string, string>? extra = null)
        : base(KafkaProducerSettings.Idempotent(bootstrapServers, $"tvs-deadletters-p{partition}", extra))
    {
        Partition = partition;
        _partitionHeader = KafkaTopics.Ascii(partition);
    }

    public int Partition { get; }

    public void Write(VoteBatch batch)
    {
        if (batch.RejectedCount == 0)
        {
            return;
        }
        if (batch.Partition != Partition)
        {
            throw new ArgumentException($"batch of partition {batch.Partition} given to the dead-letter sink of partition {Partition}");
        }
        BeginBatch();
        try
        {
            foreach (ref readonly var r in batch.Rejected)
            {
                var headers = new Headers
                {
                    { KafkaTopics.ReasonHeader, ReasonBytes(r.Reason.Code()) },
                    { KafkaTopics.PartitionHeader, _partitionHeader },
                    { KafkaTopics.OffsetHeader, KafkaTopics.Ascii(r.Offset) },
                };
                Send(KafkaTopics.Rejected, new Message<byte[], byte[]>
                {
                    Key = batch.Key(r).ToArray(),
                    Value = batch.Value(r).ToArray(),
                    Headers = headers,
                });
            }
        }
        finally
        {
            EndBatch(batch.RejectedCount);
        }
    }

    private byte[] ReasonBytes(string code)
    {
        if (!_reasonBytes.TryGetValue(code, out var bytes))
        {
            _reasonBytes[code] = bytes = Encoding.ASCII.GetBytes(code);
        }
        return bytes;
    }
}
