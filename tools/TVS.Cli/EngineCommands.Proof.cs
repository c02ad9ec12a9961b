using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary><c>tvs proof</c>: an accepted vote's inclusion proof against the partition's latest signed checkpoint.</summary>
public static partial class EngineCommands
{
    private static Command BuildProof()
    {
        var cmd = new Command("proof", "Print the inclusion proof of an accepted vote against the partition's latest signed checkpoint");
        var data = new Option<DirectoryInfo>("--data") { Description = "the engine's data directory", Required = true };
        var partition = new Option<int>("--partition") { DefaultValueFactory = _ => 0 };
        var nullifier = new Option<string>("--nullifier") { Description = "the vote's nullifier: decimal, or 64 hex digits (0x optional)", Required = true };
        var json = new Option<bool>("--json");
        foreach (var o in new Option[] { data, partition, nullifier, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Proof(r.GetValue(data)!.FullName, r.GetValue(partition), r.GetValue(nullifier)!, r.GetValue(json), Console.Out, Console.Error));
        return cmd;
    }

    public static int Proof(string data, int partition, string nullifierText, bool json, TextWriter output, TextWriter error)
    {
        if (!TVS.Engine.Nullifier.TryParse(nullifierText, out var key))
        {
            error.WriteLine($"tvs proof: {nullifierText}: not a nullifier (decimal below r, or 64 hex digits)");
            return ExitCodes.Unusable;
        }
        string latest = Path.Combine(LocalPartition.CheckpointDirectory(data, partition), LocalCheckpointSink.LatestFile);
        if (!File.Exists(latest))
        {
            error.WriteLine($"tvs proof: {data}: no signed checkpoint yet");
            return ExitCodes.Unusable;
        }
        string note = File.ReadAllText(latest);
        int bodyEnd = note.IndexOf("\n\n", StringComparison.Ordinal);
        Checkpoint checkpoint;
        try
        {
            // The body only: the signature is the auditor's to check (tvs checkpoint verify).
            checkpoint = Checkpoint.Parse(bodyEnd < 0 ? note : note[..(bodyEnd + 1)]);
        }
        catch (Exception e) when (e is FormatException or NoteException)
        {
            error.WriteLine($"tvs proof: {latest}: {e.Message}");
            return ExitCodes.Unusable;
        }
        var vote = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, partition)).FirstOrDefault(v => v.NullifierBytes.SequenceEqual(key.AsSpan()));
        if (vote is null || vote.MmrIndex >= checkpoint.Size)
        {
            error.WriteLine(vote is null ? "tvs proof: no accepted vote has this nullifier" : $"tvs proof: the vote (index {vote.MmrIndex}) is not yet under a signed checkpoint (size {checkpoint.Size})");
            return ExitCodes.Invalid;
        }
        using var nodes = FileMmrNodeStore.Open(LocalPartition.MmrFile(data, partition));
        var mmr = new MerkleMountainRange(nodes);
        var proof = mmr.GetInclusionProof(vote.MmrIndex, checkpoint.Size);
        var leafHash = Rfc9162.HashLeaf(vote.Record);
        bool valid = Rfc9162.VerifyInclusion(vote.MmrIndex, checkpoint.Size, leafHash, proof, checkpoint.Root);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                index = vote.MmrIndex,
                treeSize = checkpoint.Size,
                leafHash = leafHash.ToBase64(),
                record = Convert.ToBase64String(vote.Record),
                proof = proof.Select(h => h.ToBase64()).ToArray(),
                root = checkpoint.Root.ToBase64(),
                checkpoint = note,
                valid,
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            output.WriteLine($"index {vote.MmrIndex} of {checkpoint.Size}");
            output.WriteLine($"leaf {leafHash.ToBase64()} (SHA-256 of 0x00 ‖ the {vote.Record.Length}-byte vote record)");
            foreach (var h in proof)
            {
                output.WriteLine($"  {h.ToBase64()}");
            }
            output.WriteLine($"root {checkpoint.Root.ToBase64()}: {(valid ? "proof verifies" : "PROOF DOES NOT VERIFY")}");
            output.Write(note);
        }
        return valid ? ExitCodes.Ok : ExitCodes.Invalid;
    }
}
