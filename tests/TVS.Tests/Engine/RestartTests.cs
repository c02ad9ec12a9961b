using System.Diagnostics;
using System.Text.Json.Nodes;
using TVS.LoadGen;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests.Engine;

/// <summary>
/// docs/design.md "Durability and recovery": stopped or killed at any moment and started again, the
/// engine loses no vote, counts none twice, and ends with the same root as an uninterrupted run.
/// </summary>
public class RestartTests
{
    private readonly ITestOutputHelper _output;

    public RestartTests(ITestOutputHelper output) => _output = output;

    private static LoadMix Mix(int seed) => new() { Voters = 2_500, Duplicates = 0.05, BadProofs = 0.05, WrongRoots = 0.01, Malformed = 0.02, Seed = seed };

    [Fact]
    public void Graceful_stops_mid_run_then_restart_reach_the_uninterrupted_outcome()
    {
        using var h = new EngineHarness(Mix(21));
        string data = h.DataDir();
        for (int round = 0; round < 3; round++)
        {
            using var stop = new CancellationTokenSource();
            long durable = ProgressOffset(data);
            long target = h.Offsets.Count(o => o < durable) + 400;
            // Stop once this many records are durable (the engine drains and syncs before returning).
            var watcher = new Thread(() =>
            {
                while (!stop.IsCancellationRequested && ProgressOffset(data) < h.Offsets[Math.Min(target, h.Offsets.Length - 1)])
                {
                    Thread.Sleep(5);
                }
                stop.Cancel();
            });
            watcher.Start();
            // A small ring, so that a stop drains little beyond the target and every round has work.
            var engine = h.Run(data, EngineHarness.SmallOptions with { RingSize = 128, VerifyMaxBatch = 16 }, stop.Token);
            stop.Cancel();
            watcher.Join();
            _output.WriteLine($"round {round}: resumed at {engine.Recovery.ReplayFrom}, committed before {engine.Recovery.Committed.NextOffset}, durable now {engine.Progress.NextOffset}");
        }
        var last = h.Run(data);
        Assert.Equal(h.Load.Records.Count, last.Progress.Accepted + last.Progress.Rejected);
        EndToEndTests.AssertOutcome(h, data, _output);
    }

    [Fact]
    public void Hard_kills_of_the_engine_process_lose_and_double_nothing()
    {
        using var h = new EngineHarness(Mix(22));
        string data = h.DataDir();
        var rng = new Random(5);
        int kills = 0;
        for (int round = 0; round < 4; round++)
        {
            // Kill -9 at a random moment after some progress: mid-batch, mid-checkpoint, mid-fsync.
            long before = ProgressOffset(data);
            using var p = StartEngineProcess(h, data);
            using var watchdog = new Timer(_ => Kill(p), null, 180_000, Timeout.Infinite);
            var sw = Stopwatch.StartNew();
            while (!p.HasExited && ProgressOffset(data) <= before && sw.Elapsed < TimeSpan.FromSeconds(150))
            {
                Thread.Sleep(10);
            }
            Thread.Sleep(rng.Next(0, 400));
            if (!p.HasExited)
            {
                Kill(p);
                kills++;
            }
            p.WaitForExit();
            _output.WriteLine($"round {round}: durable offset {before} -> {ProgressOffset(data)} (killed: {p.ExitCode != 0})");
            if (p.ExitCode == 0)
            {
                break; // it finished the input before the kill
            }
        }
        Assert.True(kills > 0, "the engine finished before any kill: make the load larger");
        var last = h.Run(data);
        _output.WriteLine($"final run: resumed at {last.Recovery.ReplayFrom}, committed before {last.Recovery.Committed.NextOffset}, restored {last.Recovery.Restored} votes from the vote file, re-derived {last.Stats.Replayed} records without writing them");
        Assert.Equal(h.Load.Records.Count, last.Progress.Accepted + last.Progress.Rejected);
        // A nullifier checkpoint left behind by the kill is brought forward from the committed votes
        // (docs/pipeline.md, "Recovery"): nothing before the committed offset is read or verified again.
        Assert.Equal(last.Recovery.Committed.NextOffset, last.Recovery.ReplayFrom);
        Assert.Equal(0, last.Stats.Replayed);
        EndToEndTests.AssertOutcome(h, data, _output);
    }

    [Fact]
    public void A_restart_refuses_stores_that_do_not_belong_together()
    {
        using var h = new EngineHarness(new LoadMix { Voters = 200, Seed = 23 });
        string data = h.DataDir();
        h.Run(data);

        // A corrupted MMR node file: its root no longer matches the committed progress.
        string mmr = LocalPartition.MmrFile(data, 0);
        var bytes = File.ReadAllBytes(mmr);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(mmr, bytes);
        var e = Assert.Throws<InvalidDataException>(() => h.Run(data));
        Assert.Contains("MMR", e.Message);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(mmr, bytes);

        // Progress from another run (fewer votes than the nullifier checkpoint holds).
        string progress = Path.Combine(LocalPartition.VotesDirectory(data, 0), LocalVoteStore.ProgressFile);
        var saved = File.ReadAllText(progress);
        var node = JsonNode.Parse(saved)!;
        node["mmrSize"] = 3;
        node["nextOffset"] = 100;
        File.WriteAllText(progress, node.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => h.Run(data));
        Assert.Contains("ahead of the committed progress", e.Message);
        File.WriteAllText(progress, saved);

        // Put back, it runs (nothing new to do) and the outcome is intact.
        h.Run(data);
        EndToEndTests.AssertOutcome(h, data, _output);
    }

    private static long ProgressOffset(string data)
    {
        string path = Path.Combine(LocalPartition.VotesDirectory(data, 0), LocalVoteStore.ProgressFile);
        try
        {
            return File.Exists(path) ? (long)JsonNode.Parse(File.ReadAllText(path))!["nextOffset"]! : 0;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return 0; // being replaced right now
        }
    }

    private static Process StartEngineProcess(EngineHarness h, string data)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tvs.dll"));
        psi.ArgumentList.Add("engine");
        psi.ArgumentList.Add("run");
        psi.Environment["TVS_Engine__Mode"] = "test";
        psi.Environment["TVS_Engine__Election"] = h.Election.Directory;
        psi.Environment["TVS_Engine__Data"] = data;
        psi.Environment["TVS_Engine__Input"] = h.InputPath;
        psi.Environment["TVS_Engine__StopAtEnd"] = "true";
        psi.Environment["TVS_Engine__VerifyThreads"] = "2";
        psi.Environment["TVS_Engine__FlushMaxVotes"] = "300";
        psi.Environment["TVS_Engine__CheckpointEveryRecords"] = "700";
        psi.Environment["TVS_Engine__RingSize"] = "512";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
