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
        string db = "tvs_mig_" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = new NpgsqlConnection(cs))
        {
            admin.Open();
            using var create = new NpgsqlCommand($"create database {db}", admin);
            create.ExecuteNonQuery();
        }
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
            Assert.Equal(citus ? MigrationOutcome.Skipped : MigrationOutcome.NotApplicable, again.Single(r => r.Version == "0002").Outcome);
            _output.WriteLine(citus ? "citus available: distributed schema applied" : "citus not available: plain PostgreSQL schema only");

            using var tables = new NpgsqlCommand("select count(*) from information_schema.tables where table_schema = 'public' and table_name = any($1)", conn);
            tables.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ["elections", "candidates", "trustees", "votes", "nullifiers", "credentials", "partition_progress", "schema_migrations"] });
            Assert.Equal(8L, (long)tables.ExecuteScalar()!);
            using var recorded = new NpgsqlCommand("select count(*) from schema_migrations", conn);
            Assert.Equal(citus ? 2L : 1L, (long)recorded.ExecuteScalar()!);
        }
        finally
        {
            using var admin = new NpgsqlConnection(cs);
            admin.Open();
            using var drop = new NpgsqlCommand($"drop database if exists {db} with (force)", admin);
            drop.ExecuteNonQuery();
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

        // The columns are the record's fields (docs/formats.md "PostgreSQL schema").
        using var c = new NpgsqlConnection(cs);
        c.Open();
        using var cmd = new NpgsqlCommand("""
            select v.nullifier_hash, v.depth, v.merkle_root, v.proof, v.ballot, v.record, n.mmr_index, n.partition
            from votes v join nullifiers n using (nullifier_hash, election_id)
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
        Assert.Equal(250, Count(cs, "nullifiers", election));

        // The next batch goes on from there; a batch of refusals only moves the progress.
        using (var store = PostgresVoteStore.Open(cs, election, 0, mode))
        {
            var next = SyntheticVotes.Batch(election, 0, 250, 50, seed: 3);
            store.Commit(next, ProgressAfter(next));
            var empty = new VoteBatch(election, 0);
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
        Assert.Equal(0, Count(cs, "nullifiers", election));
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
            Assert.Equal(0, Count(cs, "nullifiers", election));
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
