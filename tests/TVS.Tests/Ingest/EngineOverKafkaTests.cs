using Confluent.Kafka;
using TVS.Engine.Processing;
using TVS.Ingest.Kafka;
using TVS.Storage;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests.Ingest;

/// <summary>
/// The plug the integrator will make, end to end: a PartitionEngine reading votes.pending through
/// <see cref="KafkaInputLog"/>, dead letters to votes.rejected through <see cref="KafkaDeadLetterSink"/>,
/// offsets committed by <see cref="OffsetCommittingVoteStore"/> after the local vote store's commit.
/// </summary>
public class EngineOverKafkaTests
{
    private readonly ITestOutputHelper _output;

    public EngineOverKafkaTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Engine_reads_votes_pending_dead_letters_to_kafka_and_commits_offsets_after_its_progress()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 1);
        var records = IngestFixture.Load.Records;
        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaProducerSettings.Idempotent(cluster.BootstrapServers, "test-writer")).Build())
        {
            foreach (var r in records)
            {
                producer.Produce(new TopicPartition(KafkaTopics.Pending, 0), new Message<byte[], byte[]> { Key = r.Key, Value = r.Value });
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        string data = Path.Combine(Path.GetTempPath(), "tvs-kafka-engine-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var election = IngestFixture.Election;
            using (var partition = LocalPartition.Open(data, 0, new FasterNullifierStoreOptions { IndexBuckets = 1 << 14, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 }))
            using (var input = new KafkaInputLog(new KafkaInputLogOptions { BootstrapServers = cluster.BootstrapServers, Partition = 0 }))
            using (var deadLetters = new KafkaDeadLetterSink(cluster.BootstrapServers, 0))
            {
                var votes = new OffsetCommittingVoteStore(partition.Votes, input);
                var engine = new PartitionEngine(election.CreateOpener(), election.CreateAdmission(), election.Signer, election.Origin(0),
                    Engine.EngineHarness.SmallOptions with { CheckpointEveryRecords = 100 }, partition.Nullifiers, partition.Mmr, input, votes, partition.Blobs, deadLetters, partition.Checkpoints);
                using var stop = new CancellationTokenSource();
                Exception? failure = null;
                var thread = new Thread(() =>
                {
                    try
                    {
                        engine.Run(stop.Token, stopAtEnd: false); // Kafka never ends: stopped from outside
                    }
                    catch (Exception e)
                    {
                        failure = e;
                    }
                });
                thread.Start();
                Assert.True(SpinWait.SpinUntil(() => failure != null || Volatile.Read(ref engine.Stats.Committed) >= records.Count, TimeSpan.FromMinutes(3)), "the engine did not commit every record");
                stop.Cancel();
                Assert.True(thread.Join(TimeSpan.FromMinutes(1)));
                Assert.Null(failure);
                Assert.Equal(records.Count, engine.Progress.NextOffset);
                Assert.Equal(0, votes.CommitFailures);
                // Kafka's committed offset is the progress's, committed after it.
                Assert.Equal(records.Count, input.CommittedOffset(TimeSpan.FromSeconds(10)));
            }

            // Verdicts: accepted votes in the vote store, every other record on votes.rejected with its reason.
            var accepted = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, 0)).ToList();
            int expectedRejected = records.Count(r => r.Expected != "accepted");
            var letters = IngestFixture.ReadTopic(cluster.BootstrapServers, KafkaTopics.Rejected, expectedRejected);
            _output.WriteLine($"{records.Count} records: {accepted.Count} accepted, {letters.Count} dead letters on {KafkaTopics.Rejected}");
            Assert.Equal(records.Count(r => r.Expected == "accepted"), accepted.Count);
            var seen = new HashSet<long>();
            foreach (var v in accepted)
            {
                Assert.True(seen.Add(v.Offset));
                Assert.Equal("accepted", records[(int)v.Offset].Expected);
                Assert.Equal(records[(int)v.Offset].Plaintext, v.Record);
            }
            foreach (var l in letters)
            {
                long offset = KafkaTopics.ReadNumberHeader(l.Message.Headers, KafkaTopics.OffsetHeader);
                Assert.True(seen.Add(offset), $"offset {offset} has two verdicts");
                Assert.Equal(0, KafkaTopics.ReadNumberHeader(l.Message.Headers, KafkaTopics.PartitionHeader));
                var r = records[(int)offset];
                Assert.Equal(r.Expected, KafkaTopics.ReadTextHeader(l.Message.Headers, KafkaTopics.ReasonHeader));
                Assert.Equal(r.Key, l.Message.Key ?? []);
                Assert.Equal(r.Value, l.Message.Value ?? []);
            }
            Assert.Equal(records.Count, seen.Count); // nothing lost, nothing twice
            Assert.Equal(0, cluster.LowWatermark(KafkaTopics.Pending, 0));
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
