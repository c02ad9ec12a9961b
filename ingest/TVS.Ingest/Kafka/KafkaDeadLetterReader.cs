using Confluent.Kafka;

namespace TVS.Ingest.Kafka;

/// <summary>One dead letter of <c>votes.rejected</c>: the input partition and offset it refused (headers), its reason code and original bytes.</summary>
public delegate void DeadLetterVisitor(int partition, long offset, string reason, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

/// <summary>
/// Reads <c>votes.rejected</c> for the election record: every partition of the topic from its
/// first retained record to the end offset it had when the read began, with a consumer that is
/// assigned the partitions (no group membership) and never commits an offset, so the read leaves
/// no trace in the cluster. Duplicates (a retried batch or a replay produces a dead letter again,
/// <see cref="KafkaDeadLetterSink"/>) are the caller's to drop, by (partition, offset).
/// </summary>
public static class KafkaDeadLetterReader
{
    /// <summary>Calls <paramref name="visitor"/> for every record of the topic; returns how many were read. A record without the TVS headers is an <see cref="InvalidDataException"/> naming it.</summary>
    public static long ReadAll(string bootstrapServers, DeadLetterVisitor visitor, string topic = KafkaTopics.Rejected, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        var wait = timeout ?? TimeSpan.FromSeconds(30);
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "tvs-record-export-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            config.Set(k, v);
        }
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var metadata = admin.GetMetadata(topic, wait).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.Code == ErrorCode.UnknownTopicOrPart || metadata.Partitions.Count == 0)
        {
            return 0; // no record was ever refused: the topic was never written
        }
        if (metadata.Error.IsError)
        {
            throw new KafkaException(metadata.Error);
        }
        var ends = new Dictionary<int, long>();
        var starts = new List<TopicPartitionOffset>();
        foreach (var p in metadata.Partitions)
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), wait);
            if (w.High.Value > w.Low.Value)
            {
                ends[p.PartitionId] = w.High.Value;
                starts.Add(new TopicPartitionOffset(topic, p.PartitionId, w.Low));
            }
        }
        if (starts.Count == 0)
        {
            return 0;
        }
        consumer.Assign(starts);
        long read = 0;
        var deadline = DateTime.UtcNow + wait;
        while (ends.Count > 0)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{topic}: partitions {string.Join(", ", ends.Keys.Order())} did not reach their end offsets within {wait.TotalSeconds:0} s of no progress");
                }
                continue;
            }
            deadline = DateTime.UtcNow + wait;
            int part = r.TopicPartition.Partition.Value;
            if (!r.IsPartitionEOF)
            {
                string at = $"{topic} partition {part} offset {r.Offset.Value}";
                long partition = KafkaTopics.ReadNumberHeader(r.Message.Headers, KafkaTopics.PartitionHeader);
                long offset = KafkaTopics.ReadNumberHeader(r.Message.Headers, KafkaTopics.OffsetHeader);
                string? reason = KafkaTopics.ReadTextHeader(r.Message.Headers, KafkaTopics.ReasonHeader);
                if (reason is not { Length: > 0 } || partition is < 0 or > int.MaxValue || offset < 0)
                {
                    throw new InvalidDataException($"{at}: not a TVS dead letter (headers {KafkaTopics.PartitionHeader}, {KafkaTopics.OffsetHeader}, {KafkaTopics.ReasonHeader} missing or out of range)");
                }
                visitor((int)partition, offset, reason, r.Message.Key ?? [], r.Message.Value ?? []);
                read++;
            }
            if (ends.TryGetValue(part, out long end) && (r.IsPartitionEOF ? r.Offset.Value : r.Offset.Value + 1) >= end)
            {
                ends.Remove(part);
            }
        }
        return read;
    }
}
