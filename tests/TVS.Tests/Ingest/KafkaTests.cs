using System.Collections.Concurrent;
using Confluent.Kafka;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;
using TVS.Ingest.Kafka;
using TVS.Merkle;

namespace TVS.Tests.Ingest;

/// <summary>
/// The Kafka adapters against librdkafka's mock cluster in this process: the real Kafka protocol
/// through Confluent.Kafka, no in-memory fake. Every test keeps each partition far below the
/// mock's eviction limits (5 MiB / 100,000 message sets) and checks that nothing was evicted.
/// </summary>
public class KafkaTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static List<(long Offset, byte[] Key, byte[] Value)> ProduceToPartition(string bootstrap, int partition, IEnumerable<(byte[] Key, byte[] Value)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaProducerSettings.Idempotent(bootstrap, "test-writer")).Build();
        var tasks = records.Select(r => (r, producer.ProduceAsync(new TopicPartition(KafkaTopics.Pending, partition), new Message<byte[], byte[]> { Key = r.Key, Value = r.Value }))).ToList();
        return tasks.Select(t => (t.Item2.GetAwaiter().GetResult().Offset.Value, t.r.Key, t.r.Value)).ToList();
    }

    [Fact]
    public void Input_log_reads_a_partition_in_order_with_its_offsets_and_seeks()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 3, partitions: 2);
        var records = IngestFixture.Load.Records.Take(200).Select(r => (r.Key, r.Value)).ToList();
        var written = ProduceToPartition(cluster.BootstrapServers, 1, records);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), written.Select(w => w.Offset));

        using var log = new KafkaInputLog(new KafkaInputLogOptions { BootstrapServers = cluster.BootstrapServers, Partition = 1 });
        Assert.Throws<InvalidOperationException>(() => log.TryRead(TimeSpan.Zero, out _));
        log.Seek(0);
        for (int i = 0; i < written.Count; i++)
        {
            Assert.True(log.TryRead(Wait, out var r), $"record {i}");
            Assert.Equal(written[i].Offset, r.Offset);
            Assert.Equal(written[i].Offset + 1, r.NextOffset);
            Assert.True(r.Key.SequenceEqual(written[i].Key));
            Assert.True(r.Value.SequenceEqual(written[i].Value));
        }
        Assert.False(log.TryRead(TimeSpan.FromMilliseconds(300), out _)); // at the end: waits, then false
        Assert.False(log.IsComplete);

        log.Seek(123);
        Assert.True(log.TryRead(Wait, out var again));
        Assert.Equal(123, again.Offset);
        Assert.True(again.Value.SequenceEqual(written[123].Value));

        // A record that arrives while the reader waits is returned.
        var late = ProduceToPartition(cluster.BootstrapServers, 1, [(new byte[32], new byte[] { 1, 2, 3 })]);
        log.Seek(200);
        Assert.True(log.TryRead(Wait, out var r200));
        Assert.Equal(late[0].Offset, r200.Offset);
        Assert.Equal(200, r200.Offset);

        Assert.Equal(0, cluster.LowWatermark(KafkaTopics.Pending, 1));
        Assert.Equal(201, cluster.Watermarks(KafkaTopics.Pending, 1).High.Value);
    }

    [Fact]
    public void Committed_offset_persists_for_the_group_and_a_new_consumer_resumes_there()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 1);
        var written = ProduceToPartition(cluster.BootstrapServers, 0, IngestFixture.Load.Records.Take(50).Select(r => (r.Key, r.Value)));
        var options = new KafkaInputLogOptions { BootstrapServers = cluster.BootstrapServers, Partition = 0, GroupId = "tvs-engine-test" };
        using (var log = new KafkaInputLog(options))
        {
            Assert.Equal(-1, log.CommittedOffset(Wait));
            log.Seek(0);
            for (int i = 0; i < 30; i++)
            {
                Assert.True(log.TryRead(Wait, out _));
            }
            // Reading alone commits nothing (enable.auto.commit=false).
            Assert.Equal(-1, log.CommittedOffset(Wait));
            log.CommitOffset(30);
        }
        using (var log = new KafkaInputLog(options))
        {
            long resume = log.CommittedOffset(Wait);
            Assert.Equal(30, resume);
            log.Seek(resume);
            Assert.True(log.TryRead(Wait, out var r));
            Assert.Equal(30, r.Offset);
            Assert.True(r.Value.SequenceEqual(written[30].Value));
        }
        using (var other = new KafkaInputLog(options with { GroupId = "another-group" }))
        {
            Assert.Equal(-1, other.CommittedOffset(Wait));
        }
    }

    [Fact]
    public void Seeking_below_the_low_watermark_fails_instead_of_skipping_records()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 1);
        // 7 × 1 MiB (one message set each) is over the mock's 5 MiB per partition: it evicts the oldest.
        var big = new byte[1 << 20];
        ProduceToPartition(cluster.BootstrapServers, 0, Enumerable.Range(0, 7).Select(i => (new byte[32], big)));
        long low = cluster.LowWatermark(KafkaTopics.Pending, 0);
        Assert.True(low > 0, "the mock cluster was expected to evict");
        using var log = new KafkaInputLog(new KafkaInputLogOptions { BootstrapServers = cluster.BootstrapServers, Partition = 0 });
        log.Seek(0);
        var e = Assert.Throws<InvalidDataException>(() => log.TryRead(Wait, out _));
        Assert.Contains("no longer in the log", e.Message);
    }

    private static VoteBatch RejectedBatch(int partition, int count, long firstOffset)
    {
        var batch = new VoteBatch(IngestFixture.Election.Id, partition);
        var records = IngestFixture.Load.Records;
        var reasons = new[] { VoteRejectReason.Malformed, VoteRejectReason.Duplicate, VoteRejectReason.UnknownRoot, VoteRejectReason.Envelope };
        for (int i = 0; i < count; i++)
        {
            var r = records[i % records.Count];
            batch.AddRejected(firstOffset + i, reasons[i % reasons.Length], r.Key, r.Value, 0);
        }
        return batch;
    }

    [Fact]
    public void Dead_letter_sink_delivers_every_record_with_headers_and_a_retry_repeats_only_the_same_offsets()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 3, partitions: 3);
        var batch = RejectedBatch(partition: 2, count: 120, firstOffset: 1000);
        using (var sink = new KafkaDeadLetterSink(cluster.BootstrapServers, partition: 2))
        {
            sink.Write(batch);
            Assert.Equal(120, sink.Delivered);
            // The flush stage retrying the same batch (or a replay after a crash).
            sink.Write(batch);
            Assert.Equal(240, sink.Delivered);
            Assert.Throws<ArgumentException>(() => sink.Write(RejectedBatch(partition: 0, count: 1, firstOffset: 0)));
        }
        var letters = IngestFixture.ReadTopic(cluster.BootstrapServers, KafkaTopics.Rejected, 240);
        Assert.Equal(240, letters.Count);
        var byIdentity = letters.GroupBy(l => (KafkaTopics.ReadNumberHeader(l.Message.Headers, KafkaTopics.PartitionHeader), KafkaTopics.ReadNumberHeader(l.Message.Headers, KafkaTopics.OffsetHeader))).ToList();
        // Deduplicated by (partition, offset): exactly the batch, each twice, identical.
        Assert.Equal(120, byIdentity.Count);
        foreach (var g in byIdentity)
        {
            Assert.Equal(2, g.Count());
            Assert.Equal(2, g.Key.Item1);
            int i = (int)(g.Key.Item2 - 1000);
            var expected = batch.Rejected[i];
            foreach (var l in g)
            {
                Assert.Equal(batch.Key(expected).ToArray(), l.Message.Key);
                Assert.Equal(batch.Value(expected).ToArray(), l.Message.Value);
                Assert.Equal(expected.Reason.Code(), KafkaTopics.ReadTextHeader(l.Message.Headers, KafkaTopics.ReasonHeader));
            }
            // Keyed by the original key: both copies in the same partition of votes.rejected.
            Assert.Single(g.Select(l => l.Partition.Value).Distinct());
        }
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(0, cluster.LowWatermark(KafkaTopics.Rejected, p));
        }
    }

    [Fact]
    public void Dead_letter_delivery_failure_throws()
    {
        var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 1);
        string bootstrap = cluster.BootstrapServers;
        using var sink = new KafkaDeadLetterSink(bootstrap, 0, new Dictionary<string, string> { ["message.timeout.ms"] = "1500" });
        sink.Write(RejectedBatch(0, 2, 0));
        cluster.Dispose(); // the brokers are gone
        var e = Assert.Throws<KafkaDeliveryException>(() => sink.Write(RejectedBatch(0, 3, 2)));
        Assert.Contains(KafkaTopics.Rejected, e.Message);
    }

    [Fact]
    public void Validated_publisher_sends_nullifier_to_mmr_index()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 2);
        var accepted = IngestFixture.Load.Records.Where(r => r.Expected == "accepted").Take(40).ToList();
        var batch = new VoteBatch(IngestFixture.Election.Id, 1);
        for (int i = 0; i < accepted.Count; i++)
        {
            batch.AddAccepted(500 + i, 9000 + i, accepted[i].Plaintext, Rfc9162.HashLeaf(accepted[i].Plaintext), 0);
        }
        using (var publisher = new ValidatedPublisher(cluster.BootstrapServers, 1))
        {
            publisher.Publish(batch);
        }
        var events = IngestFixture.ReadTopic(cluster.BootstrapServers, KafkaTopics.Validated, accepted.Count);
        Assert.Equal(accepted.Count, events.Count);
        var byKey = events.ToDictionary(e => Convert.ToHexString(e.Message.Key));
        for (int i = 0; i < accepted.Count; i++)
        {
            var ev = byKey[Convert.ToHexString(accepted[i].Key)];
            Assert.True(ValidatedPublisher.TryDecode(ev.Message.Value, out long index, out int partition, out long offset));
            Assert.Equal((500L + i, 1, 9000L + i), (index, partition, offset));
        }
    }

    private sealed class RecordingHandler : IPartitionHandler
    {
        public ConcurrentQueue<string> Events { get; } = new();
        public ConcurrentDictionary<int, KafkaInputLog> Logs { get; } = new();
        public int CommitFailures;

        public void OnAssigned(AssignedPartition partition)
        {
            Events.Enqueue($"+{partition.Partition}");
            Logs[partition.Partition] = partition.OpenInputLog();
        }

        public void OnRevoked(int partition)
        {
            Events.Enqueue($"-{partition}");
            if (Logs.TryRemove(partition, out var log))
            {
                // What an engine does on revoke: flush, then commit its progress's offset. As in
                // OffsetCommittingVoteStore, a refused commit (the coordinator already rebalancing
                // again, as librdkafka's mock does on a loaded machine) is counted, not thrown: the
                // progress row, not the offset, is where the next owner resumes.
                try
                {
                    log.CommitOffset(5);
                }
                catch (KafkaException)
                {
                    Interlocked.Increment(ref CommitFailures);
                }
                log.Dispose();
            }
        }

        public void OnLost(int partition)
        {
            Events.Enqueue($"!{partition}");
            if (Logs.TryRemove(partition, out var log))
            {
                log.Dispose();
            }
        }
    }

    private sealed class Box<T>
    {
        public T? Value { get; set; }
    }

    private static Thread StartRunner(KafkaGroupRunner runner, CancellationToken stop, out Box<Exception> error)
    {
        var box = error = new Box<Exception>();
        var t = new Thread(() =>
        {
            try
            {
                runner.Run(stop);
            }
            catch (Exception e)
            {
                box.Value = e;
            }
        });
        t.Start();
        return t;
    }

    [Fact]
    public void Group_runner_assigns_partitions_reads_through_them_commits_and_rebalances_cooperatively()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 4);
        for (int p = 0; p < 4; p++)
        {
            ProduceToPartition(cluster.BootstrapServers, p, IngestFixture.Load.Records.Skip(10 * p).Take(10).Select(r => (r.Key, r.Value)));
        }
        var options = new KafkaGroupOptions { BootstrapServers = cluster.BootstrapServers, GroupId = "tvs-engine-group-test", SessionTimeoutMs = 6000 };
        var h1 = new RecordingHandler();
        using var stop1 = new CancellationTokenSource();
        using var r1 = new KafkaGroupRunner(options, h1);
        var t1 = StartRunner(r1, stop1.Token, out var e1);
        Assert.True(SpinWait.SpinUntil(() => r1.Owned.Length == 4, TimeSpan.FromSeconds(30)), "first member did not get all partitions");

        // Each owned partition is readable through its own log, and commits go through the member.
        var log2 = h1.Logs[2];
        log2.Seek(0);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(log2.TryRead(Wait, out var r));
            Assert.Equal(i, r.Offset);
        }
        log2.CommitOffset(10);
        Assert.Equal(10, log2.CommittedOffset(Wait));

        // A second member joins: cooperative-sticky moves two partitions, the first keeps two.
        var h2 = new RecordingHandler();
        using var stop2 = new CancellationTokenSource();
        using var r2 = new KafkaGroupRunner(options, h2);
        var t2 = StartRunner(r2, stop2.Token, out var e2);
        Assert.True(SpinWait.SpinUntil(() => r1.Owned.Length == 2 && r2.Owned.Length == 2, TimeSpan.FromSeconds(60)), $"no rebalance: {string.Join(" ", h1.Events)} / {string.Join(" ", h2.Events)}");
        Assert.Empty(r1.Owned.Intersect(r2.Owned));
        // Only the moved partitions were revoked from the first member (no stop-the-world).
        Assert.Equal(2, h1.Events.Count(e => e.StartsWith('-')));
        Assert.Equal(0, h1.Events.Count(e => e.StartsWith('!')));

        // Leaving revokes the rest through the handler, which commits (offset 5) before giving them up.
        stop1.Cancel();
        Assert.True(t1.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(4, h1.Events.Count(e => e.StartsWith('-')));
        Assert.True(SpinWait.SpinUntil(() => r2.Owned.Length == 4, TimeSpan.FromSeconds(60)), "second member did not take over");
        foreach (var moved in h2.Logs.Values)
        {
            long c = moved.CommittedOffset(Wait);
            Assert.True(c is 5 or 10 or -1, $"partition {moved.Partition}: committed {c}");
        }
        stop2.Cancel();
        Assert.True(t2.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(e1.Value);
        Assert.Null(e2.Value);
    }

    private sealed class FailingHandler : IPartitionHandler
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public void OnAssigned(AssignedPartition partition)
        {
            Events.Enqueue($"+{partition.Partition}");
            if (partition.Partition == 1)
            {
                throw new InvalidDataException("engine for partition 1 failed to start");
            }
        }

        public void OnRevoked(int partition) => Events.Enqueue($"-{partition}");

        public void OnLost(int partition) => Events.Enqueue($"!{partition}");
    }

    [Fact]
    public void Group_runner_whose_handler_throws_completes_the_rebalance_leaves_the_group_and_reports_the_failure()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 3);
        var options = new KafkaGroupOptions { BootstrapServers = cluster.BootstrapServers, GroupId = "tvs-engine-failing-handler", SessionTimeoutMs = 6000 };
        var handler = new FailingHandler();
        using var stop = new CancellationTokenSource();
        using var runner = new KafkaGroupRunner(options, handler);
        var t = StartRunner(runner, stop.Token, out var error);
        // Run ends by itself (nobody cancels it), after Close() has revoked every partition: a
        // handler's exception escaping the rebalance callback used to leave Close() waiting forever.
        Assert.True(t.Join(TimeSpan.FromSeconds(60)), $"the member did not leave: {string.Join(" ", handler.Events)}");
        var failure = Assert.IsType<InvalidOperationException>(error.Value);
        Assert.IsType<InvalidDataException>(failure.InnerException);
        Assert.Equal(["+0", "+1", "+2"], handler.Events.Where(e => e[0] == '+').Order());
        Assert.Equal(["-0", "-1", "-2"], handler.Events.Where(e => e[0] == '-').Order());
        Assert.Empty(runner.Owned);
    }
}
