using Confluent.Kafka;
using Npgsql;
using TVS.Cli;
using TVS.Crypto.Threshold;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.Ingest.Kafka;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage.Board;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Storage.S3;
using TVS.Tests.Storage;
using TVS.Tests.Witness;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// <c>tvs election close</c> and <c>tvs record export</c> from the production stores: an election
/// of 2 partitions run through the real path (votes.pending on a mock Kafka cluster, engines of a
/// <see cref="KafkaEngineHost"/> committing to PostgreSQL, batch objects and the board in S3, dead
/// letters on votes.rejected), then closed and exported from PostgreSQL, Kafka and the board.
/// </summary>
[Collection(ExternalServicesCollection.Name)]
public sealed class ProductionCloseExportTests(ITestOutputHelper output) : IDisposable
{
    private const int Partitions = 2;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Close_and_export_read_PostgreSQL_Kafka_and_the_S3_board_and_refuse_what_does_not_match()
    {
        if (!TestServices.Postgres(output, out string cs) || !TestServices.S3(output, out var s3))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_close_");
        string pg = new NpgsqlConnectionStringBuilder(cs) { Database = db }.ConnectionString;
        try
        {
            using (var c = new NpgsqlConnection(pg))
            {
                c.Open();
                PostgresMigrator.Migrate(c);
            }
            using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: Partitions);
            var id = Guid.NewGuid();
            var election = ElectionSetup.CreateSimulated(Path.Combine(_dir.Path, "election"), id: id, partitions: Partitions);
            CeremonyFiles.WriteJson(Path.Combine(election.Directory, ElectionRecord.ElectionKeyFile), CeremonyFiles.ToJson(LocalCeremony.Run(new DkgParameters(id, 2, 3)).Result));
            ContestList.Sample().Write(Path.Combine(election.Directory, ContestList.FileName));
            var load = LoadGenerator.Generate(election, new LoadMix { Voters = 240, Duplicates = 0.05, BadProofs = 0.05, Malformed = 0.05, Seed = 14 });
            var rejectedBy = new long[Partitions];
            using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaProducerSettings.Idempotent(cluster.BootstrapServers, "test-writer")).Build())
            {
                foreach (var r in load.Records)
                {
                    int k = KeyPartitioner.PartitionOf(r.Key, Partitions);
                    rejectedBy[k] += r.Expected == "accepted" ? 0 : 1;
                    producer.Produce(new TopicPartition(KafkaTopics.Pending, k), new Message<byte[], byte[]> { Key = r.Key, Value = r.Value });
                }
                Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
            }
            var s3Template = s3 with { KeyPrefix = "" };
            RunEngines(election, cluster.BootstrapServers, pg, s3, load.Records.Count);
            string s3Board = $"s3://{s3.Bucket}/prod/";
            var args = new StoreArguments(election.Directory) { Pg = pg, Board = s3Board, Kafka = cluster.BootstrapServers, S3 = s3Template };

            // A board directory copied from S3: closed first, then the S3 board itself.
            string boardCopy = Path.Combine(_dir.Path, "board-copy");
            using (var s3BoardStore = new S3BoardStore(s3 with { KeyPrefix = "prod/" }, id))
            using (var copy = new DirectoryRecordStore(boardCopy))
            {
                foreach (var path in s3BoardStore.List(""))
                {
                    copy.Put(path, s3BoardStore.TryGet(path));
                }
            }

            // Refusals, each leaving nothing closed.
            AssertRefused(args with { Kafka = null }, () => Execute(pg, "update elections set partitions = 3 where election_id = $1", id), () => Execute(pg, "update elections set partitions = 2 where election_id = $1", id),
                "registered in PostgreSQL (table elections) with 3 partition(s), election.json says 2");
            using (var other = MockKafkaCluster.Start(brokers: 1, partitions: 3))
            {
                AssertRefused(args with { Kafka = other.BootstrapServers }, null, null, "has 3 partition(s)");
            }
            AssertRefused(args, () => Execute(pg, "update partition_progress set mmr_size = mmr_size + 1 where election_id = $1 and partition = 1", id),
                () => Execute(pg, "update partition_progress set mmr_size = mmr_size - 1 where election_id = $1 and partition = 1", id),
                "run its engine to a clean stop first: its last sync signs the final checkpoint");
            string lagging = Path.Combine(_dir.Path, "board-lagging");
            CopyDirectory(boardCopy, lagging);
            var older = OlderCheckpoint(pg, id, 1);
            File.WriteAllText(Path.Combine(lagging, "p1", "checkpoint"), older);
            AssertRefused(args with { Board = lagging }, null, null, "let the publisher catch up (tvs board publish)");
            string torn = Path.Combine(_dir.Path, "board-torn");
            CopyDirectory(boardCopy, torn);
            Directory.Delete(Path.Combine(torn, "p0", "tile", "0"), recursive: true);
            AssertRefused(args with { Board = torn }, null, null, "missing from the board");

            var said = new StringWriter();
            Assert.True(ElectionCommands.Close(args with { Board = boardCopy }, said, said) == ExitCodes.Ok, said.ToString());
            Assert.True(File.Exists(Path.Combine(boardCopy, CloseStatement.FileName)));
            said = new StringWriter();
            Assert.True(ElectionCommands.Close(args, said, said) == ExitCodes.Ok, said.ToString());
            output.WriteLine(said.ToString());
            using var board = new S3BoardStore(s3 with { KeyPrefix = "prod/" }, id);
            var close = CloseStatement.Open(System.Text.Encoding.UTF8.GetString(board.TryGet(CloseStatement.FileName)!), election.Signer.Verifier, id);
            Assert.Equal(Partitions, close.Partitions);
            Assert.Equal(load.ExpectedCounts.GetValueOrDefault("accepted"), close.TotalVotes);
            Assert.Equal(rejectedBy.Sum(), close.Rejected);
            said = new StringWriter();
            Assert.Equal(ExitCodes.Invalid, ElectionCommands.Close(args, said, said));
            Assert.Contains("already closed", said.ToString(), StringComparison.Ordinal);

            // Export: to a directory and to an S3 prefix, the same files.
            string tally = FakeTally();
            string recordDir = Path.Combine(_dir.Path, "record");
            said = new StringWriter();
            Assert.True(RecordCommands.Export(args, tally, recordDir, said, said, threads: 4) == ExitCodes.Ok, said.ToString());
            output.WriteLine(said.ToString());
            // To S3 with the engine's config file: its PostgreSQL, Kafka, S3 endpoint and credentials, and its board.
            string config = Path.Combine(_dir.Path, "engine.json");
            File.WriteAllText(config, new System.Text.Json.Nodes.JsonObject
            {
                ["Engine"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["Postgres"] = pg,
                    ["Kafka"] = cluster.BootstrapServers,
                    ["S3Bucket"] = s3.Bucket,
                    ["S3Endpoint"] = s3.ServiceUrl,
                    ["S3AccessKey"] = s3.AccessKey,
                    ["S3SecretKey"] = s3.SecretKey,
                    ["S3KeyPrefix"] = "prod/",
                },
            }.ToJsonString());
            string recordS3 = $"s3://{s3.Bucket}/records/{id:D}/";
            said = new StringWriter();
            Assert.True(RecordCommands.Export(new StoreArguments(election.Directory) { Config = config }, tally, recordS3, said, said, threads: 4) == ExitCodes.Ok, said.ToString());
            using (var local = new DirectoryRecordStore(recordDir, create: false))
            using (var remote = StoreLocations.OpenRecord(recordS3, s3Template, create: false))
            {
                var paths = local.List("").ToList();
                Assert.Equal(paths, remote.List("").ToList());
                foreach (var path in paths)
                {
                    Assert.True(local.TryGet(path)!.AsSpan().SequenceEqual(remote.TryGet(path)), path);
                }
                AssertRecord(local, close, election, load, rejectedBy);
            }

            // Dead letters that are not the committed counts: refused, nothing written.
            AssertExportRefused(args with { Kafka = null }, tally, "rejected but no dead letters are at hand");
            Execute(pg, "update partition_progress set rejected = rejected + 1 where election_id = $1 and partition = 0", id);
            Execute(pg, "update partition_progress set rejected = rejected - 1 where election_id = $1 and partition = 1", id);
            AssertExportRefused(args, tally, $"partition 0 has {rejectedBy[0]} dead letter(s), its committed progress {rejectedBy[0] + 1} rejected");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TestServices.DropDatabase(cs, db);
        }

        void AssertRefused(StoreArguments a, Action? before, Action? after, string expected)
        {
            before?.Invoke();
            var w = new StringWriter();
            int exit = ElectionCommands.Close(a, w, w);
            after?.Invoke();
            output.WriteLine(w.ToString());
            Assert.Equal(ExitCodes.Invalid, exit);
            Assert.Contains(expected, w.ToString(), StringComparison.Ordinal);
            Assert.Contains("not closed", w.ToString(), StringComparison.Ordinal);
        }

        void AssertExportRefused(StoreArguments a, string tally, string expected)
        {
            string target = Path.Combine(_dir.Path, "refused-" + Guid.NewGuid().ToString("N")[..6]);
            var w = new StringWriter();
            Assert.Equal(ExitCodes.Invalid, RecordCommands.Export(a, tally, target, w, w));
            output.WriteLine(w.ToString());
            Assert.Contains(expected, w.ToString(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any());
        }
    }

    /// <summary>The record's content: the election files, each partition's board at its head (tiles unlisted), every checkpoint, the dead letters with their original bytes and reasons, the manifest.</summary>
    private void AssertRecord(DirectoryRecordStore record, ClosedElection close, ElectionSetup election, GeneratedLoad load, long[] rejectedBy)
    {
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(record.TryGet(ElectionRecord.ManifestFile))!;
        Assert.Equal(2, (int)manifest["version"]!);
        var listed = manifest["files"]!.AsArray().Select(f => (string)f!["path"]!).ToHashSet(StringComparer.Ordinal);
        var all = record.List("").ToList();
        foreach (var path in all.Where(p => p != ElectionRecord.ManifestFile))
        {
            Assert.True(listed.Contains(path) != RecordLayout.AuthenticatedElsewhere(path), path);
        }
        foreach (var f in manifest["files"]!.AsArray())
        {
            var bytes = record.TryGet((string)f!["path"]!)!;
            Assert.Equal((string)f["sha256"]!, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
        foreach (var head in close.Heads)
        {
            Assert.All(RecordLayout.BoardFiles(head.Partition, head.Size), p => Assert.Contains(p, all));
            BoardPartition.Open(record, head.Partition, head.Size, head.Root);
            var notes = record.List(ElectionRecord.CheckpointsDirectory(head.Partition) + "/").ToList();
            Assert.NotEmpty(notes);
            Assert.Equal(RecordLayout.CheckpointFile(head.Partition, head.Size), notes[^1]);
            var p = manifest["partitions"]!.AsArray()[head.Partition]!;
            Assert.Equal(head.Size, (long)p["size"]!);
            Assert.Equal(rejectedBy[head.Partition], (long)p["rejected"]!);
        }
        Assert.Contains(ElectionRecord.ElectionFile, all);
        Assert.Contains(CloseStatement.FileName, all);
        Assert.Contains(RecordLayout.CombinedCheckpoint, all);
        Assert.DoesNotContain(all, p => p.StartsWith("votes/", StringComparison.Ordinal) || p.Contains("secret", StringComparison.OrdinalIgnoreCase));

        // Dead letters: one per refused record, in input offset order, its original bytes and reason.
        var refused = load.Records.Where(r => r.Expected != "accepted").ToList();
        var byKey = new Dictionary<int, List<GeneratedRecord>>();
        foreach (var r in refused)
        {
            int k = KeyPartitioner.PartitionOf(r.Key, election.Partitions);
            (byKey.TryGetValue(k, out var l) ? l : byKey[k] = []).Add(r);
        }
        for (int k = 0; k < election.Partitions; k++)
        {
            var letters = record.List($"{RecordLayout.DeadLettersDirectory}/p{k}/").SelectMany(path => LocalDeadLetterSink.ReadFrames(new MemoryStream(record.TryGet(path)!))).ToList();
            Assert.Equal(rejectedBy[k], letters.Count);
            Assert.Equal(letters.Select(l => l.Offset).Order(), letters.Select(l => l.Offset));
            var expected = byKey.GetValueOrDefault(k) ?? [];
            for (int i = 0; i < letters.Count; i++)
            {
                Assert.Equal(expected[i].Key, letters[i].Key);
                Assert.Equal(expected[i].Value, letters[i].Value);
                Assert.Equal(expected[i].Expected, letters[i].Reason);
            }
        }
    }

    private string FakeTally()
    {
        // The export copies the tally's files as they are (tvs verify checks them): bytes stand in for them here.
        string tally = Path.Combine(_dir.Path, "tally");
        Directory.CreateDirectory(Path.Combine(tally, "shares", "trustee-01"));
        File.WriteAllText(Path.Combine(tally, TallyResult.FileName), "{\"stand-in\": true}\n");
        File.WriteAllBytes(Path.Combine(tally, "shares", "trustee-01", "chunk-000000000000.shares"), [1, 2, 3]);
        return tally;
    }

    private void RunEngines(ElectionSetup election, string bootstrap, string pg, S3BlobSinkOptions s3, int records)
    {
        var settings = new EngineSettings
        {
            Mode = "test",
            Election = election.Directory,
            Data = Path.Combine(_dir.Path, "engine-data"),
            Kafka = bootstrap,
            KafkaGroup = "tvs-engine-" + Guid.NewGuid().ToString("N")[..8],
            Postgres = pg,
            S3Bucket = s3.Bucket,
            S3Endpoint = s3.ServiceUrl,
            S3AccessKey = s3.AccessKey,
            S3SecretKey = s3.SecretKey,
            S3KeyPrefix = "prod/",
            VerifyThreads = 1,
            RingSize = 512,
            ArenaMiB = 8,
            CheckpointEveryRecords = 40,
            BoardIntervalMs = 200,
            ExpectedVotesPerPartition = 10_000,
            NullifierMemoryMiB = 16,
        };
        var log = new List<string>();
        using var stop = new CancellationTokenSource();
        using var host = new KafkaEngineHost(election, settings, line => { lock (log) { log.Add(line); } });
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                host.Run(stop.Token);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        bool done = SpinWait.SpinUntil(() => failure != null || host.Engines.Sum(e => Volatile.Read(ref e.Engine.Stats.Committed)) >= records, TimeSpan.FromMinutes(3));
        stop.Cancel();
        Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "the engines did not stop");
        lock (log)
        {
            Assert.True(done && failure is null, $"{failure}\n{string.Join("\n", log)}");
        }
        Assert.Equal(records, host.StoppedProgress.Values.Sum(p => p.NextOffset));
    }

    private static void Execute(string pg, string sql, Guid id)
    {
        using var c = new NpgsqlConnection(pg);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    private static string OlderCheckpoint(string pg, Guid id, int partition)
    {
        using var data = PostgresVoteStore.CreateDataSource(pg);
        var all = new PostgresBoardSource(data, id).AllCheckpoints(partition);
        Assert.True(all.Count >= 2, $"partition {partition} has {all.Count} checkpoint(s)");
        return all[^2].Note;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
