using System.Diagnostics;
using Xunit.Abstractions;

namespace TVS.Tests;

/// <summary>
/// Tests that check TVS against an independent implementation run an outside program (node,
/// go). Under CI=true a missing program is a failure (tests/run.sh installs them); on a
/// developer's machine the test returns early and says why.
/// </summary>
internal static class ExternalTools
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "TVS.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("TVS.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>True when node runs and <paramref name="package"/> is installed under tools/<paramref name="tool"/>.</summary>
    public static bool NodePackage(string tool, string package, ITestOutputHelper output, out string toolDir)
    {
        toolDir = Path.Combine(RepoRoot(), "tools", tool);
        string? why = Directory.Exists(Path.Combine(toolDir, "node_modules", package))
            ? (Run("node", "--version", toolDir, TimeSpan.FromSeconds(20)).ExitCode == 0 ? null : "node --version failed")
            : $"tools/{tool}/node_modules/{package} is missing (run npm ci in tools/{tool})";
        if (why is null) return true;
        Assert.False(IsCi, why + "; CI requires this check (tests/run.sh installs it)");
        output.WriteLine("SKIPPED (not CI): " + why);
        return false;
    }

    /// <summary>True when node runs (scripts that need only node's built-in modules).</summary>
    public static bool Node(ITestOutputHelper output)
    {
        if (Run("node", "--version", RepoRoot(), TimeSpan.FromSeconds(20)).ExitCode == 0) return true;
        const string why = "node is not installed";
        Assert.False(IsCi, why + "; CI requires this check (tests/run.sh installs it)");
        output.WriteLine("SKIPPED (not CI): " + why);
        return false;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, string args, string workingDirectory, TimeSpan timeout)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                return (-1, stdout.Result, "timed out after " + timeout);
            }
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
