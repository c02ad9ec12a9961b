using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Tests.Engine;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

/// <summary>
/// Failover without re-verification (docs/pipeline.md, "Recovery"): an engine whose local state is
/// missing (a new machine, a lost disk) or behind the committed progress (killed between two
/// checkpoints) restores its nullifier set and MMR from PostgreSQL's rows and reads its input from
/// the committed offset: same root and progress, no proof verified again, no row written twice,
/// and the votes after it (duplicates of restored nullifiers among them) get the verdicts of an
/// uninterrupted run.
/// </summary>
[Collection(ExternalServicesCollection.Name)]
public class RestoreTests
{
    private readonly ITestOutputHelper _output;

    public RestoreTests(ITestOutputHelper output) => _output = output;

    private static readonly FasterNullifierStoreOptions SmallFaster = new() { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 };

    private static LoadMix Mix(int seed) => new() { Voters = 1_500, Duplicates = 0.08, BadProofs = 0.03, WrongRoots = 0.01, Malformed = 0.02, Seed = seed };

    /// <summary>Runs an engine over PostgreSQL (everything else local in <paramref name="data"/>) on the input's records before index <paramref name="end"/>.</summary>
    private static PartitionEngine RunOverPostgres(EngineHarness h, string cs, string data, int end)
    {
        using var local = LocalPartition.Open(data, 0, SmallFaster);
        using var log = LocalInputLog.Open(h.InputPath);
        using var input = new LimitedInputLog(log, end < h.Offsets.Length ? h.Offsets[end] : long.MaxValue);
        using var votes = PostgresVoteStore.Open(cs, h.Election.Id, 0);
        var engine = local.CreateEngine(h.Election.CreateOpener(), h.Election.CreateAdmission(), h.Election.Signer, h.Election.Origin(0),
            EngineHarness.SmallOptions with { FlushMaxVotes = 300 }, input, votes);
        engine.Run(CancellationToken.None, stopAtEnd: true);
        return engine;
    }

    [Fact]
    public void A_new_engine_on_an_empty_data_directory_restores_from_PostgreSQL_and_verifies_no_proof_twice()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        using var h = new EngineHarness(Mix(31));
        int cut = h.Offsets.Length * 2 / 3;
        string first = h.DataDir("first");
        var a = RunOverPostgres(h, cs, first, cut);
        var p1 = a.Progress;
        Assert.Equal(h.Offsets[cut], p1.NextOffset);
        Assert.True(a.Stats.ProofsVerified > 0);

        // The machine is lost: a new engine on an empty data directory, same input up to the cut.
        Directory.Delete(first, recursive: true);
        string second = h.DataDir("second");
        var b = RunOverPostgres(h, cs, second, cut);
        _output.WriteLine($"restored {b.Recovery.Restored} votes in {b.Recovery.RestoreTime.TotalMilliseconds:F0} ms; read {b.Stats.Read}, proofs verified {b.Stats.ProofsVerified}");
        Assert.Equal(p1, b.Progress);
        Assert.Equal(p1.MmrSize, b.Recovery.Restored);
        Assert.Equal(p1.MmrSize, b.Stats.VotesRestored);
        Assert.Equal(p1.NextOffset, b.Recovery.ReplayFrom);
        Assert.Equal(0, b.Stats.ProofsVerified);
        Assert.Equal(0, b.Stats.Read);
        Assert.Equal(0, b.Stats.Replayed);
        Assert.Equal(0, b.Stats.Committed);
        AssertRowsOnce(cs, h, p1.MmrSize);

        // Then the rest of the input, on the restored stores: among it, duplicates of restored votes.
        var restoredKeys = new HashSet<string>(h.Load.Records.Take(cut).Where(r => r.Expected == "accepted").Select(r => Convert.ToHexString(r.Key)));
        int duplicatesOfRestored = h.Load.Records.Skip(cut).Count(r => r.Expected == "duplicate" && restoredKeys.Contains(Convert.ToHexString(r.Key)));
        Assert.True(duplicatesOfRestored > 0, "the load has no duplicate of a vote before the cut: change the seed");
        var c = RunOverPostgres(h, cs, second, h.Offsets.Length);
        Assert.Equal(0, c.Recovery.Restored); // its own checkpoint is at the committed progress
        Assert.Equal(h.Offsets.Length - cut, c.Stats.Read);
        Assert.True(c.Stats.ProofsVerified <= h.Offsets.Length - cut);
        Assert.True(c.Stats.RejectionsByReason().GetValueOrDefault("duplicate") >= duplicatesOfRestored);
        _output.WriteLine($"then {c.Stats.Read} new records, {c.Stats.ProofsVerified} proofs verified, {duplicatesOfRestored} duplicates of restored votes refused");
        AssertSameAsUninterrupted(cs, h, c);
    }

    [Fact]
    public void A_local_checkpoint_behind_the_committed_progress_is_brought_forward_from_PostgreSQL()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        using var h = new EngineHarness(Mix(32));
        int cut1 = h.Offsets.Length / 3, cut2 = h.Offsets.Length * 2 / 3;
        string data = h.DataDir();
        var a = RunOverPostgres(h, cs, data, cut1);
        var k = a.Progress;

        // The local stores as they were at that checkpoint; then more is committed: the state a
        // kill -9 between two checkpoints leaves (PostgreSQL ahead of the local checkpoint).
        string saved = h.DataDir("saved");
        CopyDirectory(data, saved);
        var a2 = RunOverPostgres(h, cs, data, cut2);
        var p = a2.Progress;
        Assert.True(p.MmrSize > k.MmrSize);
        Directory.Delete(data, recursive: true);
        Directory.Move(saved, data);

        var b = RunOverPostgres(h, cs, data, cut2);
        _output.WriteLine($"local checkpoint at MMR {k.MmrSize}, committed {p.MmrSize}: restored {b.Recovery.Restored} in {b.Recovery.RestoreTime.TotalMilliseconds:F0} ms");
        Assert.Equal(k.MmrSize, b.Recovery.Committed.MmrSize - b.Recovery.Restored);
        Assert.Equal(p.MmrSize - k.MmrSize, b.Stats.VotesRestored);
        Assert.Equal(p, b.Progress);
        Assert.Equal(0, b.Stats.ProofsVerified);
        Assert.Equal(0, b.Stats.Read);
        Assert.Equal(0, b.Stats.Replayed);
        AssertRowsOnce(cs, h, p.MmrSize);

        var c = RunOverPostgres(h, cs, data, h.Offsets.Length);
        Assert.Equal(h.Offsets.Length - cut2, c.Stats.Read);
        AssertSameAsUninterrupted(cs, h, c);

        // Without history (RestoreFromHistory off), the same state is replayed instead: it verifies proofs again.
        Directory.Delete(data, recursive: true);
        using var local = LocalPartition.Open(data, 0, SmallFaster);
        using var log = LocalInputLog.Open(h.InputPath);
        using var votes = PostgresVoteStore.Open(cs, h.Election.Id, 0);
        var replay = local.CreateEngine(h.Election.CreateOpener(), h.Election.CreateAdmission(), h.Election.Signer, h.Election.Origin(0),
            EngineHarness.SmallOptions with { RestoreFromHistory = false }, log, votes);
        replay.Run(CancellationToken.None, stopAtEnd: true);
        Assert.Equal(c.Progress, replay.Progress);
        Assert.Equal(0, replay.Stats.VotesRestored);
        Assert.Equal(h.Offsets.Length, replay.Stats.Replayed);
        Assert.True(replay.Stats.ProofsVerified > 0);
    }

    [Fact]
    public void A_history_that_does_not_give_the_committed_state_stops_the_restore_with_a_reason()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        using var h = new EngineHarness(new LoadMix { Voters = 300, Seed = 33 });
        var a = RunOverPostgres(h, cs, h.DataDir("a"), h.Offsets.Length);
        Assert.True(a.Progress.MmrSize > 10);

        // A row lost from the database: a gap in the indexes.
        using (var c = new NpgsqlConnection(cs))
        {
            c.Open();
            using var cmd = new NpgsqlCommand("delete from votes where election_id = $1 and partition = 0 and mmr_index = 5", c);
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = h.Election.Id });
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        var e = Assert.Throws<InvalidDataException>(() => RunOverPostgres(h, cs, h.DataDir("b"), h.Offsets.Length));
        Assert.Contains("restore: the vote store holds MMR index 6 where 5 was due: a gap", e.Message);
    }

    /// <summary>The election's rows: exactly the committed MMR size, each index and each nullifier once.</summary>
    private static void AssertRowsOnce(string cs, EngineHarness h, long mmrSize)
    {
        using var c = new NpgsqlConnection(cs);
        c.Open();
        using var cmd = new NpgsqlCommand(
            "select count(*), count(distinct mmr_index), count(distinct nullifier_hash), coalesce(min(mmr_index), 0), coalesce(max(mmr_index), -1) from votes where election_id = $1 and partition = 0", c);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = h.Election.Id });
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(mmrSize, r.GetInt64(0));
        Assert.Equal(mmrSize, r.GetInt64(1));
        Assert.Equal(mmrSize, r.GetInt64(2));
        Assert.Equal(0, r.GetInt64(3));
        Assert.Equal(mmrSize - 1, r.GetInt64(4));
    }

    /// <summary>Progress, root and rows equal the embedded engine's over the whole input in one run.</summary>
    private void AssertSameAsUninterrupted(string cs, EngineHarness h, PartitionEngine engine)
    {
        var reference = h.Run(h.DataDir("reference"));
        Assert.Equal(reference.Progress, engine.Progress);
        Assert.Equal(h.Load.ExpectedRoot(), engine.Progress.MmrRoot);
        var expected = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(h.DataDir("reference"), 0)).ToList();
        using var store = PostgresVoteStore.Open(cs, h.Election.Id, 0);
        var rows = store.ReadAll();
        Assert.Equal(expected.Count, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].MmrIndex, rows[i].MmrIndex);
            Assert.Equal(expected[i].Offset, rows[i].Offset);
            Assert.Equal(expected[i].Record, rows[i].Record);
        }
        AssertRowsOnce(cs, h, engine.Progress.MmrSize);
        _output.WriteLine($"same as the uninterrupted run: {rows.Count} rows, root {engine.Progress.MmrRoot.ToHex()}");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    /// <summary>The records of a log before <paramref name="limit"/> (an offset), reported complete there.</summary>
    private sealed class LimitedInputLog(IInputLog inner, long limit) : IInputLog
    {
        private bool _atLimit;

        public bool IsComplete => _atLimit || inner.IsComplete;

        public void Seek(long offset)
        {
            _atLimit = offset >= limit;
            inner.Seek(offset);
        }

        public bool TryRead(TimeSpan timeout, out InputRecord record)
        {
            if (_atLimit)
            {
                record = default;
                return false;
            }
            if (!inner.TryRead(timeout, out record))
            {
                return false;
            }
            if (record.Offset >= limit)
            {
                _atLimit = true;
                record = default;
                return false;
            }
            return true;
        }

        public void Dispose()
        {
        }
    }
}
