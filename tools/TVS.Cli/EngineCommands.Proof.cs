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
        var cmd = new Command("proof", "Print the inclusion proof of an accepted vote against the partition's latest signed checkpoint. "
            + "The vote's partition is derived from its nullifier (Kafka's partitioner over election.json's \"partitions\", given by --election); "
            + "--partition overrides it; with neither, a data directory holding only p0 is read at partition 0");
        var data = new Option<DirectoryInfo>("--data") { Description = "the engine's data directory", Required = true };
        var election = new Option<DirectoryInfo?>("--election") { Description = "the election directory: its election.json's partition count locates the vote's partition" };
        var partition = new Option<int?>("--partition") { Description = "the vote's partition (overrides the one derived from the nullifier)" };
        var nullifier = new Option<string>("--nullifier") { Description = "the vote's nullifier: decimal, or 64 hex digits (0x optional)", Required = true };
        var json = new Option<bool>("--json");
        foreach (var o in new Option[] { data, election, partition, nullifier, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Proof(r.GetValue(data)!.FullName, r.GetValue(partition), r.GetValue(nullifier)!, r.GetValue(json), Console.Out, Console.Error, r.GetValue(election)?.FullName));
        return cmd;
    }

    public static int Proof(string data, int? partitionOverride, string nullifierText, bool json, TextWriter output, TextWriter error, string? electionDir = null)
    {
        if (!TVS.Engine.Nullifier.TryParse(nullifierText, out var key))
        {
            error.WriteLine($"tvs proof: {nullifierText}: not a nullifier (decimal below r, or 64 hex digits)");
            return ExitCodes.Unusable;
        }
        if (!TryLocatePartition(data, partitionOverride, key, electionDir, error, out int partition))
        {
            return ExitCodes.Unusable;
        }
        string latest = Path.Combine(LocalPartition.CheckpointDirectory(data, partition), LocalCheckpointSink.LatestFile);
        if (!File.Exists(latest))
        {
            error.WriteLine($"tvs proof: {data}: no signed checkpoint of partition {partition} yet");
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
            error.WriteLine(vote is null ? $"tvs proof: no accepted vote of partition {partition} has this nullifier" : $"tvs proof: the vote (index {vote.MmrIndex}) is not yet under a signed checkpoint (size {checkpoint.Size})");
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

    /// <summary>
    /// The partition to read: <paramref name="partitionOverride"/> when given; else the nullifier's
    /// partition under election.json's count (the gateway's and Kafka's rule,
    /// <see cref="TVS.Engine.Votes.KeyPartitioner"/>); else, without an election directory, the one
    /// partition the data directory holds (p0 for a single-partition election, as before the
    /// derivation existed). Anything else is refused with what to pass.
    /// </summary>
    private static bool TryLocatePartition(string data, int? partitionOverride, TVS.Engine.Nullifier key, string? electionDir, TextWriter error, out int partition)
    {
        partition = 0;
        if (partitionOverride is { } given)
        {
            if (given < 0)
            {
                error.WriteLine($"tvs proof: --partition {given}: must be 0 or more");
                return false;
            }
            partition = given;
            return true;
        }
        if (electionDir is not null)
        {
            int partitions;
            try
            {
                partitions = TVS.LoadGen.ElectionSetup.ReadManifest(electionDir).Partitions;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or JsonException or FormatException or InvalidOperationException or ArgumentException)
            {
                error.WriteLine($"tvs proof: --election {electionDir}: {e.Message}");
                return false;
            }
            partition = TVS.Engine.Votes.KeyPartitioner.PartitionOf(key.AsSpan(), partitions);
            if (!Directory.Exists(LocalPartition.PartitionDirectory(data, partition)))
            {
                error.WriteLine($"tvs proof: the vote's partition is p{partition} (of {partitions} in {electionDir}/election.json) and {data} holds no p{partition}: "
                    + "give the data directory of the engine that ran that partition");
                return false;
            }
            return true;
        }
        var held = Directory.Exists(data)
            ? Directory.GetDirectories(data, "p*").Select(Path.GetFileName).Where(n => n!.Length > 1 && n[1..].All(char.IsAsciiDigit)).Order(StringComparer.Ordinal).ToList()
            : [];
        if (held.Count <= 1)
        {
            // One partition held (or none: the checkpoint check below says so): it is the only place to look.
            partition = held.Count == 1 ? int.Parse(held[0]![1..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            return true;
        }
        error.WriteLine($"tvs proof: {data} holds partitions {string.Join(", ", held)}: give --election DIR (the vote's partition follows from its nullifier and election.json's \"partitions\") or --partition N");
        return false;
    }
}
