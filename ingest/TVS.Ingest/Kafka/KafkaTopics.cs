using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace TVS.Ingest.Kafka;

/// <summary>
/// The three topics of docs/formats.md "Kafka topics and records" and the header names of a dead
/// letter. The names are fixed: one Kafka cluster (or one set of topics) per election deployment.
/// </summary>
public static class KafkaTopics
{
    /// <summary>Input: key = the nullifier in clear (32 bytes), value = the sealed envelope.</summary>
    public const string Pending = "votes.pending";

    /// <summary>Accepted votes: key = nullifier, value = MMR index (8) ‖ partition (4) ‖ input offset (8), big-endian.</summary>
    public const string Validated = "votes.validated";

    /// <summary>Dead letters: the original key and value, with the headers below.</summary>
    public const string Rejected = "votes.rejected";

    /// <summary>Reason code (<c>VoteRejectReason.Code()</c>), ASCII.</summary>
    public const string ReasonHeader = "tvs-reason";

    /// <summary>votes.pending partition the record came from, ASCII decimal.</summary>
    public const string PartitionHeader = "tvs-partition";

    /// <summary>votes.pending offset of the record, ASCII decimal: with the partition, the dead letter's identity.</summary>
    public const string OffsetHeader = "tvs-offset";

    public static string[] All => [Pending, Validated, Rejected];

    /// <summary>
    /// Creates the three topics with <paramref name="partitions"/> partitions each (existing ones
    /// are left as they are). The replication factor defaults to min(3, brokers): acks=all then
    /// waits for every in-sync replica.
    /// </summary>
    public static async Task EnsureCreatedAsync(string bootstrapServers, int partitions, short replicationFactor = -1, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var wait = timeout ?? TimeSpan.FromSeconds(30);
        if (replicationFactor <= 0)
        {
            var metadata = admin.GetMetadata(wait);
            replicationFactor = (short)Math.Clamp(metadata.Brokers.Count, 1, 3);
        }
        var specs = All.Select(name => new TopicSpecification
        {
            Name = name,
            NumPartitions = partitions,
            ReplicationFactor = replicationFactor,
            // A dead letter or a pending vote is never deleted by age: the progress row, not
            // retention, decides when a record is no longer needed.
            Configs = new Dictionary<string, string> { ["retention.ms"] = "-1" },
        }).ToList();
        try
        {
            await admin.CreateTopicsAsync(specs, new CreateTopicsOptions { OperationTimeout = wait, RequestTimeout = wait }).ConfigureAwait(false);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Already there: creation is idempotent for the caller.
        }
        // Wait until every partition has a leader, so the first produce does not race the creation.
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            bool ready = All.All(t =>
            {
                var md = admin.GetMetadata(t, TimeSpan.FromSeconds(5));
                var topic = md.Topics.FirstOrDefault(x => x.Topic == t);
                return topic is { Error.Code: ErrorCode.NoError } && topic.Partitions.Count >= partitions && topic.Partitions.All(p => p.Leader >= 0);
            });
            if (ready)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the topics {string.Join(", ", All)} did not get leaders for {partitions} partitions within {wait}");
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Number of partitions of <paramref name="topic"/> (metadata), or 0 if it does not exist.</summary>
    public static int PartitionCount(IAdminClient admin, string topic, TimeSpan timeout)
    {
        var md = admin.GetMetadata(topic, timeout);
        var t = md.Topics.FirstOrDefault(x => x.Topic == topic);
        return t is { Error.Code: ErrorCode.NoError } ? t.Partitions.Count : 0;
    }

    /// <summary>
    /// Refuses to go on unless <paramref name="topic"/> has exactly <paramref name="expected"/>
    /// partitions, the election's count (election.json <c>partitions</c>): an engine or gateway
    /// started over a topic with another count would accept votes into partitions that the close
    /// does not cover, or leave the election's partitions without votes, and say nothing
    /// (docs/ops/kafka.md). Throws <see cref="PartitionCountMismatchException"/> (naming both
    /// counts and the topic) when they differ or the topic does not exist; Kafka errors as they come.
    /// </summary>
    /// <param name="extra">librdkafka settings the caller's clients use (security.protocol, sasl.*, …).</param>
    public static void RequirePartitionCount(string bootstrapServers, string topic, int expected, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var config = new AdminClientConfig { BootstrapServers = bootstrapServers };
        if (extra != null)
        {
            foreach (var (key, value) in extra)
            {
                config.Set(key, value);
            }
        }
        config.BootstrapServers = bootstrapServers;
        // librdkafka would log every failed connection attempt to stderr until the timeout; the
        // failure reaches the caller as the KafkaException of GetMetadata.
        using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        int actual = PartitionCount(admin, topic, timeout ?? TimeSpan.FromSeconds(10));
        if (actual != expected)
        {
            throw new PartitionCountMismatchException(topic, actual, expected);
        }
    }

    internal static byte[] Ascii(long value) => Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Reads an ASCII decimal header (dead letters' partition and offset); −1 if absent or not a number.</summary>
    public static long ReadNumberHeader(Headers? headers, string name)
    {
        if (headers != null && headers.TryGetLastBytes(name, out var bytes)
            && long.TryParse(Encoding.ASCII.GetString(bytes), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v))
        {
            return v;
        }
        return -1;
    }

    /// <summary>Reads an ASCII header (the reason code); null if absent.</summary>
    public static string? ReadTextHeader(Headers? headers, string name)
        => headers != null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.ASCII.GetString(bytes) : null;
}

/// <summary>
/// The Kafka topic's partition count is not the election's (<see cref="KafkaTopics.RequirePartitionCount"/>).
/// The election's count has one authority, election.json; the topic must be created with it.
/// </summary>
public sealed class PartitionCountMismatchException : InvalidOperationException
{
    public PartitionCountMismatchException(string topic, int topicPartitions, int electionPartitions)
        : base(topicPartitions == 0
            ? $"Kafka topic {topic} does not exist, and the election (election.json \"partitions\") has {electionPartitions} partition(s): create the topics with {electionPartitions} partition(s) first (tvs dev kafka --partitions {electionPartitions}, or kafka-topics.sh --create --partitions {electionPartitions}); refusing to start"
            : $"Kafka topic {topic} has {topicPartitions} partition(s) but the election (election.json \"partitions\") has {electionPartitions}: votes would go to partitions no engine of this election reads, or the close would not cover them; recreate the topics with {electionPartitions} partition(s), or set \"partitions\": {topicPartitions} in election.json before the election opens; refusing to start")
    {
        Topic = topic;
        TopicPartitions = topicPartitions;
        ElectionPartitions = electionPartitions;
    }

    public string Topic { get; }

    /// <summary>The topic's partition count (Kafka metadata); 0 if it does not exist.</summary>
    public int TopicPartitions { get; }

    /// <summary>election.json's <c>partitions</c>.</summary>
    public int ElectionPartitions { get; }
}
