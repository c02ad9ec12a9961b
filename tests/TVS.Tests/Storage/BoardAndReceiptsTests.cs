using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using TVS.Engine;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;
using TVS.Ingest.Gateway;
using TVS.Ingest.Kafka;
using TVS.Merkle;
using TVS.Merkle.Tiles;
using TVS.Storage.Board;
using TVS.Storage.Postgres;
using TVS.Storage.S3;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

/// <summary>
/// The state of record in the shared stores: checkpoints stored with the progress they cover, the
/// board published from PostgreSQL (to a directory and to S3, through an S3 outage), and receipts
/// served by the gateway from PostgreSQL and the board, verified as a voter's device does.
/// </summary>
[Collection(ExternalServicesCollection.Name)]
public sealed class BoardAndReceiptsTests(ITestOutputHelper output) : IDisposable
{
    private const int Partitions = 2;
    private readonly Guid _election = Guid.NewGuid();
    private readonly NoteSigner _signer = NoteSigner.Generate("tvs-board-test");
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-board-").FullName;
    private readonly List<byte[]>[] _records = [[], []];
    private readonly long[] _offsets = new long[Partitions];
    private readonly TileBuilder[] _trees = [TileBuilder.Empty(), TileBuilder.Empty()];

    public void Dispose()
    {
        _signer.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Origin(int p) => $"tvs/{_election:D}/p{p}";

    private sealed class Discard : ITileSink
    {
        public void Write(string path, ReadOnlySpan<byte> content)
        {
        }
    }

    /// <summary>Commits <paramref name="count"/> synthetic votes spread by nullifier over the partitions; with <paramref name="sign"/>, each partition's last batch carries its signed checkpoint.</summary>
    private void Commit(string cs, int count, int seed, bool sign)
    {
        var rng = new Random(seed);
        var batches = new[] { new VoteBatch(_election, 0), new VoteBatch(_election, 1) };
        for (int i = 0; i < count; i++)
        {
            var record = SyntheticVotes.Record(_election, rng);
            record[23] &= 0x1f; // a canonical root and nullifier (below r): a well-formed v1 record
            record[55] &= 0x1f;
            int p = KeyPartitioner.PartitionOf(record.AsSpan(55, 32), Partitions);
            long index = _trees[p].Size;
            _trees[p].Append(record, new Discard());
            batches[p].AddAccepted(index, _offsets[p]++, record, Rfc9162.HashLeaf(record), 0);
            _records[p].Add(record);
        }
        for (int p = 0; p < Partitions; p++)
        {
            var t = _trees[p];
            var progress = new PartitionProgress(_offsets[p], t.Size, t.Root, t.Size, 0);
            if (sign)
            {
                batches[p].SignedCheckpoint = new Checkpoint(Origin(p), t.Size, t.Root).Sign(_signer);
            }
            using var store = PostgresVoteStore.Open(cs, _election, p);
            store.Commit(batches[p], progress);
        }
    }

    [Fact]
    public async Task Gateway_serves_receipts_from_PostgreSQL_and_the_board_that_verify_offline()
    {
        if (!TestServices.Postgres(output, out string admin))
        {
            return;
        }
        var (db, cs) = MigratedDatabase(admin);
        try
        {
            Commit(cs, 700, seed: 1, sign: true);

            // The checkpoint is in PostgreSQL, at the committed progress's size and root.
            using var dataSource = PostgresVoteStore.CreateDataSource(cs);
            var source = new PostgresBoardSource(dataSource, _election);
            for (int p = 0; p < Partitions; p++)
            {
                var latest = source.LatestCheckpoint(p)!;
                using var store = new PostgresVoteStore(dataSource, _election, p);
                Assert.Equal(store.LoadProgress().MmrSize, latest.Size);
                Assert.Equal(store.LoadProgress().MmrRoot, latest.Root);
                Assert.Equal(latest.Root, Checkpoint.Open(latest.Note, _signer.Verifier, Origin(p)).Root);
            }

            // The board, published from PostgreSQL.
            using var board = new LocalBoardStore(Path.Combine(_dir, "board"));
            for (int p = 0; p < Partitions; p++)
            {
                var done = new BoardPublisher(board, source, p, _signer.Verifier, Origin(p)).PublishOnce();
                Assert.True(done.CheckpointWritten);
                Assert.Equal(_records[p].Count, done.ToSize);
            }

            // More votes committed without a checkpoint: accepted, but no receipt yet.
            var before = _records.Select(r => r.Count).ToArray();
            Commit(cs, 50, seed: 2, sign: false);

            using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: Partitions);
            using var receipts = new ReceiptService(_election, _signer.Verifier, new PostgresVoteLocator(dataSource, _election), new LocalBoardStore(Path.Combine(_dir, "board")));
            await using var gateway = await GatewayServer.StartAsync(new GatewayOptions
            {
                ElectionId = _election,
                BootstrapServers = cluster.BootstrapServers,
                Port = 0,
                RatePerClient = 100_000,
                BurstPerClient = 100_000,
                Receipts = receipts,
                Status = new InMemoryVoteStatusBook(),
            });
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
            string Url(ReadOnlySpan<byte> n) => $"/v1/elections/{_election:D}/votes/{Convert.ToHexStringLower(n)}";
            int verified = 0;
            for (int p = 0; p < Partitions; p++)
            {
                for (int i = 0; i < _records[p].Count; i++)
                {
                    var record = _records[p][i];
                    using var answer = await http.GetAsync(Url(record.AsSpan(55, 32)));
                    Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                    var json = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
                    Assert.Equal("accepted", (string?)json["status"]);
                    Assert.Equal(i, (long)json["mmrIndex"]!);
                    Assert.Equal(p, (int)json["partition"]!);
                    if (i >= before[p])
                    {
                        Assert.Null(json["receipt"]);
                        Assert.Equal("5", answer.Headers.RetryAfter?.ToString());
                        continue;
                    }
                    Assert.True(Receipt.TryParse(Encoding.UTF8.GetBytes(json["receipt"]!.ToJsonString()), out var receipt, out var bad), bad?.Message);
                    var verdict = receipt!.Verify(_election, Partitions, _signer.Verifier, record);
                    Assert.True(verdict.Ok, $"p{p} vote {i}: {verdict.Code} {verdict.Message}");
                    verified++;
                }
            }
            Assert.Equal(700, verified);

            // Bad input: a clear status and code each.
            async Task Refused(string path, HttpStatusCode status, string code)
            {
                using var r = await http.GetAsync(path);
                Assert.Equal(status, r.StatusCode);
                Assert.Equal(code, (string?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["code"]);
            }
            await Refused($"/v1/elections/{_election:D}/votes/{new string('0', 63)}1", HttpStatusCode.NotFound, "unknown_vote");
            await Refused($"/v1/elections/{_election:D}/votes/xyz", HttpStatusCode.BadRequest, "bad_nullifier");
            await Refused($"/v1/elections/{_election:D}/votes/{new string('0', 65)}", HttpStatusCode.BadRequest, "bad_nullifier");
            await Refused($"/v1/elections/{_election:D}/votes/{new string('f', 64)}", HttpStatusCode.BadRequest, "nullifier_out_of_range");
            await Refused($"/v1/elections/{Guid.NewGuid():D}/votes/{new string('0', 64)}", HttpStatusCode.NotFound, "unknown_election");

            // A receipt tampered anywhere is refused with the documented code.
            var sample = _records[0][3];
            var good = await receipts.LookupAsync(Nullifier.FromBytes(sample.AsSpan(55, 32)), CancellationToken.None);
            Assert.True(Receipt.TryParse(good.Json, out var r0, out _));
            Assert.Equal("bad_proof", (r0! with { InclusionProof = [.. r0.InclusionProof.Reverse()] }).Verify(_election, Partitions, _signer.Verifier).Code);
            Assert.Equal("bad_index", (r0 with { Index = r0.TreeSize }).Verify(_election, Partitions, _signer.Verifier).Code);
            Assert.Equal("wrong_partition", (r0 with { Partition = 1 }).Verify(_election, Partitions, _signer.Verifier).Code);
            var flipped = (byte[])r0.Record.Clone();
            flipped[^1] ^= 1;
            Assert.Equal("bad_leaf", (r0 with { Record = flipped }).Verify(_election, Partitions, _signer.Verifier).Code);
            Assert.Equal("record_mismatch", r0.Verify(_election, Partitions, _signer.Verifier, flipped).Code);
            using var other = NoteSigner.Generate("tvs-board-test");
            Assert.Equal("unknown_key", r0.Verify(_election, Partitions, other.Verifier).Code);
            Assert.Equal("wrong_election", r0.Verify(Guid.NewGuid(), Partitions, _signer.Verifier).Code);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TestServices.DropDatabase(admin, db);
        }
    }

    [Fact]
    public void Board_on_S3_survives_an_outage_and_catches_up_from_PostgreSQL()
    {
        if (!TestServices.Postgres(output, out string admin) || !TestServices.S3(output, out S3BlobSinkOptions s3))
        {
            return;
        }
        var (db, cs) = MigratedDatabase(admin);
        try
        {
            using var dataSource = PostgresVoteStore.CreateDataSource(cs);
            using var board = new S3BoardStore(s3, _election);
            var warnings = new List<string>();
            using var follower = new BoardFollower(board, new PostgresBoardSource(dataSource, _election), _signer.Verifier, Origin, () => [0, 1],
                w => { lock (warnings) { warnings.Add(w); } }, _signer, $"tvs/{_election:D}/combined", Partitions)
            { Interval = TimeSpan.FromMilliseconds(100) };
            follower.Start();
            Commit(cs, 600, seed: 3, sign: true);
            WaitFor(() => follower.PublishedSize(0) == _records[0].Count && follower.PublishedSize(1) == _records[1].Count, "the first publication");

            // S3 goes away; the authority moves on (PostgreSQL commits and checkpoints); the board lags.
            TestServices.Control("s3-stop");
            try
            {
                Commit(cs, 900, seed: 4, sign: true);
                WaitFor(() => follower.Failures > 0, "a failed round while S3 is down");
                Assert.True(follower.PublishedSize(0) < _records[0].Count || follower.PublishedSize(0) == -1);
            }
            finally
            {
                TestServices.Control("s3-start");
            }
            WaitFor(() => follower.PublishedSize(0) == _records[0].Count && follower.PublishedSize(1) == _records[1].Count, "catching up after the outage");
            Assert.True(follower.Stop());
            lock (warnings)
            {
                Assert.Contains(warnings, w => w.Contains("board: publishing to s3://", StringComparison.Ordinal));
            }

            // The board in S3: each partition's tree from the tiles alone equals the authority's.
            for (int p = 0; p < Partitions; p++)
            {
                var c = Checkpoint.Open(Encoding.UTF8.GetString(board.TryGet($"p{p}/checkpoint")!), _signer.Verifier, Origin(p));
                Assert.Equal(_trees[p].Size, c.Size);
                Assert.Equal(_trees[p].Root, c.Root);
                var fromTiles = TileNodeStore.OpenTree(new Tiles(board, $"p{p}/"), c.Size);
                Assert.Equal(c.Root, fromTiles.Root);
                for (int i = 0; i < _records[p].Count; i += 97)
                {
                    Assert.Equal(Rfc9162.HashLeaf(_records[p][i]), fromTiles.GetLeafHash(i));
                }
            }
            var combined = Checkpoint.Open(Encoding.UTF8.GetString(board.TryGet(BoardFollower.CombinedPath)!), _signer.Verifier, $"tvs/{_election:D}/combined");
            Assert.Equal(_trees.Select((t, p) => new PartitionHead(p, t.Size, t.Root)), combined.GetPartitionHeads());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TestServices.DropDatabase(admin, db);
        }
    }

    /// <summary>A throwaway database with TVS's schema: its name and connection string.</summary>
    private static (string Db, string Cs) MigratedDatabase(string admin)
    {
        string db = TestServices.CreateDatabase(admin, "tvs_board_");
        string cs = new NpgsqlConnectionStringBuilder(admin) { Database = db }.ConnectionString;
        using var ds = PostgresVoteStore.CreateDataSource(cs);
        PostgresMigrator.Migrate(ds);
        return (db, cs);
    }

    private sealed class Tiles(IBoardStore board, string prefix) : ITileReader
    {
        public byte[]? Read(string path) => board.TryGet(prefix + path);
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            Thread.Sleep(100);
        }
    }
}
