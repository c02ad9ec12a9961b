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

    [Fact]
    public void Tvs_engine_run_over_a_local_log_with_Postgres_and_S3_settings_restores_a_deleted_data_directory()
    {
        if (!TestServices.Postgres(_output, out string cs) || !TestServices.S3(_output, out var s3))
        {
            return;
        }
        using var h = new EngineHarness(Mix(34));
        string data = h.DataDir();
        var env = new Dictionary<string, string>
        {
            ["TVS_Engine__Postgres"] = cs,
            ["TVS_Engine__S3Bucket"] = s3.Bucket,
            ["TVS_Engine__S3Endpoint"] = s3.ServiceUrl!,
            ["TVS_Engine__S3AccessKey"] = s3.AccessKey!,
            ["TVS_Engine__S3SecretKey"] = s3.SecretKey!,
        };
        // kill -9 once something is committed in PostgreSQL, then lose the data directory.
        long killedAt;
        using (var p = StartEngine(h, data, env, json: false))
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!p.HasExited && CommittedOffset(cs, h) < h.Offsets[h.Offsets.Length / 3] && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            Assert.False(p.HasExited, "the engine finished before the kill: make the load larger");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Thread.Sleep(500);
        killedAt = CommittedOffset(cs, h);
        Directory.Delete(data, recursive: true);

        var output = new System.Text.StringBuilder();
        var errors = new System.Text.StringBuilder();
        using (var p = StartEngine(h, data, env, json: true, output, errors))
        {
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)));
            p.WaitForExit(); // and the output's end
            string stdout = output.ToString(), stderr = errors.ToString();
            Assert.True(p.ExitCode == 0, stderr);
            _output.WriteLine(stderr);
            var summary = System.Text.Json.Nodes.JsonNode.Parse(stdout)!;
            Assert.Equal(killedAt, (long)summary["ResumedFromOffset"]!);
            Assert.Equal((long)summary["MmrSize"]! - (long)summary["Accepted"]!, (long)summary["Restored"]!);
            Assert.True((long)summary["Restored"]! > 0);
            Assert.Equal(0, (long)summary["Replayed"]!);
            Assert.Contains("no proof verified again", stderr, StringComparison.Ordinal);
            Assert.Contains("votes to PostgreSQL, batch objects to S3 bucket", stderr, StringComparison.Ordinal);
        }
        using var store = PostgresVoteStore.Open(cs, h.Election.Id, 0);
        var reference = h.Run(h.DataDir("reference"));
        Assert.Equal(reference.Progress, store.LoadProgress());
        AssertRowsOnce(cs, h, reference.Progress.MmrSize);
        using var reader = new TVS.Storage.S3.S3BlobSink(s3);
        Assert.NotEmpty(reader.ListKeys($"elections/{h.Election.Id:D}/p0/"));
    }

    private static long CommittedOffset(string cs, EngineHarness h)
    {
        try
        {
            using var store = PostgresVoteStore.Open(cs, h.Election.Id, 0);
            return store.LoadProgress().NextOffset;
        }
        catch (NpgsqlException)
        {
            return 0;
        }
    }

    private static System.Diagnostics.Process StartEngine(EngineHarness h, string data, Dictionary<string, string> env, bool json,
        System.Text.StringBuilder? output = null, System.Text.StringBuilder? errors = null)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
        var psi = new System.Diagnostics.ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tvs.dll"));
        psi.ArgumentList.Add("engine");
        psi.ArgumentList.Add("run");
        if (json)
        {
            psi.ArgumentList.Add("--json");
        }
        psi.Environment["TVS_Engine__Mode"] = "test";
        psi.Environment["TVS_Engine__Election"] = h.Election.Directory;
        psi.Environment["TVS_Engine__Data"] = data;
        psi.Environment["TVS_Engine__Input"] = h.InputPath;
        psi.Environment["TVS_Engine__StopAtEnd"] = "true";
        psi.Environment["TVS_Engine__VerifyThreads"] = "2";
        psi.Environment["TVS_Engine__FlushMaxVotes"] = "200";
        psi.Environment["TVS_Engine__CheckpointEveryRecords"] = "100000";
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        var p = System.Diagnostics.Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => Append(output, e.Data);
        p.ErrorDataReceived += (_, e) => Append(errors, e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Append(System.Text.StringBuilder? to, string? line)
    {
        if (to != null && line != null)
        {
            lock (to)
            {
                to.AppendLine(line);
            }
        }
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
