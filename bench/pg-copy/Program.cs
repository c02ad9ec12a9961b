using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Merkle;
using TVS.Storage.Postgres;

// Usage: PgCopyBench "<connection string>" [rows=500000] [batch=4096] [psql=psql] [rounds=3] [writers=1] [writeBufferBytes=0] [lookups=50000]
// writers: concurrent partition writers (one connection and thread each, rows split between
// them), as the engine runs one store per partition; rows/s is the total over the wall-clock
// time. writeBufferBytes: Npgsql's Write Buffer Size (0 = its default).
// Loads the same realistic vote rows (v1 plaintext, 160-byte ballot: 507-byte records) four ways,
// each into an emptied schema, rounds interleaved (docs/PERFORMANCE.md "One row per vote"):
//   1. binary COPY, two tables: the schema before migration 0005 (votes + nullifiers, in the
//      schema bench_two), written as the store wrote it then: per batch one transaction that
//      locks the progress row, COPYs votes, COPYs nullifiers, upserts the progress;
//   2. binary COPY, votes alone: PostgresVoteStore.Commit (ProgressCheck) into the migrated
//      schema (public: votes with the covering primary key), the same transaction with one COPY;
//   3. psql \copy of CSVs of the same rows into bench_two.votes and bench_two.nullifiers;
//   4. psql \copy of the same votes CSV into public.votes.
// Then the status lookup nullifier -> (partition, mmr_index), one connection, prepared, random
// nullifiers of the loaded rows: from nullifiers (two tables) and from votes' covering primary
// key (votes alone), right after the load and again after VACUUM (which sets the visibility map,
// as autovacuum does on insert-only tables) so the index-only scan can skip the heap.
string cs = args.Length > 0 ? args[0] : throw new ArgumentException("usage: PgCopyBench \"<connection string>\" [rows] [batch] [psql]");
int rows = args.Length > 1 ? int.Parse(args[1]) : 500_000;
int batchSize = args.Length > 2 ? int.Parse(args[2]) : 4096;
string psql = args.Length > 3 ? args[3] : "psql";
int rounds = args.Length > 4 ? int.Parse(args[4]) : 3;
int writers = args.Length > 5 ? int.Parse(args[5]) : 1;
int writeBuffer = args.Length > 6 ? int.Parse(args[6]) : 0;
int lookups = args.Length > 7 ? int.Parse(args[7]) : 50_000;
if (writeBuffer > 0)
{
    cs = new NpgsqlConnectionStringBuilder(cs) { WriteBufferSize = writeBuffer }.ConnectionString;
}

using var dataSource = PostgresVoteStore.CreateDataSource(cs);
PostgresMigrator.Migrate(dataSource);
// The two-table design as migrations 0001 + 0003 left it, next to the migrated one.
Exec("""
    drop schema if exists bench_two cascade;
    create schema bench_two;
    create table bench_two.votes (
        nullifier_hash bytea not null check (octet_length(nullifier_hash) = 32),
        election_id    uuid not null,
        partition      int not null,
        mmr_index      bigint not null,
        input_offset   bigint not null,
        depth          smallint not null,
        record         bytea not null,
        accepted_at    timestamptz not null,
        primary key (nullifier_hash, election_id));
    alter table bench_two.votes alter column record set storage external;
    create index votes_by_position on bench_two.votes (election_id, partition, mmr_index);
    create table bench_two.nullifiers (
        nullifier_hash bytea not null check (octet_length(nullifier_hash) = 32),
        election_id    uuid not null,
        partition      int not null,
        mmr_index      bigint not null,
        primary key (nullifier_hash, election_id));
    create table bench_two.partition_progress (like public.partition_progress including all);
    """);

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

void Exec(string sql)
{
    using var c = dataSource.OpenConnection();
    using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 0 };
    cmd.ExecuteNonQuery();
}

void Truncate(bool twoTables) => Exec(twoTables
    ? "truncate bench_two.votes, bench_two.nullifiers, bench_two.partition_progress"
    : "truncate public.votes, public.partition_progress");

// The election each design holds after its last load (the lookups read it).
var loaded = new Guid[2];

double Store(bool twoTables)
{
    Truncate(twoTables);
    var election = Guid.NewGuid();
    loaded[twoTables ? 1 : 0] = election;
    long perWriter = rows / writers;
    using var start = new Barrier(writers + 1);
    var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
    {
        using var store = new PostgresVoteStore(dataSource, election, w);
        using var conn = twoTables ? dataSource.OpenConnection() : null; // connect before the clock starts
        store.LoadProgress();
        var batch = new VoteBatch(election, w);
        var buffer = new byte[256 * 1024];
        start.SignalAndWait();
        for (long first = 0; first < perWriter; first += batchSize)
        {
            int count = (int)Math.Min(batchSize, perWriter - first);
            Fill(batch, election, first, count, w);
            var progress = new PartitionProgress((first + count) * 2, first + count, default, first + count, 0);
            if (twoTables)
            {
                TwoTableCommit(conn!, batch, progress, ref buffer);
            }
            else
            {
                store.Commit(batch, progress);
            }
        }
    })).ToList();
    threads.ForEach(t => t.Start());
    start.SignalAndWait();
    var timer = Stopwatch.StartNew();
    threads.ForEach(t => t.Join());
    return perWriter * writers / timer.Elapsed.TotalSeconds;
}

// The store's commit before migration 0005 (VoteCopyWriter in ProgressCheck mode, without its
// consistency checks, which cost nothing next to the COPYs): lock and read the progress row,
// COPY votes, COPY nullifiers, upsert the progress, commit.
void TwoTableCommit(NpgsqlConnection conn, VoteBatch batch, in PartitionProgress progress, ref byte[] buffer)
{
    using var tx = conn.BeginTransaction();
    using (var cmd = new NpgsqlCommand("select next_offset from bench_two.partition_progress where election_id = $1 and partition = $2 for update", conn, tx))
    {
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batch.ElectionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Partition });
        cmd.ExecuteScalar();
    }
    // One copy of the batch's entries into a reused array, as the store does.
    var source = batch.AcceptedEntries;
    if (source.Length > buffer.Length)
    {
        buffer = new byte[Math.Max(source.Length, buffer.Length * 2)];
    }
    source.CopyTo(buffer);
    var entries = buffer.AsMemory(0, source.Length);
    var acceptedAt = DateTime.UtcNow;
    using (var copy = conn.BeginBinaryImport($"copy bench_two.votes ({VoteColumns()}) from stdin (format binary)"))
    {
        foreach (ref readonly var v in batch.Accepted)
        {
            var record = entries.Slice(v.RecordStart, v.RecordLength);
            copy.StartRow();
            copy.Write(record.Slice(55, 32), NpgsqlDbType.Bytea);
            copy.Write(batch.ElectionId, NpgsqlDbType.Uuid);
            copy.Write(batch.Partition, NpgsqlDbType.Integer);
            copy.Write(v.MmrIndex, NpgsqlDbType.Bigint);
            copy.Write(v.Offset, NpgsqlDbType.Bigint);
            copy.Write((short)record.Span[22], NpgsqlDbType.Smallint);
            copy.Write(record, NpgsqlDbType.Bytea);
            copy.Write(acceptedAt, NpgsqlDbType.TimestampTz);
        }
        copy.Complete();
    }
    using (var copy = conn.BeginBinaryImport("copy bench_two.nullifiers (nullifier_hash, election_id, partition, mmr_index) from stdin (format binary)"))
    {
        foreach (ref readonly var v in batch.Accepted)
        {
            copy.StartRow();
            copy.Write(entries.Slice(v.RecordStart + 55, 32), NpgsqlDbType.Bytea);
            copy.Write(batch.ElectionId, NpgsqlDbType.Uuid);
            copy.Write(batch.Partition, NpgsqlDbType.Integer);
            copy.Write(v.MmrIndex, NpgsqlDbType.Bigint);
        }
        copy.Complete();
    }
    using (var cmd = new NpgsqlCommand("""
        insert into bench_two.partition_progress (election_id, partition, next_offset, mmr_size, mmr_root, accepted, rejected, updated_at)
        values ($1, $2, $3, $4, $5, $6, $7, now())
        on conflict (election_id, partition) do update set
            next_offset = excluded.next_offset, mmr_size = excluded.mmr_size, mmr_root = excluded.mmr_root,
            accepted = excluded.accepted, rejected = excluded.rejected, updated_at = excluded.updated_at
        where partition_progress.next_offset < excluded.next_offset
        """, conn, tx))
    {
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batch.ElectionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Partition });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.NextOffset });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.MmrSize });
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = progress.MmrRoot.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.Accepted });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.Rejected });
        cmd.ExecuteNonQuery();
    }
    tx.Commit();
}

// CSVs of the same rows (one writer's numbering), written once per round for both psql ways.
string csv = Path.Combine(Path.GetTempPath(), $"tvs-pgcopy-{Environment.ProcessId}.csv");
string nullifierCsv = Path.Combine(Path.GetTempPath(), $"tvs-pgcopy-{Environment.ProcessId}-n.csv");
Guid csvElection = default;

void WriteCsv()
{
    var election = Guid.NewGuid();
    csvElection = election;
    var batch = new VoteBatch(election, 0);
    string acceptedAt = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
    using var w = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 20);
    using var nw = new StreamWriter(nullifierCsv, false, new UTF8Encoding(false), 1 << 20);
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

// One psql, one \copy per table (one transaction each, no per-batch commits).
double PsqlCopy(bool twoTables)
{
    Truncate(twoTables);
    loaded[twoTables ? 1 : 0] = csvElection;
    var b = new NpgsqlConnectionStringBuilder(cs);
    var psi = new ProcessStartInfo(psql) { RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (string a in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", b.Host!, "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", b.Username!, "-d", b.Database! })
    {
        psi.ArgumentList.Add(a);
    }
    psi.ArgumentList.Add("-c");
    psi.ArgumentList.Add($"\\copy {(twoTables ? "bench_two" : "public")}.votes ({VoteColumns()}) from '{csv}' csv");
    if (twoTables)
    {
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"\\copy bench_two.nullifiers (nullifier_hash, election_id, partition, mmr_index) from '{nullifierCsv}' csv");
    }
    var timer = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    string err = p.StandardError.ReadToEnd();
    p.WaitForExit();
    timer.Stop();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException("psql failed: " + err);
    }
    return rows / timer.Elapsed.TotalSeconds;
}

// Status lookups of random loaded nullifiers (all rows of writer 0's numbering are loaded by
// every way: psql's are the last load of each design), one connection per design, prepared; the
// two designs take turns in slices so that the machine's load falls on both alike. Returns
// lookups/s of each and the plan of one lookup with its heap fetches.
((double Rate, string Plan) Two, (double Rate, string Plan) Alone) Lookups()
{
    var designs = new[] { true, false }.Select(twoTables =>
    {
        string table = twoTables ? "bench_two.nullifiers" : "public.votes";
        var c = dataSource.OpenConnection();
        var cmd = new NpgsqlCommand($"select partition, mmr_index from {table} where nullifier_hash = $1 and election_id = $2", c);
        var key = new NpgsqlParameter<byte[]> { TypedValue = new byte[32] };
        cmd.Parameters.Add(key);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = loaded[twoTables ? 1 : 0] });
        cmd.Prepare();
        return (Table: table, Connection: c, Command: cmd, Key: key, Random: new Random(7), Time: new Stopwatch(), Found: 0L);
    }).ToArray();
    const int Slices = 10;
    for (int slice = 0; slice < Slices; slice++)
    {
        for (int d = 0; d < designs.Length; d++)
        {
            ref var x = ref designs[d];
            x.Time.Start();
            for (int i = 0; i < lookups / Slices; i++)
            {
                // The nullifier of row n is template (n mod batch)'s, Mix(n) in its first 8 bytes.
                long n = x.Random.NextInt64(rows);
                templates[(int)(n % batchSize)].AsSpan(55, 32).CopyTo(x.Key.TypedValue);
                BinaryPrimitives.WriteUInt64BigEndian(x.Key.TypedValue.AsSpan(0), Mix((ulong)n));
                using var reader = x.Command.ExecuteReader();
                while (reader.Read())
                {
                    x.Found++;
                }
            }
            x.Time.Stop();
        }
    }
    var results = new (double, string)[designs.Length];
    for (int d = 0; d < designs.Length; d++)
    {
        var x = designs[d];
        int done = lookups / Slices * Slices;
        if (x.Found != done)
        {
            throw new InvalidOperationException($"{x.Table}: {x.Found} of {done} lookups found their row");
        }
        using var explain = new NpgsqlCommand($"explain (analyze, buffers, costs off, timing off, summary off) select partition, mmr_index from {x.Table} where nullifier_hash = $1 and election_id = $2", x.Connection);
        explain.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = x.Key.TypedValue });
        explain.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = loaded[d == 0 ? 1 : 0] });
        var plan = new List<string>();
        using (var er = explain.ExecuteReader())
        {
            while (er.Read())
            {
                plan.Add(er.GetString(0).Trim());
            }
        }
        results[d] = (done / x.Time.Elapsed.TotalSeconds, string.Join("; ", plan.Where(l => !l.StartsWith("Index Cond", StringComparison.Ordinal))));
        x.Command.Dispose();
        x.Connection.Dispose();
    }
    return (results[0], results[1]);
}

string Sizes(bool twoTables)
{
    using var c = dataSource.OpenConnection();
    string sql = twoTables
        ? "select pg_total_relation_size('bench_two.votes') + pg_total_relation_size('bench_two.nullifiers'), pg_indexes_size('bench_two.votes') + pg_indexes_size('bench_two.nullifiers')"
        : "select pg_total_relation_size('public.votes'), pg_indexes_size('public.votes')";
    using var cmd = new NpgsqlCommand(sql, c);
    using var r = cmd.ExecuteReader();
    r.Read();
    return $"{r.GetInt64(0) / (double)rows:N0} B/row in all ({r.GetInt64(1) / (double)rows:N0} B/row of indexes)";
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
    Store(twoTables: true);
    Store(twoTables: false);
    rows = saved;
}
// Rounds interleave the four ways so that load from other programs on the machine falls on all
// of them alike; the median of each is reported.
var names = new[]
{
    $"binary COPY, two tables (votes + nullifiers), {writers} writer(s)",
    $"binary COPY, votes alone (PostgresVoteStore.Commit), {writers} writer(s)",
    "psql \\copy, two tables (votes + nullifiers CSV), one psql",
    "psql \\copy, votes alone (votes CSV), one psql",
};
var runs = names.Select(_ => new List<double>()).ToArray();
try
{
    for (int round = 0; round < rounds; round++)
    {
        runs[0].Add(Store(twoTables: true));
        runs[1].Add(Store(twoTables: false));
        WriteCsv();
        runs[2].Add(PsqlCopy(twoTables: true));
        runs[3].Add(PsqlCopy(twoTables: false));
        Console.WriteLine($"round {round + 1}: {string.Join(" | ", runs.Select(r => r[^1].ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} rows/s; load {File.ReadAllText("/proc/loadavg").Trim()}");
    }
}
finally
{
    File.Delete(csv);
    File.Delete(nullifierCsv);
}
for (int i = 0; i < names.Length; i++)
{
    var sorted = runs[i].Order().ToList();
    Console.WriteLine($"{sorted[sorted.Count / 2],10:N0} rows/s median ({string.Join(", ", runs[i].Select(x => x.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))})  {names[i]}");
}
Console.WriteLine($"size after the psql load: two tables {Sizes(twoTables: true)}; votes alone {Sizes(twoTables: false)}");
foreach (bool vacuumed in new[] { false, true })
{
    if (vacuumed)
    {
        Exec("vacuum (analyze) bench_two.nullifiers, public.votes");
    }
    else
    {
        Exec("analyze bench_two.nullifiers, public.votes");
    }
    var (two, alone) = Lookups();
    string when = vacuumed ? "after VACUUM" : "right after the load";
    Console.WriteLine($"{two.Rate,10:N0} lookups/s  status by nullifier, two tables (nullifiers), {when}: {two.Plan}");
    Console.WriteLine($"{alone.Rate,10:N0} lookups/s  status by nullifier, votes alone (covering primary key), {when}: {alone.Plan}");
}
Truncate(twoTables: true);
Truncate(twoTables: false);
Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
