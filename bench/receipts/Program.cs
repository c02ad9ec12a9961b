// Receipts benchmark (docs/PERFORMANCE.md "Voter receipts"):
//   ReceiptsBench CONN VOTES PARTITIONS BOARD_DIR OUT_DIR PORT
// Fills PostgreSQL with VOTES synthetic accepted votes spread over PARTITIONS (binary COPY through
// PostgresVoteStore, the last batch of each partition carrying its signed checkpoint), publishes
// the board from PostgreSQL into BOARD_DIR (BoardPublisher), then serves the gateway on PORT with
// receipts (PostgresVoteLocator + the board) and writes OUT_DIR/nullifiers.txt for wrk; runs until
// stdin closes. A filled database is reused when it already holds VOTES votes of the bench election.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Npgsql;
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

string conn = args[0];
int votes = int.Parse(args[1]);
int partitions = int.Parse(args[2]);
string boardDir = args[3];
string outDir = args[4];
int port = int.Parse(args[5]);
var election = Guid.Parse("0b5e1c1e-0000-4000-8000-00000000be9c");
// A fixed seed: the same key every run, so a reused database and board still verify.
using var signer = NoteSigner.FromSeed("tvs-receipts-bench", new byte[32]);
Directory.CreateDirectory(outDir);

using var dataSource = PostgresVoteStore.CreateDataSource(conn);
PostgresMigrator.Migrate(dataSource);
long stored;
using (var c = dataSource.OpenConnection())
using (var cmd = new NpgsqlCommand("select count(*) from votes where election_id = $1", c))
{
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
    stored = (long)cmd.ExecuteScalar()!;
}
var nullifiers = new List<string>(votes);
if (stored != votes)
{
    // A bench database of its own: start from an empty schema (whatever the migrations are now).
    using (var c = dataSource.OpenConnection())
    using (var cmd = new NpgsqlCommand("drop schema public cascade; create schema public", c))
    {
        cmd.ExecuteNonQuery();
    }
    PostgresMigrator.Migrate(dataSource);
    if (Directory.Exists(boardDir))
    {
        Directory.Delete(boardDir, recursive: true);
    }
    var watch = Stopwatch.StartNew();
    var rng = new Random(1);
    var batches = new VoteBatch[partitions];
    var trees = new TileBuilder[partitions];
    var stores = new PostgresVoteStore[partitions];
    var offsets = new long[partitions];
    var sink = new NullSink();
    for (int p = 0; p < partitions; p++)
    {
        batches[p] = new VoteBatch(election, p);
        trees[p] = TileBuilder.Empty();
        stores[p] = new PostgresVoteStore(dataSource, election, p);
    }
    void Flush(int p, bool last)
    {
        var t = trees[p];
        var progress = new PartitionProgress(offsets[p], t.Size, t.Root, t.Size, 0);
        if (last)
        {
            batches[p].SignedCheckpoint = new Checkpoint($"tvs/{election:D}/p{p}", t.Size, t.Root).Sign(signer);
        }
        stores[p].Commit(batches[p], progress);
        batches[p].Clear();
    }
    var record = new byte[VoteRecord.HeaderSize + 160];
    Span<byte> key = stackalloc byte[32];
    for (int i = 0; i < votes; i++)
    {
        rng.NextBytes(record);
        "TVSV"u8.CopyTo(record);
        record[4] = 1;
        record[5] = 0;
        election.TryWriteBytes(record.AsSpan(6, 16), bigEndian: true, out _);
        record[22] = 20;
        record[55] &= 0x1f; // a nullifier below r
        BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(343), 160);
        int p = KeyPartitioner.PartitionOf(record.AsSpan(55, 32), partitions);
        long index = trees[p].Size;
        trees[p].Append(record, sink);
        batches[p].AddAccepted(index, offsets[p], record, Rfc9162.HashLeaf(record), 0);
        offsets[p]++;
        if (batches[p].AcceptedCount == 4096)
        {
            Flush(p, last: false);
        }
    }
    for (int p = 0; p < partitions; p++)
    {
        Flush(p, last: true);
        stores[p].Dispose();
    }
    Console.Error.WriteLine($"filled {votes:N0} votes in {watch.Elapsed.TotalSeconds:N1} s");
}
using (var c = dataSource.OpenConnection())
using (var cmd = new NpgsqlCommand("select encode(nullifier_hash, 'hex') from votes where election_id = $1", c))
{
    cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
    using var r = cmd.ExecuteReader();
    while (r.Read())
    {
        nullifiers.Add(r.GetString(0));
    }
}
// Shuffled, so consecutive requests hit random rows and random tiles (no locality help).
var shuffle = new Random(2);
for (int i = nullifiers.Count - 1; i > 0; i--)
{
    int j = shuffle.Next(i + 1);
    (nullifiers[i], nullifiers[j]) = (nullifiers[j], nullifiers[i]);
}
File.WriteAllLines(Path.Combine(outDir, "nullifiers.txt"), nullifiers);

var publishWatch = Stopwatch.StartNew();
using (var board = new LocalBoardStore(boardDir))
{
    var source = new PostgresBoardSource(dataSource, election);
    for (int p = 0; p < partitions; p++)
    {
        new BoardPublisher(board, source, p, signer.Verifier, $"tvs/{election:D}/p{p}").PublishOnce();
    }
}
Console.Error.WriteLine($"board published (or resumed) in {publishWatch.Elapsed.TotalSeconds:N1} s");

using var kafka = MockKafkaCluster.Start(1, partitions);
var receipts = new ReceiptService(election, signer.Verifier, new PostgresVoteLocator(PostgresVoteStore.CreateDataSource(conn + ";Max Auto Prepare=8"), election, ownsDataSource: true), new LocalBoardStore(boardDir));
var server = await GatewayServer.StartAsync(new GatewayOptions
{
    ElectionId = election,
    BootstrapServers = kafka.BootstrapServers,
    Port = port,
    Address = IPAddress.Loopback,
    RatePerClient = 1e9,
    BurstPerClient = 1_000_000_000,
    Receipts = receipts,
});
Console.Out.WriteLine($"serving {server.BaseAddress}v1/elections/{election:D}/votes/");
Console.Out.Flush();
Console.In.ReadToEnd();
await server.DisposeAsync();
receipts.Dispose();

sealed class NullSink : ITileSink
{
    public void Write(string path, ReadOnlySpan<byte> content)
    {
    }
}
