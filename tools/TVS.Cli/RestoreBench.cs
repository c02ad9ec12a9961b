using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Storage.Postgres;

namespace TVS.Cli;

/// <summary>
/// <c>tvs dev restore-bench</c>: how long a partition engine with no local state takes to restore
/// N accepted votes from PostgreSQL (docs/PERFORMANCE.md, "Restore from PostgreSQL"). Fills one
/// partition of a throwaway simulated election with N synthetic, structurally valid v1 records
/// (random fields, the nullifier at its offset; a restore needs only nullifier and record) and
/// the matching progress through the production commit path, then times the real recovery of a
/// <see cref="PartitionEngine"/> on an empty data directory (FASTER, MMR node file, nullifier
/// checkpoint on local disk) for each read mode, and the read alone.
/// </summary>
public static class RestoreBench
{
    public static Command Build()
    {
        var cmd = new Command("restore-bench", "Time an engine's restore of N accepted votes from PostgreSQL onto an empty data directory (synthetic rows of a throwaway election, deleted afterwards)");
        var pg = new Option<string>("--pg") { Description = "Npgsql connection string of a migrated database (tvs db migrate)", Required = true };
        var votes = new Option<int>("--votes") { Description = "accepted votes in the partition", DefaultValueFactory = _ => 100_000 };
        var ballot = new Option<int>("--ballot-bytes") { Description = "ballot size of each record (v1: 347 + ballot bytes)", DefaultValueFactory = _ => 160 };
        var modes = new Option<string>("--modes") { Description = "read modes to time, comma-separated: query (the default reader), copy", DefaultValueFactory = _ => "query,copy" };
        var rounds = new Option<int>("--rounds") { Description = "restores per mode", DefaultValueFactory = _ => 1 };
        var work = new Option<DirectoryInfo?>("--work") { Description = "directory for the election and the data directories (default: a temp directory, deleted)" };
        var keep = new Option<bool>("--keep-rows") { Description = "leave the rows in the database" };
        var json = new Option<bool>("--json") { Description = "print the results as JSON" };
        foreach (var o in new Option[] { pg, votes, ballot, modes, rounds, work, keep, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Run(r.GetValue(pg)!, Math.Max(1, r.GetValue(votes)), r.GetValue(ballot), r.GetValue(modes)!, Math.Max(1, r.GetValue(rounds)),
            r.GetValue(work)?.FullName, r.GetValue(keep), r.GetValue(json)));
        return cmd;
    }

    private sealed record Result(string Mode, string What, long Votes, double Seconds, double VotesPerSecond, long AllocatedBytes, long PeakWorkingSetBytes);

    private static int Run(string cs, int n, int ballotBytes, string modes, int rounds, string? work, bool keep, bool json)
    {
        string root = work ?? Path.Combine(Path.GetTempPath(), "tvs-restore-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var results = new List<Result>();
        void Log(string line) => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");
        try
        {
            using var election = ElectionSetup.CreateSimulated(Path.Combine(root, "election-" + Guid.NewGuid().ToString("N")[..8]));
            using var dataSource = PostgresVoteStore.CreateDataSource(cs);
            var sw = Stopwatch.StartNew();
            var progress = Fill(dataSource, election.Id, n, ballotBytes);
            double fill = sw.Elapsed.TotalSeconds;
            Log($"filled {n:N0} rows ({347 + ballotBytes}-byte records) of election {election.Id} p0 in {fill:F1} s ({n / fill:N0} rows/s); MMR root {progress.MmrRoot.ToHex()}");
            using (var c = dataSource.OpenConnection())
            {
                using (var analyze = new NpgsqlCommand("analyze votes", c))
                {
                    analyze.ExecuteNonQuery();
                }
                using var explain = new NpgsqlCommand($"explain select mmr_index, nullifier_hash, record from votes where election_id = '{election.Id:D}' and partition = 0 and mmr_index >= 0 and mmr_index < {n} order by mmr_index", c);
                using var reader = explain.ExecuteReader();
                while (reader.Read())
                {
                    Log("plan: " + reader.GetString(0));
                }
            }
            foreach (string m in modes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var mode = Enum.Parse<PostgresHistoryRead>(m, ignoreCase: true);
                for (int round = 0; round < rounds; round++)
                {
                    results.Add(ReadOnly(dataSource, election.Id, n, mode));
                    Log($"{m}: read alone {results[^1].Seconds:F1} s ({results[^1].VotesPerSecond:N0} rows/s, {results[^1].AllocatedBytes / (double)n:F0} bytes allocated per row)");
                    results.Add(Restore(dataSource, election, Path.Combine(root, $"data-{results.Count}"), n, mode, progress));
                    Log($"{m}: restore {results[^1].Seconds:F1} s ({results[^1].VotesPerSecond:N0} votes/s, {results[^1].AllocatedBytes / (double)n:F0} bytes allocated per vote, peak working set {results[^1].PeakWorkingSetBytes >> 20} MiB)");
                }
            }
            if (!keep)
            {
                sw.Restart();
                using var c = dataSource.OpenConnection();
                foreach (string table in new[] { "votes", "nullifiers", "partition_progress" })
                {
                    try
                    {
                        using var del = new NpgsqlCommand($"delete from {table} where election_id = $1", c) { CommandTimeout = 0 };
                        del.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election.Id });
                        del.ExecuteNonQuery();
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                    {
                        // nullifiers may be gone (a later schema): nothing to delete.
                    }
                }
                Log($"rows deleted in {sw.Elapsed.TotalSeconds:F1} s");
            }
        }
        finally
        {
            if (work is null)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var r in results)
            {
                Console.Out.WriteLine($"{r.Mode,-6} {r.What,-8} {r.Votes,10:N0} votes {r.Seconds,8:F1} s {r.VotesPerSecond,10:N0}/s  {r.AllocatedBytes / (double)r.Votes,6:F0} B/vote allocated  peak WS {r.PeakWorkingSetBytes >> 20} MiB");
            }
        }
        return ExitCodes.Ok;
    }

    /// <summary>N synthetic accepted votes through the production commit path, in batches of 16,384; returns the final progress.</summary>
    private static PartitionProgress Fill(NpgsqlDataSource dataSource, Guid election, int n, int ballotBytes)
    {
        using var store = new PostgresVoteStore(dataSource, election, 0);
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        var batch = new VoteBatch(election, 0);
        var rng = new Random(1);
        var record = new byte[347 + ballotBytes];
        var progress = PartitionProgress.Empty;
        for (long i = 0; i < n;)
        {
            batch.Clear();
            for (int k = 0; k < 16_384 && i < n; k++, i++)
            {
                rng.NextBytes(record);
                "TVSV"u8.CopyTo(record);
                record[4] = 1;
                record[5] = 0;
                election.TryWriteBytes(record.AsSpan(6, 16), bigEndian: true, out _);
                record[22] = 20;
                record[55] &= 0x1f; // a nullifier below the BN254 scalar modulus, as a real one is
                BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(343), ballotBytes);
                var leaf = Rfc9162.HashLeaf(record);
                mmr.AppendLeafHash(leaf);
                batch.AddAccepted(i, i, record, leaf, 0);
            }
            progress = new PartitionProgress(i, mmr.LeafCount, mmr.Root, mmr.LeafCount, 0);
            store.Commit(batch, progress);
        }
        return progress;
    }

    private static Result ReadOnly(NpgsqlDataSource dataSource, Guid election, int n, PostgresHistoryRead mode)
    {
        var store = new PostgresVoteStore(dataSource, election, 0) { HistoryRead = mode };
        long bytes = 0;
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        long rows = store.ReadHistory(0, n, (_, _, record) => bytes += record.Length);
        double seconds = sw.Elapsed.TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        if (rows != n)
        {
            throw new InvalidOperationException($"read {rows} rows of {n}");
        }
        return new Result(mode.ToString().ToLowerInvariant(), "read", n, Math.Round(seconds, 2), Math.Round(n / seconds), allocated, Process.GetCurrentProcess().PeakWorkingSet64);
    }

    /// <summary>A partition engine on an empty data directory over the filled rows: its recovery restores them, then it stops (no input).</summary>
    private static Result Restore(NpgsqlDataSource dataSource, ElectionSetup election, string data, int n, PostgresHistoryRead mode, PartitionProgress expected)
    {
        using var local = LocalPartition.Open(data, 0, FasterNullifierStoreOptions.ForExpectedKeys(n));
        using var votes = new PostgresVoteStore(dataSource, election.Id, 0) { HistoryRead = mode };
        using var input = new NoInput();
        var engine = local.CreateEngine(election.CreateOpener(), election.CreateAdmission(), election.Signer, election.Origin(0),
            new EngineOptions { VerifyThreads = 1 }, input, votes);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        engine.Run(CancellationToken.None, stopAtEnd: true);
        sw.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        if (engine.Recovery.Restored != n || engine.Progress != expected || engine.Stats.ProofsVerified != 0)
        {
            throw new InvalidOperationException($"restored {engine.Recovery.Restored} of {n}, progress {engine.Progress} (expected {expected}), {engine.Stats.ProofsVerified} proofs verified");
        }
        // The restore itself (engine.Recovery.RestoreTime) is what the table reports; the rest of Run is
        // the pipeline's start and its closing Sync (a signed checkpoint), a few milliseconds.
        double seconds = engine.Recovery.RestoreTime.TotalSeconds;
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {mode}: engine run {sw.Elapsed.TotalSeconds:F1} s of which restore {seconds:F1} s");
        return new Result(mode.ToString().ToLowerInvariant(), "restore", n, Math.Round(seconds, 2), Math.Round(n / seconds), allocated, Process.GetCurrentProcess().PeakWorkingSet64);
    }

    /// <summary>An input with nothing in it, complete: the engine stops after its recovery.</summary>
    private sealed class NoInput : IInputLog
    {
        public bool IsComplete => true;

        public void Seek(long offset)
        {
        }

        public bool TryRead(TimeSpan timeout, out InputRecord record)
        {
            record = default;
            return false;
        }

        public void Dispose()
        {
        }
    }
}
