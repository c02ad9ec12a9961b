using Xunit.Abstractions;

namespace TVS.Tests.Groth16;

/// <summary>
/// Runs snarkjs 0.7.6 itself over every committed fixture case (tools/circuits/check.mjs), so the
/// "snarkjs" verdicts that SnarkjsFixtureTests compares against are snarkjs' own, today.
/// </summary>
public class SnarkjsLiveTests(ITestOutputHelper output)
{
    [Fact]
    public void RecordedSnarkjsVerdictsReproduce()
    {
        if (!ExternalTools.NodePackage("circuits", "snarkjs", output, out var dir)) return;
        var (code, stdout, stderr) = ExternalTools.Run("node", "check.mjs", dir, TimeSpan.FromMinutes(10));
        output.WriteLine(stdout);
        Assert.True(code == 0, $"check.mjs failed ({code}):\n{stdout}\n{stderr}");
    }
}
