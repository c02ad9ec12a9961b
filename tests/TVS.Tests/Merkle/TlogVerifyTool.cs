using System.Diagnostics;
using Xunit.Abstractions;

namespace TVS.Tests.Merkle;

/// <summary>
/// tools/tlog-verify (Go: golang.org/x/mod sumdb/note and tlog), built once per test process
/// offline against Debian's x/mod sources. Without Go a test using it fails under CI=true and is
/// skipped (returns after a message) on a developer's machine; tests/run.sh installs Go.
/// </summary>
internal static class TlogVerifyTool
{
    private const string XModSource = "/usr/share/gocode/src/golang.org/x/mod";
    private static readonly object Gate = new();
    private static string? _exe;

    /// <summary>The built tool, or null (after saying why) when Go is missing outside CI.</summary>
    public static string? Get(ITestOutputHelper output)
    {
        string? go = new[] { Environment.GetEnvironmentVariable("PATH") ?? "" }
            .SelectMany(p => p.Split(Path.PathSeparator)).Concat(["/usr/lib/go/bin", "/usr/local/go/bin"])
            .Select(d => Path.Combine(d, "go")).FirstOrDefault(File.Exists);
        if (go is null || !Directory.Exists(XModSource))
        {
            string why = go is null ? "go is not installed" : $"{XModSource} is missing (golang-golang-x-mod-dev)";
            Assert.False(ExternalTools.IsCi, $"{why}; CI requires the Go interop check (tests/run.sh installs it)");
            output.WriteLine($"SKIPPED: {why}");
            return null;
        }
        lock (Gate)
        {
            if (_exe is not null && File.Exists(_exe))
            {
                return _exe;
            }
            string dir = Directory.CreateTempSubdirectory("tvs-tlog-verify-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    Directory.Delete(dir, true);
                }
                catch (IOException)
                {
                }
            };
            string exe = Path.Combine(dir, "tlog-verify");
            var (exit, stdout, stderr) = Run(go, Path.Combine(ExternalTools.RepoRoot(), "tools", "tlog-verify"), "build", "-o", exe, ".");
            Assert.True(exit == 0, $"go build failed: {stdout} {stderr}");
            _exe = exe;
            return exe;
        }
    }

    /// <summary>Runs <paramref name="file"/> with Go's offline settings; (exit, stdout, stderr).</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir,
        };
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
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(true);
            Assert.Fail($"{file} {string.Join(' ', args)} timed out");
        }
        return (p.ExitCode, so.Result, se.Result);
    }
}
