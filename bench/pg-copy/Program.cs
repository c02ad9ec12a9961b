using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Merkle;
using TVS.Storage.Postgres;

// Usage: PgCopyBench "<connection string>" [rows=500000] [batch=4096] [psql=psql] [rounds=3] [writers=1] [writeBufferBytes=0]
// writers: concurrent partition writers (one PostgresVoteStore each on its own connection and
// thread, rows split between them), as the engine runs one store per partition; rows/s is the
// total over the wall-clock time. writeBufferBytes: Npgsql's Write Buffer Size (0 = its default).
// Loads the same realistic vote rows (v1 plaintext, 160-byte ballot: 507-byte records) three
// ways into an emptied schema: PostgresVoteStore.Commit in ProgressCheck mode (binary COPY
// straight into votes and nullifiers), in OnConflict mode (COPY into temp tables, then INSERT …
// ON CONFLICT DO NOTHING), and psql \copy of CSVs of the same votes and nullifiers rows (text
// format, one transaction per table). Prints rows/s for each.
string cs = args.Length > 0 ? args[0] : throw new ArgumentException("usage: PgCopyBench \"<connection string>\" [rows] [batch] [psql]");
int rows = args.Length > 1 ? int.Parse(args[1]) : 500_000;
int batchSize = args.Length > 2 ? int.Parse(args[2]) : 4096;
string psql = args.Length > 3 ? args[3] : "psql";
int rounds = args.Length > 4 ? int.Parse(args[4]) : 3;
int writers = args.Length > 5 ? int.Parse(args[5]) : 1;
int writeBuffer = args.Length > 6 ? int.Parse(args[6]) : 0;
if (writeBuffer > 0)
{
    cs = new NpgsqlConnectionStringBuilder(cs) { WriteBufferSize = writeBuffer }.ConnectionString;
}

using var dataSource = PostgresVoteStore.CreateDataSource(cs);
PostgresMigrator.Migrate(dataSource);

// A pool of template records; each row gets its own nullifier (row number in its first bytes).
var rng = new Random(1);
var templates = new byte[batchSize][];
var writerTemplates = new byte[writers][][];
for (int i = 0; i < templates.Length; i++)
{
    var r = new byte[347 + 160];
    rng.NextBytes(r);
    "TVSV"u8.CopyTo(r);
    r[4] = 1;
    r[5] = 0;
    r[22] = 20;
    BinaryPrimitives.WriteInt32BigEndian(r.AsSpan(343), 160);
    templates[i] = r;
}

for (int w = 0; w < writers; w++)
{
    writerTemplates[w] = templates.Select(t => (byte[])t.Clone()).ToArray();
}

// Partition p's rows are numbered from p·rows: distinct nullifiers across writers.
void Fill(VoteBatch batch, Guid election, long first, int count, int writer = 0)
{
    batch.Clear();
    for (int i = 0; i < count; i++)
    {
        long n = writer * (long)rows + first + i;
        var r = writerTemplates[writer][i];
        election.TryWriteBytes(r.AsSpan(6, 16), bigEndian: true, out _);
        // Nullifiers are uniformly random in production: a bijective mix of the row number
        // spreads the primary-key inserts over the whole b-tree as they would be.
        BinaryPrimitives.WriteUInt64BigEndian(r.AsSpan(55), Mix((ulong)n));
        batch.AddAccepted(first + i, (first + i) * 2, r, default, 0);
    }
}

void Truncate()
{
    using var c = dataSource.OpenConnection();
    using var cmd = new NpgsqlCommand("truncate votes, nullifiers, partition_progress", c);
    cmd.ExecuteNonQuery();
}

double Store(PostgresCommitMode mode)
{
    Truncate();
    var election = Guid.NewGuid();
    long perWriter = rows / writers;
    using var start = new Barrier(writers + 1);
    var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
    {
        using var store = new PostgresVoteStore(dataSource, election, w, mode);
        store.LoadProgress(); // connect before the clock starts
        var batch = new VoteBatch(election, w);
        start.SignalAndWait();
        for (long first = 0; first < perWriter; first += batchSize)
        {
            int count = (int)Math.Min(batchSize, perWriter - first);
            Fill(batch, election, first, count, w);
            var progress = new PartitionProgress((first + count) * 2, first + count, default, first + count, 0);
            store.Commit(batch, progress);
        }
    })).ToList();
    threads.ForEach(t => t.Start());
    start.SignalAndWait();
    var timer = Stopwatch.StartNew();
    threads.ForEach(t => t.Join());
    return perWriter * writers / timer.Elapsed.TotalSeconds;
}

double PsqlCopy()
{
    Truncate();
    var election = Guid.NewGuid();
    string csv = Path.Combine(Path.GetTempPath(), $"tvs-pgcopy-{Environment.ProcessId}.csv");
    string nullifierCsv = Path.Combine(Path.GetTempPath(), $"tvs-pgcopy-{Environment.ProcessId}-n.csv");
    var batch = new VoteBatch(election, 0);
    string acceptedAt = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
    using (var w = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 20))
    using (var nw = new StreamWriter(nullifierCsv, false, new UTF8Encoding(false), 1 << 20))
    {
        var line = new StringBuilder(4096);
        for (long first = 0; first < rows; first += batchSize)
        {
            int count = (int)Math.Min(batchSize, rows - first);
            Fill(batch, election, first, count);
            foreach (ref readonly var v in batch.Accepted)
            {
                var r = batch.Record(v);
                line.Clear();
                line.Append("\\x").Append(Convert.ToHexString(r.Slice(55, 32))).Append(',')
                    .Append(election.ToString("D")).Append(",0,").Append(v.MmrIndex).Append(',').Append(v.Offset).Append(',').Append(r[22]).Append(',')
                    .Append("\\x").Append(Convert.ToHexString(r)).Append(',')
                    .Append(acceptedAt);
                w.WriteLine(line);
                nw.Write("\\x");
                nw.Write(Convert.ToHexString(r.Slice(55, 32)));
                nw.Write(',');
                nw.Write(election.ToString("D"));
                nw.Write(",0,");
                nw.WriteLine(v.MmrIndex);
            }
        }
    }
    var b = new NpgsqlConnectionStringBuilder(cs);
    var psi = new ProcessStartInfo(psql) { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (string a in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", b.Host!, "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", b.Username!, "-d", b.Database!,
        "-c", $"\\copy votes ({VoteColumns()}) from '{csv}' csv", "-c", $"\\copy nullifiers (nullifier_hash, election_id, partition, mmr_index) from '{nullifierCsv}' csv" })
    {
        psi.ArgumentList.Add(a);
    }
    var timer = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    string err = p.StandardError.ReadToEnd();
    p.WaitForExit();
    timer.Stop();
    long size = new FileInfo(csv).Length + new FileInfo(nullifierCsv).Length;
    File.Delete(csv);
    File.Delete(nullifierCsv);
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException("psql failed: " + err);
    }
    return rows / timer.Elapsed.TotalSeconds;
}

static ulong Mix(ulong x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
    return x ^ (x >> 31);
}

static string VoteColumns() => "nullifier_hash, election_id, partition, mmr_index, input_offset, depth, record, accepted_at";

Console.WriteLine($"{rows} rows, batches of {batchSize}, records of 507 bytes, {writers} writer(s), write buffer {(writeBuffer > 0 ? writeBuffer : "default")}; load {File.ReadAllText("/proc/loadavg").Trim()}");
// Warm-up (JIT, connection, buffers), not counted.
{
    int saved = rows;
    rows = Math.Min(rows, 20_000);
    Store(PostgresCommitMode.ProgressCheck);
    rows = saved;
}
// Rounds interleave the three ways so that load from other programs on the machine falls on
// all of them alike; the median of each is reported.
var names = new[]
{
    $"PostgresVoteStore.Commit, ProgressCheck (binary COPY votes + nullifiers), {writers} writer(s)",
    $"PostgresVoteStore.Commit, OnConflict (COPY to temp tables + INSERT ON CONFLICT), {writers} writer(s)",
    "psql \\copy votes + nullifiers from CSV (text), one psql",
};
var runs = names.Select(_ => new List<double>()).ToArray();
for (int round = 0; round < rounds; round++)
{
    runs[0].Add(Store(PostgresCommitMode.ProgressCheck));
    runs[1].Add(Store(PostgresCommitMode.OnConflict));
    runs[2].Add(PsqlCopy());
    Console.WriteLine($"round {round + 1}: {string.Join(" | ", runs.Select(r => r[^1].ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} rows/s; load {File.ReadAllText("/proc/loadavg").Trim()}");
}
Truncate();
for (int i = 0; i < names.Length; i++)
{
    var sorted = runs[i].Order().ToList();
    Console.WriteLine($"{sorted[sorted.Count / 2],10:N0} rows/s median ({string.Join(", ", runs[i].Select(x => x.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))})  {names[i]}");
}
Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
