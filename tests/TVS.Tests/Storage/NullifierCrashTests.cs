using System.Diagnostics;
using TVS.Engine.Ports;
using TVS.Storage;
using Xunit.Abstractions;
using Helper = TVS.NullifierCrashHelper.Program;

namespace TVS.Tests.Storage;

/// <summary>
/// A real crash: the writer runs in a child process (tests/TVS.NullifierCrashHelper) that inserts
/// and checkpoints in a loop, and is killed (SIGKILL) at an arbitrary instant: while inserting,
/// during a FASTER checkpoint, or between the checkpoint and the commit file's rename. This
/// proves that the commit file always names a complete checkpoint, that a reopen recovers exactly
/// the inserts that checkpoint covers (nothing past it survives to confuse a replay), and that
/// replaying the input from the covered position re-inserts every later key without a
/// duplicate. It does not prove durability across power loss (the page cache survives a killed
/// process); that rests on fsync of the log pages by FASTER's device and of the commit file here.
/// </summary>
public sealed class NullifierCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Batch = 4000;
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-nullifier-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void KilledWriterRecoversToItsLastCommittedCheckpoint()
    {
        var rng = new Random(11);
        long lastRecovered = 0;
        for (int round = 0; round < 3; round++)
        {
            (long recoveredByChild, long lastPrinted) = RunAndKill(checkpointsBeforeKill: 1 + rng.Next(3), delayMs: rng.Next(60));
            Assert.Equal(lastRecovered, recoveredByChild);
            using FasterNullifierStore store = FasterNullifierStore.Open(_dir, Helper.Options);
            long covered = store.LastCheckpoint.CoveredPosition;
            output.WriteLine($"round {round}: child recovered {recoveredByChild}, printed {lastPrinted}, reopen covers {covered}");
            Assert.True(covered == lastPrinted || covered == lastPrinted + Batch, $"covered {covered}, last printed {lastPrinted}");
            Assert.Equal(covered, store.Count);
            for (long i = 0; i < covered; i++)
            {
                if (!store.TryGet(Helper.KeyOf(i), out long idx) || idx != i)
                {
                    Assert.Fail($"key {i} missing or wrong after recovery");
                }
            }
            for (long i = covered; i < covered + Batch; i++)
            {
                Assert.False(store.TryGet(Helper.KeyOf(i), out _));
            }
            lastRecovered = covered;
        }
    }

    private (long Recovered, long LastCheckpoint) RunAndKill(int checkpointsBeforeKill, int delayMs)
    {
        string helper = Path.Combine(AppContext.BaseDirectory, "TVS.NullifierCrashHelper.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(helper);
        psi.ArgumentList.Add(_dir);
        psi.ArgumentList.Add(Batch.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process p = Process.Start(psi)!;
        // A hung child must not hang the test run: kill it after two minutes whatever happens.
        using var watchdog = new Timer(_ => Kill(p), null, 120_000, Timeout.Infinite);
        long recovered = -1, last = -1;
        int seen = 0;
        try
        {
            while (seen < checkpointsBeforeKill && p.StandardOutput.ReadLine() is { } line)
            {
                seen += Parse(line, ref recovered, ref last) ? 1 : 0;
            }
            if (seen != checkpointsBeforeKill)
            {
                p.WaitForExit();
                Assert.Fail($"helper stopped early: {p.StandardError.ReadToEnd()}");
            }
            Thread.Sleep(delayMs);
        }
        finally
        {
            Kill(p);
        }
        // Lines the child printed before it died are still in the pipe.
        foreach (string line in p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Parse(line, ref recovered, ref last);
        }
        p.WaitForExit();
        return (recovered, last);
    }

    private static void Kill(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    private static bool Parse(string line, ref long recovered, ref long last)
    {
        string[] parts = line.Trim().Split(' ');
        long value = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        switch (parts[0])
        {
            case "RECOVERED":
                recovered = value;
                return false;
            case "CHECKPOINT":
                last = value;
                return true;
            default:
                Assert.Fail($"helper: {line}");
                return false;
        }
    }
}
