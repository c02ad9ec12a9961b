using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Merkle;
using TVS.Storage.Postgres;

// Usage: PgCopyBench "<connection string>" [rows=500000] [batch=4096] [psql=psql] [rounds=3]
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

using var dataSource = PostgresVoteStore.CreateDataSource(cs);
PostgresMigrator.Migrate(dataSource);

// A pool of template records; each row gets its own nullifier (row number in its first bytes).
var rng = new Random(1);
var templates = new byte[batchSize][];
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

void Fill(VoteBatch batch, Guid election, long first, int count)
{
    batch.Clear();
    for (int i = 0; i < count; i++)
    {
        long n = first + i;
        var r = templates[i];
        election.TryWriteBytes(r.AsSpan(6, 16), bigEndian: true, out _);
        // Nullifiers are uniformly random in production: a bijective mix of the row number
        // spreads the primary-key inserts over the whole b-tree as they would be.
        BinaryPrimitives.WriteUInt64BigEndian(r.AsSpan(55), Mix((ulong)n));
        batch.AddAccepted(n, n * 2, r, default, 0);
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
    using var store = new PostgresVoteStore(dataSource, election, 0, mode);
    var batch = new VoteBatch(election, 0);
    var timer = new Stopwatch();
    for (long first = 0; first < rows; first += batchSize)
    {
        int count = (int)Math.Min(batchSize, rows - first);
        Fill(batch, election, first, count);
        var progress = new PartitionProgress((first + count) * 2, first + count, default, first + count, 0);
        timer.Start();
        store.Commit(batch, progress);
        timer.Stop();
    }
    return rows / timer.Elapsed.TotalSeconds;
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
                    .Append("\\x").Append(Convert.ToHexString(r.Slice(23, 32))).Append(',')
                    .Append("\\x").Append(Convert.ToHexString(r.Slice(87, 256))).Append(',')
                    .Append("\\x").Append(Convert.ToHexString(r[347..])).Append(',')
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

static string VoteColumns() => "nullifier_hash, election_id, partition, mmr_index, input_offset, depth, merkle_root, proof, ballot, record, accepted_at";

Console.WriteLine($"{rows} rows, batches of {batchSize}, records of 507 bytes; load {File.ReadAllText("/proc/loadavg").Trim()}");
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
    "PostgresVoteStore.Commit, ProgressCheck (binary COPY votes + nullifiers)",
    "PostgresVoteStore.Commit, OnConflict (COPY to temp tables + INSERT ON CONFLICT)",
    "psql \\copy votes + nullifiers from CSV (text)",
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
