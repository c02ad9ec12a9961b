using Confluent.Kafka;
using TVS.LoadGen;

namespace TVS.Tests.Ingest;

/// <summary>
/// Sealed votes made by the project's own code (a simulated election and its load generator),
/// minted once for all the ingest tests, and helpers to read topics of a mock cluster back.
/// </summary>
internal static class IngestFixture
{
    private static readonly Lazy<(ElectionSetup Election, GeneratedLoad Load, string Root)> s_load = new(() =>
    {
        string root = Path.Combine(Path.GetTempPath(), "tvs-ingest-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var election = ElectionSetup.CreateSimulated(Path.Combine(root, "election"));
        var load = LoadGenerator.Generate(election, new LoadMix { Voters = 300, Duplicates = 0.05, BadProofs = 0.05, Malformed = 0.05, Seed = 7 });
        return (election, load, root);
    });

    public static ElectionSetup Election => s_load.Value.Election;

    public static GeneratedLoad Load => s_load.Value.Load;

    /// <summary>The generated records whose key is a 32-byte nullifier (what a gateway would forward).</summary>
    public static IEnumerable<GeneratedRecord> WellKeyed => Load.Records.Where(r => r.Key.Length == 32);

    /// <summary>Reads every record of <paramref name="topic"/> (all partitions, from the start) until <paramref name="count"/> arrived or the timeout.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadTopic(string bootstrap, string topic, int count, TimeSpan? timeout = null)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var md = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var partitions = md.Topics.Single(t => t.Topic == topic).Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)).ToList();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "tvs-test-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(partitions);
        var results = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(200);
            if (r is { IsPartitionEOF: false })
            {
                results.Add(r);
            }
        }
        // Anything beyond the expected count would be a bug too: drain briefly.
        var extra = consumer.Consume(300);
        if (extra is { IsPartitionEOF: false })
        {
            results.Add(extra);
        }
        return results;
    }

    public static void CleanUp()
    {
        if (s_load.IsValueCreated)
        {
            try
            {
                Directory.Delete(s_load.Value.Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
