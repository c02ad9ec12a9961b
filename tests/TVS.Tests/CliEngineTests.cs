using TVS.Cli;
using TVS.LoadGen;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests;

/// <summary>The operator's and auditor's verbs over a real demo run: exit codes and what they check.</summary>
[Collection(InProcessCliCollection.Name)]
public sealed class CliEngineTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _root = Directory.CreateTempSubdirectory("tvs-cli-engine-").FullName;

    public CliEngineTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (int Exit, string Out, string Err) Tvs(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int exit = Program.BuildRoot().Parse(args).Invoke();
            return (exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            _output.WriteLine($"tvs {string.Join(' ', args)}\n{stdout}{stderr}");
        }
    }

    [Fact]
    public void Loadgen_engine_run_proof_and_checkpoint_verify()
    {
        string election = Path.Combine(_root, "election"), input = Path.Combine(_root, "input.log"), data = Path.Combine(_root, "data");
        var gen = Tvs("loadgen", "--election", election, "--out", input, "--voters", "300", "--seal", "--json");
        Assert.Equal(0, gen.Exit);
        Assert.Contains("\"accepted\"", gen.Out);

        // Production mode refuses the simulated election; test mode runs it.
        string config = Path.Combine(_root, "engine.json");
        File.WriteAllText(config, $$"""{ "Engine": { "Election": "{{election}}", "Data": "{{data}}", "Input": "{{input}}", "StopAtEnd": true } }""");
        var refused = Tvs("engine", "run", "--config", config);
        Assert.Equal(ExitCodes.Unusable, refused.Exit);
        Assert.Contains("insecure", refused.Err);
        Environment.SetEnvironmentVariable("TVS_Engine__Mode", "test");
        try
        {
            var run = Tvs("engine", "run", "--config", config, "--json");
            Assert.Equal(0, run.Exit);
            Assert.Contains("\"MmrRoot\"", run.Out);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TVS_Engine__Mode", null);
        }

        var note = Path.Combine(LocalPartition.CheckpointDirectory(data, 0), LocalCheckpointSink.LatestFile);
        var ok = Tvs("checkpoint", "verify", "--note", note, "--election", election, "--data", data);
        Assert.Equal(0, ok.Exit);
        Assert.StartsWith("OK", ok.Out);

        // A vote's inclusion proof, by decimal and by hex nullifier.
        var vote = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, 0)).Skip(17).First();
        string hex = Convert.ToHexStringLower(vote.NullifierBytes);
        string dec = new System.Numerics.BigInteger(vote.NullifierBytes, isUnsigned: true, isBigEndian: true).ToString();
        Assert.Equal(0, Tvs("proof", "--data", data, "--nullifier", hex).Exit);
        var byDec = Tvs("proof", "--data", data, "--nullifier", dec, "--json");
        Assert.Equal(0, byDec.Exit);
        Assert.Contains("\"valid\": true", byDec.Out);
        Assert.Equal(ExitCodes.Invalid, Tvs("proof", "--data", data, "--nullifier", "12345").Exit); // no such vote
        Assert.Equal(ExitCodes.Unusable, Tvs("proof", "--data", data, "--nullifier", "not-a-number").Exit);

        // A forged checkpoint (another root, same signature) is refused; so is one signed by another key.
        string text = File.ReadAllText(note);
        var lines = text.Split('\n');
        lines[2] = Convert.ToBase64String(new byte[32]);
        string forged = Path.Combine(_root, "forged.note");
        File.WriteAllText(forged, string.Join('\n', lines));
        var forgedResult = Tvs("checkpoint", "verify", "--note", forged, "--election", election);
        Assert.Equal(ExitCodes.Invalid, forgedResult.Exit);
        Assert.StartsWith("INVALID", forgedResult.Out);
        using var other = TVS.Merkle.NoteSigner.Generate("someone-else");
        var otherKey = Tvs("checkpoint", "verify", "--note", note, "--key", other.Verifier.VerifierKey);
        Assert.Equal(ExitCodes.Invalid, otherKey.Exit);
        Assert.StartsWith("INVALID", otherKey.Out);

        // A vote deleted from the data directory is noticed by the deep check.
        var votesFile = Path.Combine(LocalPartition.VotesDirectory(data, 0), LocalVoteStore.VotesFile);
        var bytes = File.ReadAllBytes(votesFile);
        bytes[^1] ^= 1; // last ballot byte: the recomputed root differs
        File.WriteAllBytes(votesFile, bytes);
        var tampered = Tvs("checkpoint", "verify", "--note", note, "--election", election, "--data", data);
        Assert.Equal(ExitCodes.Invalid, tampered.Exit);
        Assert.Contains("FAIL", tampered.Out);
    }

    [Fact]
    public void Demo_runs_the_pipeline_and_checks_itself()
    {
        var demo = Tvs("demo", "--voters", "400", "--dir", Path.Combine(_root, "demo"), "--json", "--no-baseline");
        Assert.Equal(0, demo.Exit);
        Assert.Contains("\"ok\": true", demo.Out);
        Assert.Contains("\"rootMatches\": true", demo.Out);
        // Registration went through the issuer service, and the record carries the root its issuers signed.
        var json = System.Text.Json.Nodes.JsonNode.Parse(demo.Out)!;
        var registration = json["registration"]!;
        Assert.Equal(400, (int)registration["voters"]!);
        Assert.True((bool)registration["RootAccepted"]! && (bool)registration["PathsVerified"]! && (bool)registration["RepeatRefused"]! && (bool)registration["ForgedTokenRefused"]!);
        Assert.Equal(5, registration["signers"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(_root, "demo", "record", "roots", "root-400.json")));
    }

    [Fact]
    public void Election_directory_round_trips_and_production_refuses_an_insecure_one()
    {
        string dir = Path.Combine(_root, "e");
        using (var created = ElectionSetup.CreateSimulated(dir))
        {
            using var loaded = ElectionSetup.Load(dir, allowInsecure: true);
            Assert.Equal(created.Id, loaded.Id);
            Assert.Equal(created.Roots, loaded.Roots);
            Assert.True(created.IngestKey.PublicKey.SequenceEqual(loaded.IngestKey.PublicKey));
            Assert.Equal(created.Signer.Verifier.VerifierKey, loaded.Signer.Verifier.VerifierKey);
            Assert.NotNull(loaded.Simulated);
        }
        var e = Assert.Throws<InvalidOperationException>(() => ElectionSetup.Load(dir, allowInsecure: false));
        Assert.Contains("insecure", e.Message);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "secrets", "ingest.key")));
        }
    }
}
