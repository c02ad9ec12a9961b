using System.CommandLine;
using System.Text.Json;
using TVS.LoadGen;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary><c>tvs loadgen</c>: votes for a simulated election into a local input log, with the verdicts they should get.</summary>
public static partial class EngineCommands
{
    private static Command BuildLoadgen()
    {
        var cmd = new Command("loadgen", "Mint votes for a simulated (INSECURE, test-only) election into a local input log; creates the election if its directory is empty");
        var electionDir = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "local input log to append to", Required = true };
        var voters = new Option<int>("--voters") { Description = "distinct voters", DefaultValueFactory = _ => 10_000 };
        var dup = new Option<double>("--duplicates") { DefaultValueFactory = _ => 0.05, Description = "share of extra duplicate records" };
        var bad = new Option<double>("--bad-proofs") { DefaultValueFactory = _ => 0.05, Description = "share of voters with a bad proof" };
        var wrongRoot = new Option<double>("--wrong-roots") { DefaultValueFactory = _ => 0.0, Description = "share of voters with an unknown root" };
        var malformed = new Option<double>("--malformed") { DefaultValueFactory = _ => 0.01, Description = "share of extra malformed records" };
        var fixtures = new Option<DirectoryInfo?>("--fixtures") { Description = "also send the real Semaphore proofs of tests/fixtures/groth16 (the election must be created with them)" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "seed of the mix and order" };
        var seal = new Option<bool>("--seal") { Description = "mark the log complete afterwards (an engine with StopAtEnd stops at its end)" };
        var json = new Option<bool>("--json") { Description = "print the expectation as JSON" };
        foreach (var o in new Option[] { electionDir, output, voters, dup, bad, wrongRoot, malformed, fixtures, seed, seal, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(electionDir)!;
            string? fixtureDir = r.GetValue(fixtures)?.FullName;
            using var election = File.Exists(Path.Combine(dir.FullName, ElectionSetup.ManifestFile))
                ? ElectionSetup.Load(dir.FullName, allowInsecure: true)
                : ElectionSetup.CreateSimulated(dir.FullName, fixtures: fixtureDir);
            var load = LoadGenerator.Generate(election, new LoadMix
            {
                Voters = Math.Max(1, r.GetValue(voters)),
                Duplicates = r.GetValue(dup),
                BadProofs = r.GetValue(bad),
                WrongRoots = r.GetValue(wrongRoot),
                Malformed = r.GetValue(malformed),
                Fixtures = fixtureDir,
                Seed = r.GetValue(seed),
            });
            using (var writer = LocalInputLogWriter.Open(r.GetValue(output)!.FullName))
            {
                foreach (var rec in load.Records)
                {
                    writer.Append(rec.Key, rec.Value);
                }
                if (r.GetValue(seal))
                {
                    writer.Seal();
                }
            }
            var expectation = new { records = load.Records.Count, expected = load.ExpectedCounts, expectedRootOfThisBatch = load.ExpectedRoot().ToHex() };
            string text = JsonSerializer.Serialize(expectation, new JsonSerializerOptions { WriteIndented = true });
            File.WriteAllText(r.GetValue(output)!.FullName + ".expected.json", text + "\n");
            Console.Out.WriteLine(r.GetValue(json) ? text : $"appended {load.Records.Count:N0} records to {r.GetValue(output)!.FullName}; expected: {string.Join(", ", load.ExpectedCounts.Select(kv => $"{kv.Key} {kv.Value}"))}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
