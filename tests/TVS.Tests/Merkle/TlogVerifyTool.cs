using System.Diagnostics;
using Xunit.Abstractions;

namespace TVS.Tests.Merkle;

/// <summary>
/// Builds and runs tools/tlog-verify (Go's golang.org/x/mod/sumdb/note and tlog), the independent
/// checker of checkpoints, proofs, tiled boards and receipts. Without Go it fails under CI=true and
/// is skipped on a developer's machine (tests/run.sh installs Go).
/// </summary>
internal sealed class TlogVerifyTool
{
    private const string XModSource = "/usr/share/gocode/src/golang.org/x/mod";

    private TlogVerifyTool(string exe) => Exe = exe;

    public string Exe { get; }

    /// <summary>Builds the verifier into <paramref name="dir"/>; null (after a note) when Go is missing on a developer's machine.</summary>
    public static TlogVerifyTool? Build(ITestOutputHelper output, string dir)
    {
        string? go = FindGo();
        if (go is null || !Directory.Exists(XModSource))
        {
            string why = go is null ? "go is not installed" : $"{XModSource} is missing (golang-golang-x-mod-dev)";
            Assert.False(ExternalTools.IsCi, $"{why}; CI requires the Go interop check (tests/run.sh installs it)");
            output.WriteLine($"SKIPPED: {why}; install golang-go golang-golang-x-mod-dev to run the Go interop check");
            return null;
        }
        string exe = Path.Combine(dir, "tlog-verify");
        var (exit, stdout, stderr) = Exec(go, Path.Combine(ExternalTools.RepoRoot(), "tools", "tlog-verify"), "build", "-o", exe, ".");
        Assert.True(exit == 0, $"go build failed: {stdout} {stderr}");
        return new TlogVerifyTool(exe);
    }

    /// <summary>Runs the verifier; returns its exit code and output.</summary>
    public (int Exit, string Stdout, string Stderr) Run(params string[] args) => Exec(Exe, null, args);

    private static string? FindGo()
    {
        IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Concat(["/usr/lib/go/bin", "/usr/local/go/bin"]);
        return dirs.Select(d => Path.Combine(d, "go")).FirstOrDefault(File.Exists);
    }

    public static (int Exit, string Stdout, string Stderr) Exec(string file, string? workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workDir is not null)
        {
            psi.WorkingDirectory = workDir;
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // Offline build against the Debian sources (go.mod replace); never download.
        psi.Environment["GOPROXY"] = "off";
        psi.Environment["GOFLAGS"] = "-mod=mod";
        psi.Environment["GO111MODULE"] = "on";
        psi.Environment["GOTOOLCHAIN"] = "local";
        psi.Environment["GOSUMDB"] = "off";
        using Process p = Process.Start(psi)!;
        Task<string> so = p.StandardOutput.ReadToEndAsync();
        Task<string> se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(true);
            Assert.Fail($"{file} timed out");
        }
        return (p.ExitCode, so.Result, se.Result);
    }
}
