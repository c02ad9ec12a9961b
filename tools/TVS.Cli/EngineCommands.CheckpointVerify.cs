using System.CommandLine;
using System.Text.Json;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary><c>tvs checkpoint verify</c>: a signed checkpoint note, and with a data directory the votes and MMR behind it.</summary>
public static partial class EngineCommands
{
    private static Command BuildCheckpoint()
    {
        var cp = new Command("checkpoint", "Signed checkpoints of the bulletin board");
        var verify = new Command("verify", "Verify a signed checkpoint note: its signature, and with --data the MMR and the votes behind it");
        var note = new Option<FileInfo>("--note") { Description = "the signed note (C2SP tlog-checkpoint)", Required = true };
        var key = new Option<string?>("--key") { Description = "verifier key name+hash+base64 (else --election's published one)" };
        var election = new Option<DirectoryInfo?>("--election") { Description = "election directory (its election.json names the checkpoint verifier key)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "also recompute the root from this data directory's votes and MMR nodes" };
        var partition = new Option<int>("--partition") { DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json");
        foreach (var o in new Option[] { note, key, election, data, partition, json })
        {
            verify.Options.Add(o);
        }
        verify.SetAction(r => VerifyCheckpoint(r.GetValue(note)!, r.GetValue(key), r.GetValue(election), r.GetValue(data), r.GetValue(partition), r.GetValue(json), Console.Out, Console.Error));
        cp.Subcommands.Add(verify);
        return cp;
    }

    public static int VerifyCheckpoint(FileInfo noteFile, string? verifierKey, DirectoryInfo? election, DirectoryInfo? data, int partition, bool json, TextWriter output, TextWriter error)
    {
        if (verifierKey is null && election != null)
        {
            try
            {
                var m = JsonDocument.Parse(File.ReadAllText(Path.Combine(election.FullName, ElectionSetup.ManifestFile)));
                verifierKey = m.RootElement.GetProperty("checkpointVerifierKey").GetString();
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
            {
                error.WriteLine($"tvs checkpoint verify: {election.FullName}: {e.Message}");
                return ExitCodes.Unusable;
            }
        }
        NoteVerifier? verifier = null;
        string? why = null;
        if (verifierKey is null || !NoteVerifier.TryParse(verifierKey, out verifier, out why))
        {
            error.WriteLine($"tvs checkpoint verify: give a valid --key or --election ({(verifierKey is null ? "none given" : why)})");
            return ExitCodes.Unusable;
        }
        string text;
        try
        {
            text = File.ReadAllText(noteFile.FullName);
        }
        catch (IOException e)
        {
            error.WriteLine($"tvs checkpoint verify: {e.Message}");
            return ExitCodes.Unusable;
        }
        Checkpoint? checkpoint = null;
        try
        {
            checkpoint = Checkpoint.Open(text, verifier!);
        }
        catch (Exception e) when (e is FormatException or NoteException)
        {
            Report(false, $"signature or format: {e.Message}", null);
            return ExitCodes.Invalid;
        }
        var checks = new List<(string What, bool Ok)> { ($"signed by {verifier!.Name}", true) };
        long size = checkpoint.Size;
        var signedRoot = checkpoint.Root;
        if (data != null)
        {
            var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data.FullName, partition)).Where(v => v.MmrIndex < size).ToList();
            bool complete = votes.Count == size && votes.Select((v, i) => v.MmrIndex == i).All(x => x);
            checks.Add(($"the data directory holds the {size} votes it covers", complete));
            if (complete)
            {
                var fromVotes = Rfc9162.MerkleTreeHash(votes.Select(v => Rfc9162.HashLeaf(v.Record)).ToArray());
                checks.Add(("root recomputed from the vote records (no MMR) equals the signed root", fromVotes == signedRoot));
            }
            using var nodes = FileMmrNodeStore.Open(LocalPartition.MmrFile(data.FullName, partition));
            var mmr = new MerkleMountainRange(nodes);
            bool mmrOk = mmr.LeafCount >= size && mmr.RootAt(size) == signedRoot;
            checks.Add(("the MMR node file has the signed root at that size", mmrOk));
            if (mmrOk && mmr.LeafCount > size)
            {
                var consistency = mmr.GetConsistencyProof(size, mmr.LeafCount);
                checks.Add(($"consistent with the current tree ({mmr.LeafCount} leaves)", Rfc9162.VerifyConsistency(size, mmr.LeafCount, signedRoot, mmr.Root, consistency)));
            }
        }
        bool ok = checks.All(c => c.Ok);
        Report(ok, null, checks);
        return ok ? ExitCodes.Ok : ExitCodes.Invalid;

        void Report(bool valid, string? failure, List<(string What, bool Ok)>? list)
        {
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(new { valid, failure, origin = valid || list != null ? checkpoint?.Origin : null, size = checkpoint?.Size, root = checkpoint?.Root.ToBase64(), checks = list?.Select(c => new { c.What, c.Ok }) }));
                return;
            }
            if (failure != null)
            {
                output.WriteLine($"INVALID: {failure}");
                return;
            }
            output.WriteLine($"{(valid ? "OK" : "INVALID")}: {checkpoint!.Origin} size {checkpoint.Size} root {checkpoint.Root.ToBase64()}");
            foreach (var (what, good) in list!)
            {
                output.WriteLine($"  {(good ? "ok  " : "FAIL")} {what}");
            }
        }
    }
}
