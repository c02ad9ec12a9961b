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

    [Fact]
    public void SemaphoreProofObjectVerdictsAndExitCodes()
    {
        var dir = Set("semaphore-official-d4");
        var vk = new FileInfo(Path.Combine(dir, "verification_key.json"));
        FileInfo F(string relative) => new(Path.Combine(dir, relative));
        foreach (var valid in new[] { "objects/000.json", "objects/001.json", "objects/002.json", "objects/003.json" })
        {
            var ok = new StringWriter();
            Assert.Equal(ExitCodes.Ok, ZkCommands.VerifySemaphore(vk, F(valid), ok));
            Assert.Equal("OK", ok.ToString().Trim());
        }
        foreach (var (file, reason) in new[]
        {
            ("tampered/forged_message.semaphore.json", "pairing check failed"),
            ("tampered/forged_scope.semaphore.json", "pairing check failed"),
            ("tampered/forged_nullifier.semaphore.json", "pairing check failed"),
            ("tampered/forged_root.semaphore.json", "pairing check failed"),
            ("tampered/points_a_x_plus_p.semaphore.json", "non-canonical field element"),
            ("tampered/points_a_off_curve.semaphore.json", "point not on curve"),
            ("tampered/nullifier_plus_r.semaphore.json", "public signal not below the scalar field modulus r"),
            ("malformed/not_json.semaphore.json", "malformed input"),
            ("malformed/depth_as_string.semaphore.json", "malformed input"),
        })
        {
            var bad = new StringWriter();
            Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifySemaphore(vk, F(file), bad));
            Assert.Equal("INVALID: " + reason, bad.ToString().Trim());
        }
        // A snarkjs proof given as a Semaphore object is not one.
        var notObject = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifySemaphore(vk, F("valid/proof_000.json"), notObject));
        Assert.Equal("INVALID: malformed input", notObject.ToString().Trim());
        // The verification key of another circuit depth: the same four signals, another key.
        var otherDepth = new FileInfo(Path.Combine(Set("semaphore-d10"), "verification_key.json"));
        Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifySemaphore(otherDepth, F("objects/000.json"), new StringWriter()));
        Assert.Equal(ExitCodes.Unusable, ZkCommands.VerifySemaphore(vk, F("objects/no-such.json"), new StringWriter()));
        Assert.Equal(ExitCodes.Unusable, ZkCommands.VerifySemaphore(F("no-such-vk.json"), F("objects/000.json"), new StringWriter()));
    }

    [Fact]
    public void AffineSnarkjsProofsFromUnpackGroth16ProofVerify()
    {
        var dir = Set("semaphore-official-d4");
        var vk = new FileInfo(Path.Combine(dir, "verification_key.json"));
        FileInfo F(string relative) => new(Path.Combine(dir, relative));
        var ok = new StringWriter();
        Assert.Equal(ExitCodes.Ok, ZkCommands.VerifyOne(vk, F("valid/proof_000.json"), F("valid/public_000.json"), ok));
        Assert.Equal("OK", ok.ToString().Trim());
        var bad = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifyOne(vk, F("tampered/affine_pi_a_x_plus_p.proof.json"), F("valid/public_000.json"), bad));
        Assert.Equal("INVALID: non-canonical field element", bad.ToString().Trim());
    }

    [Fact]
    public void ListMixesSemaphoreObjectsAndSnarkjsPairs()
    {
        var dir = Set("semaphore-official-d4");
        var tmp = Directory.CreateTempSubdirectory("tvs-list-");
        try
        {
            string P(string relative) => Path.Combine(dir, relative);
            var lines = new List<string>
            {
                P("objects/000.json"),
                P("objects/001.json"),
                $"{P("valid/proof_002.json")} {P("valid/public_002.json")}",               // affine, from unpackGroth16Proof
                $"{P("valid/valid_z1_000.proof.json")} {P("valid/public_000.json")}",      // the same proof with z = 1
                "  " + P("objects/003.json") + "  ",
                P("tampered/forged_nullifier.semaphore.json"),
                P("objects/missing.json"),
            };
            var list = new FileInfo(Path.Combine(tmp.FullName, "list.txt"));
            File.WriteAllLines(list.FullName, lines);
            var vk = new FileInfo(Path.Combine(dir, "verification_key.json"));
            foreach (bool batch in new[] { false, true })
            {
                var output = new StringWriter();
                Assert.Equal(ExitCodes.Invalid, ZkCommands.VerifyList(vk, list, batch, 4, 1, output));
                var outLines = output.ToString().Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
                Assert.Equal(lines.Count + 1, outLines.Length);
                for (int i = 0; i < 5; i++) Assert.EndsWith(" OK", outLines[i]);
                Assert.EndsWith("forged_nullifier.semaphore.json INVALID: pairing check failed", outLines[5]);
                Assert.Contains("INVALID: unreadable", outLines[6]);
                Assert.Matches(@"^7 proofs, 5 valid, 2 invalid, [0-9.]+ proofs/s$", outLines[^1]);
            }
            // Only valid lines: exit 0.
            File.WriteAllLines(list.FullName, lines.Take(5));
            Assert.Equal(ExitCodes.Ok, ZkCommands.VerifyList(vk, list, true, 4, 1, new StringWriter()));
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }
}

/// <summary><c>tvs zk verify --semaphore</c> through the command line's own parsing.</summary>
[Collection(InProcessCliCollection.Name)]
public class CliZkSemaphoreArgumentTests
{
    [Fact]
    public void SemaphoreOptionExitCodes()
    {
        var dir = Path.Combine(Groth16.SnarkjsFixtureTests.FixtureRoot(), "semaphore-official-d4");
        string vk = Path.Combine(dir, "verification_key.json");
        int Run(params string[] args) => TVS.Cli.Program.BuildRoot().Parse(["zk", "verify", "--vk", vk, .. args]).Invoke();
        Assert.Equal(ExitCodes.Ok, Run("--semaphore", Path.Combine(dir, "objects", "000.json")));
        Assert.Equal(ExitCodes.Invalid, Run("--semaphore", Path.Combine(dir, "tampered", "forged_message.semaphore.json")));
        Assert.Equal(ExitCodes.Invalid, Run("--semaphore", Path.Combine(dir, "malformed", "points_seven.semaphore.json")));
        Assert.Equal(ExitCodes.Unusable, Run("--semaphore", Path.Combine(dir, "objects", "no-such.json")));
        // --semaphore carries its own signals: with --proof/--public it is ambiguous, refused.
        Assert.Equal(ExitCodes.Unusable, Run("--semaphore", Path.Combine(dir, "objects", "000.json"), "--proof", Path.Combine(dir, "valid", "proof_000.json"), "--public", Path.Combine(dir, "valid", "public_000.json")));
        Assert.Equal(ExitCodes.Ok, Run("--proof", Path.Combine(dir, "valid", "proof_000.json"), "--public", Path.Combine(dir, "valid", "public_000.json")));
    }
}
