using TVS.Cli;

namespace TVS.Tests;

/// <summary>tvs zk verify: verdict lines and exit codes as snarkjs groth16 verify (0 valid, 1 invalid, 2 unreadable).</summary>
public class CliZkTests
{
    private static string Set(string name) => Path.Combine(Groth16.SnarkjsFixtureTests.FixtureRoot(), name);

    [Fact]
    public void SingleProofVerdictsAndExitCodes()
    {
        var dir = Set("semaphore-d10");
        var vk = new FileInfo(Path.Combine(dir, "verification_key.json"));
        var ok = new StringWriter();
        Assert.Equal(ExitCodes.Ok, ZkCommands.VerifyOne(vk, new FileInfo(Path.Combine(dir, "valid", "proof_000.json")), new FileInfo(Path.Combine(dir, "valid", "public_000.json")), ok));
        Assert.Equal("OK", ok.ToString().Trim());

        var bad = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifyOne(vk, new FileInfo(Path.Combine(dir, "valid", "proof_000.json")), new FileInfo(Path.Combine(dir, "valid", "public_001.json")), bad));
        Assert.StartsWith("INVALID: pairing check failed", bad.ToString().Trim());

        Assert.Equal(ExitCodes.Unusable, ZkCommands.VerifyOne(new FileInfo(Path.Combine(dir, "no-such.json")), new FileInfo(Path.Combine(dir, "valid", "proof_000.json")), new FileInfo(Path.Combine(dir, "valid", "public_000.json")), new StringWriter()));
    }

    [Fact]
    public void ListVerificationSingleAndBatchAgree()
    {
        var dir = Set("semaphore-d4");
        var tmp = Directory.CreateTempSubdirectory("tvs-list-");
        try
        {
            // the valid list plus two bad lines: a proof checked against another's signals, and a missing file
            var lines = File.ReadAllLines(Path.Combine(dir, "list.txt")).Select(l => string.Join(' ', l.Split(' ').Select(p => Path.Combine(dir, p)))).ToList();
            lines.Add($"{Path.Combine(dir, "valid", "proof_000.json")} {Path.Combine(dir, "valid", "public_001.json")}");
            lines.Add($"{Path.Combine(dir, "valid", "missing.json")} {Path.Combine(dir, "valid", "public_001.json")}");
            var list = new FileInfo(Path.Combine(tmp.FullName, "list.txt"));
            File.WriteAllLines(list.FullName, lines);
            var vk = new FileInfo(Path.Combine(dir, "verification_key.json"));
            foreach (bool batch in new[] { false, true })
            {
                var output = new StringWriter();
                Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifyList(vk, list, batch, 8, 1, output));
                var outLines = output.ToString().Trim().Split('\n');
                Assert.Equal(lines.Count + 1, outLines.Length);
                Assert.Equal(lines.Count - 2, outLines.Count(l => l.EndsWith(" OK")));
                Assert.Contains(outLines, l => l.Contains("INVALID: pairing check failed"));
                Assert.Contains(outLines, l => l.Contains("INVALID: unreadable"));
                Assert.Matches(@"^\d+ proofs, \d+ valid, 2 invalid, [0-9.]+ proofs/s$", outLines[^1]);
            }
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }
}
