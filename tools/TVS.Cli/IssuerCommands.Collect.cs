using System.CommandLine;
using System.Text.Json.Nodes;
using TVS.Engine.Election;
using TVS.LoadGen;

namespace TVS.Cli;

/// <summary><c>tvs issuer collect</c>: issuers' endorsements of one root combined into the signed root the election accepts.</summary>
public static partial class IssuerCommands
{
    private static Command Collect()
    {
        var c = new Command("collect", "Combine issuers' endorsements of one root into a signed root the election directory accepts (≥ t valid, distinct)");
        var election = new Option<DirectoryInfo>("--election") { Description = "election directory (its election.json names the issuers and t)", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "signed-root file (default: ELECTION/roots/root-<size>.json)" };
        var files = new Argument<FileInfo[]>("endorsements") { Arity = ArgumentArity.OneOrMore };
        c.Options.Add(election);
        c.Options.Add(output);
        c.Arguments.Add(files);
        c.SetAction(r => CollectEndorsements(r.GetValue(election)!, r.GetValue(files)!, r.GetValue(output), Console.Out, Console.Error));
        return c;
    }

    /// <summary>Checks each endorsement against the election's issuer keys, keeps the valid ones, and writes the signed root when ≥ t remain.</summary>
    public static int CollectEndorsements(DirectoryInfo election, FileInfo[] files, FileInfo? output, TextWriter stdout, TextWriter stderr)
    {
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(election.FullName, ElectionSetup.ManifestFile)))!;
        var id = Guid.Parse((string)m["electionId"]!);
        if (m["issuers"] is not JsonObject io) { stderr.WriteLine("tvs issuer collect: election.json has no issuers"); return ExitCodes.Refused; }
        var issuers = new IssuerSet(((JsonArray)io["keys"]!).Select(k => Convert.FromHexString((string)k!)).ToList(), (int)io["threshold"]!);
        var acceptance = new RootAcceptance(id, issuers);
        var valid = new List<RootEndorsement>();
        foreach (var f in files)
        {
            try
            {
                var e = RootEndorsement.Parse(File.ReadAllText(f.FullName));
                var alone = acceptance.Evaluate(new SignedRoot(e.Statement, [e.Signature]));
                if (alone.Refusal is RootRefusal.None or RootRefusal.TooFewSignatures) valid.Add(e);
                else stderr.WriteLine($"{f.Name}: left out: {alone}");
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or IOException)
            {
                stderr.WriteLine($"{f.Name}: left out: {e.Message}");
            }
        }
        if (valid.Count == 0) { stderr.WriteLine("tvs issuer collect: no valid endorsement"); return ExitCodes.Refused; }
        SignedRoot signed;
        try
        {
            signed = SignedRoot.Combine(valid);
        }
        catch (InvalidDataException e)
        {
            stderr.WriteLine($"tvs issuer collect: {e.Message}");
            return ExitCodes.Refused;
        }
        var verdict = acceptance.Evaluate(signed);
        if (!verdict.Accepted) { stderr.WriteLine($"tvs issuer collect: not accepted: {verdict}"); return ExitCodes.Refused; }
        string path = output?.FullName ?? Path.Combine(election.FullName, ElectionSetup.RootsDirectory, $"root-{signed.Statement.Size}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, signed.ToJson());
        stdout.WriteLine($"root {signed.Statement.Root} (size {signed.Statement.Size}) signed by {verdict.DistinctIssuers} of {issuers.Count} issuers (t = {issuers.Threshold}): {path}");
        return ExitCodes.Ok;
    }
}
