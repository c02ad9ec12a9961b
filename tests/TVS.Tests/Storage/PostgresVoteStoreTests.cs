using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Merkle;
using TVS.Storage.Postgres;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

/// <summary>
/// Tests against the throwaway PostgreSQL of tests/services.sh. One collection with the other
/// service tests: the outage tests stop the server, so nothing else may use it meanwhile.
/// </summary>
[Collection(ExternalServicesCollection.Name)]
public class PostgresVoteStoreTests
{
    private readonly ITestOutputHelper _output;

    public PostgresVoteStoreTests(ITestOutputHelper output) => _output = output;

    private static PartitionProgress ProgressAfter(VoteBatch batch, long rejected = 0)
        => new(batch.LastMmrIndex * 10 + 10, batch.LastMmrIndex + 1, new Hash256(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(batch.LastMmrIndex))), batch.LastMmrIndex + 1, rejected);

    private static long Count(string connectionString, string table, Guid election)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"select count(*) from {table} where election_id = $1", c);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task Migrations_apply_once_under_a_lock_and_skip_on_the_next_run()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_mig_");
        try
        {
            var fresh = new NpgsqlConnectionStringBuilder(cs) { Database = db, Pooling = false }.ConnectionString;
            // Two migrators at once, as engines starting together: the advisory lock lets one apply.
            var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                using var c = new NpgsqlConnection(fresh);
                c.Open();
                return PostgresMigrator.Migrate(c);
            })).ToArray();
            var results = await Task.WhenAll(runs);
            var first = results.SelectMany(r => r).Where(r => r.Version == "0001").ToList();
            Assert.Single(first, r => r.Outcome == MigrationOutcome.Applied);
            Assert.Single(first, r => r.Outcome == MigrationOutcome.Skipped);

            using var conn = new NpgsqlConnection(fresh);
            conn.Open();
            bool citus = PostgresMigrator.CitusAvailable(conn);
            var again = PostgresMigrator.Migrate(conn);
            foreach (var r in again)
            {
                _output.WriteLine($"{r.Version} {r.Name}: {r.Outcome}");
            }
            Assert.Equal(MigrationOutcome.Skipped, again.Single(r => r.Version == "0001").Outcome);
            // 0002 was never applied on this fresh database, and 0006 (the same distribution
            // without nullifiers, which 0005 drops) supersedes it; 0006 needs citus.
            Assert.Equal(MigrationOutcome.Superseded, again.Single(r => r.Version == "0002").Outcome);
            Assert.Equal(citus ? MigrationOutcome.Skipped : MigrationOutcome.NotApplicable, again.Single(r => r.Version == "0006").Outcome);
            _output.WriteLine(citus ? "citus available: distributed schema applied" : "citus not available: plain PostgreSQL schema only");

            using var tables = new NpgsqlCommand("select count(*) from information_schema.tables where table_schema = 'public' and table_name = any($1)", conn);
            tables.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ["elections", "candidates", "trustees", "votes", "credentials", "partition_progress", "schema_migrations"] });
            Assert.Equal(7L, (long)tables.ExecuteScalar()!);
            using (var gone = new NpgsqlCommand("select to_regclass('nullifiers') is null", conn))
            {
                Assert.True((bool)gone.ExecuteScalar()!);
            }
            using var recorded = new NpgsqlCommand("select count(*) from schema_migrations", conn);
            Assert.Equal(again.Count(r => r.Outcome == MigrationOutcome.Skipped), (long)recorded.ExecuteScalar()!);
        }
        finally
        {
            TestServices.DropDatabase(cs, db);
        }
    }

    [Theory]
    [InlineData(PostgresCommitMode.ProgressCheck)]
    [InlineData(PostgresCommitMode.OnConflict)]
    public void Commit_then_LoadProgress_round_trips_every_column(PostgresCommitMode mode)
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        using var store = PostgresVoteStore.Open(cs, election, 3, mode);
        Assert.Equal(PartitionProgress.Empty, store.LoadProgress());

        var batch = SyntheticVotes.Batch(election, 3, 0, 100, seed: 1);
        for (int i = 0; i < 7; i++)
        {
            // The progress counts 7 refusals: they are in the batch (between the accepted offsets).
            batch.AddRejected(i * 10 + 5, TVS.Engine.Votes.VoteRejectReason.Malformed, new byte[32], new byte[8], 0);
        }
        var progress = ProgressAfter(batch, rejected: 7);
        store.Commit(batch, progress);
        Assert.Equal(progress, store.LoadProgress());

        var stored = store.ReadAll();
        Assert.Equal(100, stored.Count);
        for (int i = 0; i < stored.Count; i++)
        {
            var v = batch.Accepted[i];
            Assert.Equal(v.MmrIndex, stored[i].MmrIndex);
            Assert.Equal(v.Offset, stored[i].Offset);
            Assert.Equal(batch.Record(v).ToArray(), stored[i].Record);
        }

        // The columns, and the view's fields cut out of record, are the record's fields
        // (docs/formats.md "PostgreSQL schema"; migration 0003 keeps them in record only).
        using var c = new NpgsqlConnection(cs);
        c.Open();
        using var cmd = new NpgsqlCommand("""
            select v.nullifier_hash, v.depth, v.merkle_root, v.proof, v.ballot, v.record, v.mmr_index, v.partition
            from votes_v1 v
            where v.election_id = $1 order by v.mmr_index
            """, c);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
        using var reader = cmd.ExecuteReader();
        int k = 0;
        while (reader.Read())
        {
            var record = (byte[])reader[5];
            Assert.Equal(record[55..87], (byte[])reader[0]);
            Assert.Equal(record[22], (short)reader[1]);
            Assert.Equal(record[23..55], (byte[])reader[2]);
            Assert.Equal(record[87..343], (byte[])reader[3]);
            Assert.Equal(record[347..], (byte[])reader[4]);
            Assert.Equal((long)k, (long)reader[6]);
            Assert.Equal(3, (int)reader[7]);
            k++;
        }
        Assert.Equal(100, k);
    }

    [Theory]
    [InlineData(PostgresCommitMode.ProgressCheck)]
    [InlineData(PostgresCommitMode.OnConflict)]
    public void A_repeated_commit_stores_the_rows_once(PostgresCommitMode mode)
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var batch = SyntheticVotes.Batch(election, 0, 0, 250, seed: 2);
        var progress = ProgressAfter(batch);
        using (var store = PostgresVoteStore.Open(cs, election, 0, mode))
        {
            store.Commit(batch, progress);
            store.Commit(batch, progress); // the flush stage's retry of the same batch
        }
        // A new process after a crash whose commit had in fact gone through.
        using (var store = PostgresVoteStore.Open(cs, election, 0, mode))
        {
            store.Commit(batch, progress);
            Assert.Equal(progress, store.LoadProgress());
            // An older batch again (replay) never moves progress backwards.
            var older = SyntheticVotes.Batch(election, 0, 0, 100, seed: 2);
            store.Commit(older, ProgressAfter(older));
            Assert.Equal(progress, store.LoadProgress());
        }
        Assert.Equal(250, Count(cs, "votes", election));

        // The next batch goes on from there; a batch of refusals only moves the progress.
        using (var store = PostgresVoteStore.Open(cs, election, 0, mode))
        {
            var next = SyntheticVotes.Batch(election, 0, 250, 50, seed: 3);
            store.Commit(next, ProgressAfter(next));
            var empty = new VoteBatch(election, 0);
            for (int i = 0; i < 5; i++)
            {
                empty.AddRejected(ProgressAfter(next).NextOffset + i, TVS.Engine.Votes.VoteRejectReason.Malformed, new byte[32], new byte[8], 0);
            }
            var after = ProgressAfter(next) with { NextOffset = ProgressAfter(next).NextOffset + 5, Rejected = 5 };
            store.Commit(empty, after);
            Assert.Equal(after, store.LoadProgress());
        }
        Assert.Equal(300, Count(cs, "votes", election));
    }

    [Fact]
    public void A_writer_disposed_without_Complete_stores_nothing()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var batch = SyntheticVotes.Batch(election, 0, 0, 500, seed: 4);
        using var store = PostgresVoteStore.Open(cs, election, 0);
        using (var writer = store.BeginWrite())
        {
            Assert.Equal(VoteCopyState.Open, writer.State);
            writer.Write(batch);
            Assert.Equal(VoteCopyState.Writing, writer.State);
        }
        Assert.Equal(0, Count(cs, "votes", election));
        Assert.Equal(PartitionProgress.Empty, store.LoadProgress());

        var w = store.BeginWrite();
        w.Dispose();
        Assert.Equal(VoteCopyState.Cancelled, w.State);
        Assert.Throws<InvalidOperationException>(() => w.Write(batch));

        // The store goes on on the same connection.
        store.Commit(batch, ProgressAfter(batch));
        Assert.Equal(500, Count(cs, "votes", election));
    }

    [Fact]
    public void A_connection_killed_before_Complete_leaves_neither_rows_nor_progress_and_the_retry_reconnects()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var batch = SyntheticVotes.Batch(election, 0, 0, 1000, seed: 5);
        var progress = ProgressAfter(batch);
        using var store = PostgresVoteStore.Open(cs, election, 0);
        using (var writer = store.BeginWrite())
        {
            writer.Write(batch);
            Terminate(cs, writer.BackendProcessId);
            Assert.ThrowsAny<Exception>(() => writer.Complete(progress));
            Assert.Equal(VoteCopyState.Cancelled, writer.State);
        }
        Assert.Equal(0, Count(cs, "votes", election));
        Assert.Equal(PartitionProgress.Empty, ReadProgress(cs, election));

        // The store's connection is dead: the first call fails, the flush stage's retry reconnects.
        try
        {
            store.Commit(batch, progress);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            _output.WriteLine("first retry failed as expected: " + e.Message);
            store.Commit(batch, progress);
        }
        Assert.Equal(1000, Count(cs, "votes", election));
        Assert.Equal(progress, store.LoadProgress());
    }

    [Fact]
    public async Task A_connection_killed_during_COPY_leaves_neither_rows_nor_progress()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var batch = SyntheticVotes.Batch(election, 0, 0, 40_000, seed: 6);
        var progress = ProgressAfter(batch);
        string app = "tvs-kill-" + Guid.NewGuid().ToString("N")[..8];
        using var store = PostgresVoteStore.Open(cs + ";Application Name=" + app, election, 0);
        using var stop = new CancellationTokenSource();
        int killed = 0;
        var killer = Task.Run(() =>
        {
            using var c = new NpgsqlConnection(cs);
            c.Open();
            while (!stop.IsCancellationRequested)
            {
                using var cmd = new NpgsqlCommand(
                    "select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and state = 'active' and query ilike 'copy%'", c);
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = app });
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    if (r.GetBoolean(0))
                    {
                        Interlocked.Increment(ref killed);
                        return;
                    }
                }
                r.Close();
                Thread.Sleep(2);
            }
        });
        Exception? failure = null;
        try
        {
            store.Commit(batch, progress);
        }
        catch (Exception e)
        {
            failure = e;
        }
        stop.Cancel();
        await killer;
        _output.WriteLine(failure is null ? "the COPY finished before the killer found it" : $"killed mid-COPY ({killed}): {failure.GetType().Name}: {failure.Message}");
        if (failure is not null)
        {
            Assert.Equal(0, Count(cs, "votes", election));
            Assert.Equal(PartitionProgress.Empty, ReadProgress(cs, election));
            store.Commit(batch, progress);
        }
        Assert.Equal(40_000, Count(cs, "votes", election));
        Assert.Equal(progress, ReadProgress(cs, election));
    }

    [Fact]
    public void A_commit_allocates_no_managed_memory_per_vote()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        using var store = PostgresVoteStore.Open(cs, election, 0);
        const int n = 4096;
        var batches = Enumerable.Range(0, 4).Select(i => SyntheticVotes.Batch(election, 0, i * n, n, seed: 100 + i)).ToArray();
        store.Commit(batches[0], ProgressAfter(batches[0])); // warm: connection, JIT, buffers
        store.Commit(batches[1], ProgressAfter(batches[1]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        store.Commit(batches[2], ProgressAfter(batches[2]));
        long one = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        store.Commit(batches[3], ProgressAfter(batches[3]));
        long other = GC.GetAllocatedBytesForCurrentThread() - before;
        _output.WriteLine($"allocated per commit of {n} votes: {one} and {other} bytes ({Math.Min(one, other) / (double)n:F1} bytes per vote)");
        // A fixed cost per commit (commands, parameters, the importer), nothing that grows with the batch.
        Assert.True(Math.Min(one, other) < 64 * 1024, $"{Math.Min(one, other)} bytes allocated for {n} votes");
    }

    /// <summary>
    /// A partition's input log as the engine would cut it: record i at offset 10·i, accepted with
    /// MMR index = the accepted ones before it, except every 7th, refused (dead letter). Batches
    /// of any boundaries over it carry identical entries where they overlap.
    /// </summary>
    private sealed class Log
    {
        private readonly Guid _election;
        private readonly List<(long Offset, byte[]? Record)> _records = [];

        public Log(Guid election, int records, int seed)
        {
            _election = election;
            var rng = new Random(seed);
            for (int i = 0; i < records; i++)
            {
                _records.Add((i * 10L, i % 7 == 3 ? null : SyntheticVotes.Record(election, rng)));
            }
        }

        /// <summary>The batch of the records in [<paramref name="from"/>, <paramref name="to"/>) and the progress after it; <paramref name="mmrShift"/> forges another log's MMR indexes.</summary>
        public (VoteBatch Batch, PartitionProgress Progress) Batch(long from, long to, long mmrShift = 0)
        {
            var batch = new VoteBatch(_election, 0);
            long index = 0, rejected = 0;
            foreach (var (offset, record) in _records.TakeWhile(r => r.Offset < to))
            {
                if (record is null)
                {
                    if (offset >= from)
                    {
                        batch.AddRejected(offset, TVS.Engine.Votes.VoteRejectReason.Malformed, new byte[32], new byte[8], 0);
                    }
                    rejected++;
                    continue;
                }
                if (offset >= from)
                {
                    batch.AddAccepted(index + mmrShift, offset, record, Rfc9162.HashLeaf(record), 0);
                }
                index++;
            }
            var root = new Hash256(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(index)));
            return (batch, new PartitionProgress(to, index, root, index, rejected));
        }

        public List<byte[]> AcceptedBefore(long to) => _records.Where(r => r.Offset < to && r.Record is not null).Select(r => r.Record!).ToList();
    }

    [Theory]
    [InlineData(PostgresCommitMode.ProgressCheck)]
    [InlineData(PostgresCommitMode.OnConflict)]
    public void A_batch_that_partly_overlaps_the_stored_progress_writes_only_the_rest(PostgresCommitMode mode)
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var log = new Log(election, 200, seed: 11);
        using var store = PostgresVoteStore.Open(cs, election, 0, mode);
        // Engine A commits up to offset 1050; engine B, which lost the partition meanwhile (or a
        // restart that cut the log elsewhere), commits its batch of offsets 1000..1490.
        var (a, pa) = log.Batch(0, 1050);
        store.Commit(a, pa);
        var (b, pb) = log.Batch(1000, 1500);
        Assert.True(b.Accepted[0].Offset < 1050 && b.Rejected[0].Offset < 1050, "the batch overlaps both accepted and refused records");
        store.Commit(b, pb);
        Assert.Equal(pb, store.LoadProgress());

        // Full overlap: an older batch again, and the same one again, change nothing.
        var (older, po) = log.Batch(500, 1200);
        store.Commit(older, po);
        store.Commit(b, pb);
        Assert.Equal(pb, store.LoadProgress());

        // The next batch goes on from there; the rows are the log's, byte for byte, once each.
        var (c, pc) = log.Batch(1500, 2000);
        store.Commit(c, pc);
        Assert.Equal(pc, store.LoadProgress());
        var expected = log.AcceptedBefore(2000);
        var rows = store.ReadAll();
        Assert.Equal(expected.Count, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(i, rows[i].MmrIndex);
            Assert.Equal(expected[i], rows[i].Record);
        }
    }

    [Fact]
    public void A_batch_after_a_gap_is_refused_and_nothing_is_written()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var log = new Log(election, 200, seed: 12);
        using var store = PostgresVoteStore.Open(cs, election, 0);
        var (a, pa) = log.Batch(0, 1050);
        store.Commit(a, pa);

        // Offsets 1050..1090 never committed: writing 1100.. would lose those votes.
        var (late, pl) = log.Batch(1100, 1500);
        var e = Assert.Throws<PartitionProgressMismatchException>(() => store.Commit(late, pl));
        _output.WriteLine(e.Message);
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);
        Assert.Contains("gap", e.Message, StringComparison.Ordinal);
        Assert.Equal(pa, store.LoadProgress());
        Assert.Equal(a.AcceptedCount, Count(cs, "votes", election));

        // A gap of refused records only (no MMR index missing) is a gap too: the counts tell.
        var (upTo1080, p1080) = log.Batch(1050, 1080);
        store.Commit(upTo1080, p1080);
        var (rejectsOnly, _) = log.Batch(1080, 1090);
        Assert.Equal(0, rejectsOnly.AcceptedCount);
        Assert.Equal(1, rejectsOnly.RejectedCount);
        var (afterRejects, par) = log.Batch(1090, 1500);
        Assert.Contains("gap", Assert.Throws<PartitionProgressMismatchException>(() => store.Commit(afterRejects, par)).Message, StringComparison.Ordinal);
        Assert.Equal(p1080, store.LoadProgress());

        // The missing records, then the rest, on the same store (the refusal kept the session).
        var (rest, pr) = log.Batch(1080, 1500);
        store.Commit(rest, pr);
        Assert.Equal(pr, store.LoadProgress());
        Assert.Equal(log.AcceptedBefore(1500), store.ReadAll().Select(v => v.Record).ToList());
    }

    [Fact]
    public void A_batch_from_a_log_that_disagrees_with_the_stored_progress_is_refused()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var log = new Log(election, 200, seed: 13);
        using var store = PostgresVoteStore.Open(cs, election, 0);
        var (a, pa) = log.Batch(0, 1050);
        store.Commit(a, pa);

        // Overlapping, but the entries above the stored offset do not continue the stored MMR.
        var (shifted, ps) = log.Batch(1000, 1500, mmrShift: -1);
        var e = Assert.Throws<PartitionProgressMismatchException>(() => store.Commit(shifted, ps with { MmrSize = ps.MmrSize - 1, Accepted = ps.Accepted - 1 }));
        _output.WriteLine(e.Message);
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);

        // Covered by the stored progress, but with other counts: not the same log either.
        var (covered, pcov) = log.Batch(0, 1050);
        Assert.Throws<PartitionProgressMismatchException>(() => store.Commit(covered, pcov with { Rejected = pcov.Rejected + 1 }));
        Assert.Throws<PartitionProgressMismatchException>(() => store.Commit(covered, pcov with { MmrRoot = default }));
        Assert.Equal(pa, store.LoadProgress());
        Assert.Equal(a.AcceptedCount, Count(cs, "votes", election));
    }

    [Fact]
    public void Migration_0003_applies_on_a_v1_schema_with_rows_and_keeps_them_readable()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_mig3_");
        try
        {
            var fresh = new NpgsqlConnectionStringBuilder(cs) { Database = db, Pooling = false }.ConnectionString;
            using var conn = new NpgsqlConnection(fresh);
            conn.Open();
            // A database as v1 left it: 0001 applied and recorded, one row with the copied columns.
            var v1 = PostgresMigrator.Migrations.Single(m => m.Version == "0001");
            using (var cmd = new NpgsqlCommand(v1.Sql, conn))
            {
                cmd.ExecuteNonQuery();
            }
            using (var cmd = new NpgsqlCommand("create table schema_migrations (version text primary key, name text not null, checksum bytea not null, applied_at timestamptz not null default now())", conn))
            {
                cmd.ExecuteNonQuery();
            }
            using (var cmd = new NpgsqlCommand("""
                insert into schema_migrations (version, name, checksum) values ('0001', $1, $2)
                """, conn))
            {
                cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = v1.Name });
                cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = v1.Checksum });
                cmd.ExecuteNonQuery();
            }
            var election = Guid.NewGuid();
            var record = SyntheticVotes.Record(election, new Random(14));
            using (var cmd = new NpgsqlCommand("""
                insert into votes (nullifier_hash, election_id, partition, mmr_index, input_offset, depth, merkle_root, proof, ballot, record, accepted_at)
                values (substring($2 from 56 for 32), $1, 0, 0, 0, 20, substring($2 from 24 for 32), substring($2 from 88 for 256), substring($2 from 348), $2, now())
                """, conn))
            {
                cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
                cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = record });
                cmd.ExecuteNonQuery();
            }

            var results = PostgresMigrator.Migrate(conn);
            Assert.Equal(MigrationOutcome.Skipped, results.Single(r => r.Version == "0001").Outcome);
            Assert.Equal(MigrationOutcome.Applied, results.Single(r => r.Version == "0003").Outcome);
            Assert.Equal(MigrationOutcome.Skipped, PostgresMigrator.Migrate(conn).Single(r => r.Version == "0003").Outcome);
            // Its text runs again without harm (if exists / or replace), e.g. by hand.
            using (var again = new NpgsqlCommand(PostgresMigrator.Migrations.Single(m => m.Version == "0003").Sql, conn))
            {
                again.ExecuteNonQuery();
            }

            using (var cols = new NpgsqlCommand("select count(*) from information_schema.columns where table_name = 'votes' and column_name in ('merkle_root', 'proof', 'ballot')", conn))
            {
                Assert.Equal(0L, (long)cols.ExecuteScalar()!);
            }
            using var read = new NpgsqlCommand("select merkle_root, proof, ballot, depth, record from votes_v1 where election_id = $1", conn);
            read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
            using var reader = read.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(record[23..55], (byte[])reader[0]);
            Assert.Equal(record[87..343], (byte[])reader[1]);
            Assert.Equal(record[347..], (byte[])reader[2]);
            Assert.Equal(record, (byte[])reader[4]);
        }
        finally
        {
            TestServices.DropDatabase(cs, db);
        }
    }

    [Fact]
    public void The_status_lookup_by_nullifier_is_covered_by_the_primary_key_and_a_second_row_is_refused()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        var election = Guid.NewGuid();
        var batch = SyntheticVotes.Batch(election, 2, 0, 300, seed: 21);
        using (var store = PostgresVoteStore.Open(cs, election, 2))
        {
            store.Commit(batch, ProgressAfter(batch));
        }
        using var c = new NpgsqlConnection(cs);
        c.Open();
        Exec(c, "vacuum (analyze) votes"); // sets the visibility map, as autovacuum does
        Exec(c, "set enable_seqscan = off; set enable_bitmapscan = off");
        const string Lookup = "select partition, mmr_index from votes where nullifier_hash = $1 and election_id = $2";
        foreach (int i in new[] { 0, 1, 150, 299 })
        {
            var v = batch.Accepted[i];
            byte[] nullifier = batch.Record(v).Slice(55, 32).ToArray();
            using var cmd = new NpgsqlCommand(Lookup, c);
            cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = nullifier });
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
            using var reader = cmd.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(2, reader.GetInt32(0));
            Assert.Equal(v.MmrIndex, reader.GetInt64(1));
            Assert.False(reader.Read());
        }
        var first = batch.Record(batch.Accepted[0]).Slice(55, 32).ToArray();
        using (var explain = new NpgsqlCommand("explain (costs off) " + Lookup, c))
        {
            explain.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = first });
            explain.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
            using var reader = explain.ExecuteReader();
            var plan = new List<string>();
            while (reader.Read())
            {
                plan.Add(reader.GetString(0));
            }
            _output.WriteLine(string.Join('\n', plan));
            Assert.Contains("Index Only Scan using votes_pkey", plan[0], StringComparison.Ordinal);
        }

        // The same (nullifier, election) again, from another partition and position: refused.
        using (var insert = new NpgsqlCommand("""
            insert into votes (nullifier_hash, election_id, partition, mmr_index, input_offset, depth, record, accepted_at)
            values ($1, $2, 5, 0, 0, 20, $3, now())
            """, c))
        {
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = first });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = batch.Record(batch.Accepted[0]).ToArray() });
            var e = Assert.Throws<PostgresException>(() => insert.ExecuteNonQuery());
            Assert.Equal(PostgresErrorCodes.UniqueViolation, e.SqlState);
            Assert.Equal("votes_pkey", e.ConstraintName);
        }
        // And through the store's COPY: partition 5's first vote repeats partition 2's vote 7.
        var again = new VoteBatch(election, 5);
        again.AddAccepted(0, 0, batch.Record(batch.Accepted[7]), default, 0);
        using (var other = PostgresVoteStore.Open(cs, election, 5))
        {
            var e = Assert.Throws<PostgresException>(() => other.Commit(again, ProgressAfter(again)));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, e.SqlState);
            Assert.Equal(PartitionProgress.Empty, other.LoadProgress());
        }
        Assert.Equal(300, Count(cs, "votes", election));
    }

    [Fact]
    public void Migration_0005_applies_on_a_schema_with_both_tables_and_rows()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_mig5_");
        try
        {
            var fresh = new NpgsqlConnectionStringBuilder(cs) { Database = db, Pooling = false }.ConnectionString;
            using var conn = new NpgsqlConnection(fresh);
            conn.Open();
            // A database as 0003 left it (0001 and 0003 applied and recorded), with rows in votes
            // and nullifiers written the way the two-table store wrote them.
            Exec(conn, "create table schema_migrations (version text primary key, name text not null, checksum bytea not null, applied_at timestamptz not null default now())");
            foreach (string version in new[] { "0001", "0003" })
            {
                var m = PostgresMigrator.Migrations.Single(x => x.Version == version);
                Exec(conn, m.Sql);
                using var rec = new NpgsqlCommand("insert into schema_migrations (version, name, checksum) values ($1, $2, $3)", conn);
                rec.Parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Version });
                rec.Parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Name });
                rec.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = m.Checksum });
                rec.ExecuteNonQuery();
            }
            var election = Guid.NewGuid();
            var batch = SyntheticVotes.Batch(election, 1, 0, 50, seed: 22);
            foreach (ref readonly var v in batch.Accepted)
            {
                using var insert = new NpgsqlCommand("""
                    with v as (
                        insert into votes (nullifier_hash, election_id, partition, mmr_index, input_offset, depth, record, accepted_at)
                        values (substring($3 from 56 for 32), $1, 1, $2, $2, 20, $3, now()))
                    insert into nullifiers (nullifier_hash, election_id, partition, mmr_index) values (substring($3 from 56 for 32), $1, 1, $2)
                    """, conn);
                insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election });
                insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = v.MmrIndex });
                insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = batch.Record(v).ToArray() });
                insert.ExecuteNonQuery();
            }

            var results = PostgresMigrator.Migrate(conn);
            Assert.Equal(MigrationOutcome.Applied, results.Single(r => r.Version == "0005").Outcome);
            Assert.Equal(MigrationOutcome.Skipped, PostgresMigrator.Migrate(conn).Single(r => r.Version == "0005").Outcome);
            using (var gone = new NpgsqlCommand("select to_regclass('nullifiers') is null", conn))
            {
                Assert.True((bool)gone.ExecuteScalar()!);
            }
            using (var def = new NpgsqlCommand("select pg_get_constraintdef(oid) from pg_constraint where conname = 'votes_pkey'", conn))
            {
                Assert.Equal("PRIMARY KEY (nullifier_hash, election_id) INCLUDE (partition, mmr_index)", (string)def.ExecuteScalar()!);
            }
            using var store = new PostgresVoteStore(PostgresVoteStore.CreateDataSource(fresh), election, 1, ownsDataSource: true);
            var rows = store.ReadAll();
            Assert.Equal(50, rows.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal(batch.Record(batch.Accepted[i]).ToArray(), rows[i].Record);
            }
        }
        finally
        {
            TestServices.DropDatabase(cs, db);
        }
    }

    private static void Exec(NpgsqlConnection c, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private static void Terminate(string cs, int pid)
    {
        using var c = new NpgsqlConnection(cs);
        c.Open();
        using var cmd = new NpgsqlCommand("select pg_terminate_backend($1)", c);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pid });
        Assert.True((bool)cmd.ExecuteScalar()!);
    }

    private static PartitionProgress ReadProgress(string cs, Guid election)
    {
        using var s = PostgresVoteStore.Open(cs, election, 0);
        return s.LoadProgress();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExternalServicesCollection
{
    public const string Name = "external services (PostgreSQL, S3)";
}
