using System.Buffers.Binary;
using Confluent.Kafka;
using TVS.Engine.Ports;
using TVS.Engine.Votes;

namespace TVS.Ingest.Kafka;

/// <summary>
/// Publishes accepted votes on <c>votes.validated</c>: key = the nullifier (32 bytes), value =
/// MMR index (8) ‖ partition (4) ‖ input offset (8), big-endian (docs/formats.md). Like the
/// dead-letter sink it returns only when the whole batch is acknowledged; a replayed batch
/// publishes the same events again (consumers keep the first per nullifier: they are identical).
/// </summary>
public sealed class ValidatedPublisher : BatchProducer
{
    public const int ValueSize = 20;

    public ValidatedPublisher(string bootstrapServers, int partition, IReadOnlyDictionary<string, string>? extra = null)
        : base(KafkaProducerSettings.Idempotent(bootstrapServers, $"tvs-validated-p{partition}", extra))
    {
        Partition = partition;
    }

    public int Partition { get; }

    /// <summary>Publishes the batch's accepted votes and waits for their acknowledgement.</summary>
    public void Publish(VoteBatch batch)
    {
        if (batch.AcceptedCount == 0)
        {
            return;
        }
        BeginBatch();
        int sent = 0;
        try
        {
            foreach (ref readonly var v in batch.Accepted)
            {
                if (!VoteRecord.TryParse(batch.Record(v), out var record, out _))
                {
                    // An accepted vote always parses; anything else is a bug upstream, not a record to publish.
                    throw new InvalidDataException($"accepted vote at offset {v.Offset} does not parse");
                }
                var value = new byte[ValueSize];
                Encode(v.MmrIndex, batch.Partition, v.Offset, value);
                ReadOnlySpan<byte> nullifier = record.NullifierBytes;
                Send(KafkaTopics.Validated, new Message<byte[], byte[]> { Key = nullifier.ToArray(), Value = value });
                sent++;
            }
        }
        finally
        {
            EndBatch(sent);
        }
    }

    public static void Encode(long mmrIndex, int partition, long offset, Span<byte> value)
    {
        BinaryPrimitives.WriteInt64BigEndian(value, mmrIndex);
        BinaryPrimitives.WriteInt32BigEndian(value[8..], partition);
        BinaryPrimitives.WriteInt64BigEndian(value[12..], offset);
    }

    public static bool TryDecode(ReadOnlySpan<byte> value, out long mmrIndex, out int partition, out long offset)
    {
        if (value.Length != ValueSize)
        {
            mmrIndex = offset = partition = 0;
            return false;
        }
        mmrIndex = BinaryPrimitives.ReadInt64BigEndian(value);
        partition = BinaryPrimitives.ReadInt32BigEndian(value[8..]);
        offset = BinaryPrimitives.ReadInt64BigEndian(value[12..]);
        return true;
    }
}
