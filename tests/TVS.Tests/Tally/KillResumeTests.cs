using System.Diagnostics;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;
using Xunit;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>A demo election, closed, whose board the kill tests decrypt and tally from.</summary>
public sealed class KillResumeFixture : IDisposable
{
    public KillResumeFixture()
    {
        Root = Directory.CreateTempSubdirectory("tvs-kill-resume-").FullName;
        var demo = KillResumeTests.Tvs(Root, TimeSpan.FromMinutes(10), "demo", "--voters", "4000", "--dir", Demo, "--no-baseline", "--json");
        Assert.True(demo.Exit == 0, demo.Output);
    }

    public string Root { get; }
    public string Demo => Path.Combine(Root, "demo");
    public string Election => Path.Combine(Demo, "election");
    public string Board => Path.Combine(Demo, "board");
    public string Trustee(int j) => Path.Combine(Demo, "trustees", ShareChunk.TrusteeDirectory(j));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// kill -9 in the middle of <c>tvs trustee decrypt</c> and <c>tvs tally</c>, then the same
/// command again: it resumes from the finished ranges and its output equals an uninterrupted
/// run's (issue 14, "resumable"). The commands run as child processes, killed with SIGKILL.
/// </summary>
public sealed class KillResumeTests(KillResumeFixture f, ITestOutputHelper output) : IClassFixture<KillResumeFixture>
{
    private const int Chunk = 16;

    internal static (int Exit, string Output) Tvs(string workDir, TimeSpan timeout, params string[] args)
    {
        using var p = Start(workDir, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tvs {string.Join(' ', args)} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static Process Start(string workDir, string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tvs.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    /// <summary>
    /// Starts the command, waits until <paramref name="started"/> says it finished part of its work,
    /// and kills it (SIGKILL). Returns false if it finished before it could be killed.
    /// </summary>
    private bool KillMidway(string[] args, Func<bool> started)
    {
        using var p = Start(f.Root, args);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!started() && !p.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            Thread.Sleep(5);
        }
        if (p.HasExited)
        {
            return false;
        }
        p.Kill(entireProcessTree: true); // SIGKILL: no finally block, no flush
        p.WaitForExit();
        output.WriteLine($"killed tvs {string.Join(' ', args)} after {deadline.Elapsed.TotalSeconds:F2} s");
        return true;
    }

    private string[] DecryptArgs(int trustee, string outDir) =>
    [
        "trustee", "decrypt", "--election", f.Election, "--board", f.Board, "--share", Path.Combine(f.Trustee(trustee), "share.key"),
        "--passphrase-file", Path.Combine(f.Trustee(trustee), "passphrase"), "--out", outDir, "--chunk", Chunk.ToString(System.Globalization.CultureInfo.InvariantCulture), "--threads", "1",
    ];

    private static int Files(string dir) => Directory.Exists(dir) ? Directory.GetFiles(dir, "*" + ShareChunk.Extension).Length : 0;

    /// <summary>The D_i of every ballot in a trustee's files (the DLEQ proofs are randomized; the shares themselves are not).</summary>
    private static List<byte[]> Shares(string dir)
    {
        var all = new List<byte[]>();
        foreach (var path in Directory.GetFiles(dir, "*" + ShareChunk.Extension).Order(StringComparer.Ordinal))
        {
            var chunk = ShareChunk.TryDecode(File.ReadAllBytes(path), out var why);
            Assert.True(chunk != null, $"{path}: {why}");
            for (int k = 0; k < chunk!.Count; k++)
            {
                all.Add(chunk.ShareBytes(k)[..32].ToArray());
            }
        }
        return all;
    }

    [Fact]
    public void Decrypt_killed_midway_resumes_and_gives_the_shares_of_an_uninterrupted_run()
    {
        string clean = Path.Combine(f.Root, "decrypt-clean");
        var full = Tvs(f.Root, TimeSpan.FromMinutes(10), DecryptArgs(3, clean));
        Assert.True(full.Exit == 0, full.Output);
        int total = Files(Path.Combine(clean, ShareChunk.TrusteeDirectory(3)));
        Assert.True(total > 100, $"{total} files");

        string killed = null!;
        bool wasKilled = false;
        for (int attempt = 0; attempt < 3 && !wasKilled; attempt++)
        {
            killed = Path.Combine(f.Root, $"decrypt-killed-{attempt}");
            string dir = Path.Combine(killed, ShareChunk.TrusteeDirectory(3));
            wasKilled = KillMidway(DecryptArgs(3, killed), () => Files(dir) >= 2);
        }
        Assert.True(wasKilled, "decrypt finished three times before it could be killed");
        string mine = Path.Combine(killed, ShareChunk.TrusteeDirectory(3));
        int before = Files(mine);
        Assert.InRange(before, 2, total - 1);

        var resumed = Tvs(f.Root, TimeSpan.FromMinutes(10), DecryptArgs(3, killed));
        Assert.True(resumed.Exit == 0, resumed.Output);
        output.WriteLine(resumed.Output);
        Assert.Contains($"{total - before} shares file(s) written, {before} already present and intact", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(Shares(Path.Combine(clean, ShareChunk.TrusteeDirectory(3))), Shares(mine));
    }

    [Fact]
    public void Tally_killed_midway_resumes_and_gives_the_result_of_an_uninterrupted_run()
    {
        string shares = Path.Combine(f.Root, "tally-shares");
        foreach (int j in new[] { 1, 4, 5, 7, 9 })
        {
            var d = Tvs(f.Root, TimeSpan.FromMinutes(10), DecryptArgs(j, shares));
            Assert.True(d.Exit == 0, d.Output);
        }
        string[] TallyArgs(string outDir) => ["tally", "--election", f.Election, "--board", f.Board, "--shares", shares, "--out", outDir, "--threads", "1"];
        string clean = Path.Combine(f.Root, "tally-clean");
        var full = Tvs(f.Root, TimeSpan.FromMinutes(10), TallyArgs(clean));
        Assert.True(full.Exit == 0, full.Output);

        string killed = null!;
        bool wasKilled = false;
        for (int attempt = 0; attempt < 3 && !wasKilled; attempt++)
        {
            killed = Path.Combine(f.Root, $"tally-killed-{attempt}");
            string work = Path.Combine(killed, Tallier.WorkDirectory);
            wasKilled = KillMidway(TallyArgs(killed), () => Directory.Exists(work) && Directory.GetFiles(work, "*.json").Length >= 2);
        }
        Assert.True(wasKilled, "the tally finished three times before it could be killed");
        Assert.False(File.Exists(Path.Combine(killed, TallyResult.FileName)));
        int kept = Directory.GetFiles(Path.Combine(killed, Tallier.WorkDirectory), "*.json").Length;
        output.WriteLine($"{kept} range(s) kept at the kill");

        var resumed = Tvs(f.Root, TimeSpan.FromMinutes(10), TallyArgs(killed));
        Assert.True(resumed.Exit == 0, resumed.Output);
        Assert.Equal(File.ReadAllText(Path.Combine(clean, TallyResult.FileName)), File.ReadAllText(Path.Combine(killed, TallyResult.FileName)));
        Assert.False(Directory.Exists(Path.Combine(killed, Tallier.WorkDirectory)));

        // A kept range that does not read as one (damaged, or of other contests) is tallied again.
        string stale = Path.Combine(f.Root, "tally-stale");
        Assert.True(KillMidway(TallyArgs(stale), () => Directory.Exists(Path.Combine(stale, Tallier.WorkDirectory)) && Directory.GetFiles(Path.Combine(stale, Tallier.WorkDirectory), "*.json").Length >= 1)
            || File.Exists(Path.Combine(stale, TallyResult.FileName)));
        foreach (var kept1 in Directory.Exists(Path.Combine(stale, Tallier.WorkDirectory)) ? Directory.GetFiles(Path.Combine(stale, Tallier.WorkDirectory)) : [])
        {
            File.WriteAllText(kept1, """{"counts":[[999999]],"spoiled":[]}""");
        }
        var again = Tvs(f.Root, TimeSpan.FromMinutes(10), TallyArgs(stale));
        Assert.True(again.Exit == 0, again.Output);
        Assert.Equal(File.ReadAllText(Path.Combine(clean, TallyResult.FileName)), File.ReadAllText(Path.Combine(stale, TallyResult.FileName)));
    }
}
