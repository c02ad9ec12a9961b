using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Merkle.Tiles;
using TVS.Storage.Board;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// <c>tvs dev synthetic-election</c>: a closed election of any size for measuring the steps after
/// voting (bench/post-voting): a simulated (INSECURE) election with its key ceremony and trustees'
/// files as <c>tvs demo</c> makes them, N tallyable votes (ballots encrypted to the election key,
/// proofs made with the simulated setup's trapdoor) published straight onto a board (tiles,
/// bundles, signed checkpoints) as the engines' publishers would, the signed close statement, and
/// an authority (data/: committed progress and signed checkpoints, no vote files) for the export.
/// Minted in batches, so its memory does not grow with N. Not an election: no engine ran.
/// </summary>
public static class SyntheticElection
{
    public static Command Build()
    {
        var cmd = new Command("synthetic-election", "Make a closed simulated (INSECURE) election of N tallyable votes straight onto a board, for measuring decrypt, tally, export and verify (bench/post-voting)");
        var dir = new Option<DirectoryInfo>("--dir") { Description = "where to make it (election/, trustees/, board/, expected.json); must be empty", Required = true };
        var votes = new Option<int>("--votes") { Description = "accepted votes", DefaultValueFactory = _ => 100_000 };
        var partitions = new Option<int>("--partitions") { Description = "partitions", DefaultValueFactory = _ => 4 };
        var batch = new Option<int>("--batch") { Description = "votes minted at a time", DefaultValueFactory = _ => 20_000 };
        foreach (var o in new Option[] { dir, votes, partitions, batch })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Make(r.GetValue(dir)!.FullName, Math.Max(1, r.GetValue(votes)), Math.Max(1, r.GetValue(partitions)), Math.Max(1, r.GetValue(batch)), Console.Out));
        return cmd;
    }

    public static int Make(string root, int votes, int partitions, int batch, TextWriter output)
    {
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"tvs dev synthetic-election: {root} is not empty");
            return ExitCodes.Unusable;
        }
        var sw = Stopwatch.StartNew();
        using var election = ElectionSetup.CreateSimulated(Path.Combine(root, "election"), partitions: partitions);
        var contests = ContestList.Sample();
        var dkg = DemoCommand.Ceremony(election, contests, Path.Combine(root, "trustees"), null);
        using var board = new LocalBoardStore(Path.Combine(root, "board"));
        var builders = Enumerable.Range(0, partitions).Select(_ => TileBuilder.Empty()).ToArray();
        var sinks = Enumerable.Range(0, partitions).Select(k => new PartitionSink(board, k)).ToArray();
        var tally = contests.CandidateCounts().Select(c => new long[c]).ToArray();
        var spoiled = new SortedDictionary<string, long>(StringComparer.Ordinal);
        int minted = 0;
        for (int seed = 1; minted < votes; seed++)
        {
            var load = LoadGenerator.Generate(election, new LoadMix
            {
                Voters = Math.Min(batch, votes - minted),
                Duplicates = 0,
                BadProofs = 0,
                Malformed = 0,
                Seed = seed,
                Ballots = new BallotMix(dkg.PublicKey, contests.CandidateCounts(), OutOfRange: 0.01, WrongKey: 0.005),
            });
            foreach (var record in load.Records)
            {
                var plaintext = record.Plaintext ?? throw new InvalidOperationException("an accepted vote without its record");
                int k = KeyPartitioner.PartitionOf(record.Key, partitions);
                builders[k].Append(plaintext, sinks[k]);
            }
            for (int c = 0; c < tally.Length; c++)
            {
                for (int j = 0; j < tally[c].Length; j++)
                {
                    tally[c][j] += load.ExpectedTally![c][j];
                }
            }
            foreach (var (reason, n) in load.ExpectedSpoiled)
            {
                spoiled[reason] = spoiled.GetValueOrDefault(reason) + n;
            }
            minted += load.Records.Count;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{minted:N0} of {votes:N0} votes minted and published ({sw.Elapsed.TotalSeconds:F0} s)"));
        }
        var heads = new List<PartitionHead>();
        for (int k = 0; k < partitions; k++)
        {
            builders[k].WritePartials(sinks[k]);
            var note = new Checkpoint(election.Origin(k), builders[k].Size, builders[k].Root).Sign(election.Signer);
            board.Put(BoardPartition.PathOf(k, TilePaths.Checkpoint), System.Text.Encoding.UTF8.GetBytes(note));
            heads.Add(new PartitionHead(k, builders[k].Size, builders[k].Root));
            WriteAuthority(Path.Combine(root, "data"), k, builders[k].Size, builders[k].Root, note);
        }
        string close = CloseStatement.Sign(election.Signer, election.Id, heads, votes, 0, DateTimeOffset.UtcNow);
        board.Put(CloseStatement.FileName, System.Text.Encoding.UTF8.GetBytes(close));
        var expected = new JsonObject
        {
            ["votes"] = votes,
            ["partitions"] = partitions,
            ["counts"] = new JsonArray(tally.Select(c => (JsonNode)new JsonArray(c.Select(v => (JsonNode)v).ToArray())).ToArray()),
            ["spoiled"] = new JsonObject(spoiled.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        File.WriteAllText(Path.Combine(root, "expected.json"), expected.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"synthetic election {election.Id}: {votes:N0} votes in {partitions} partition(s), closed, board {board.Root} ({sw.Elapsed.TotalSeconds:F0} s); trustees' files in {Path.Combine(root, "trustees")}"));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The authority of an embedded data directory as the steps after voting read it (committed
    /// progress, signed checkpoints), without vote files: those steps read the votes from the
    /// board, so <c>tvs record export --data</c> works on a synthetic election.
    /// </summary>
    private static void WriteAuthority(string data, int partition, long size, Hash256 root, string note)
    {
        string votes = LocalPartition.VotesDirectory(data, partition), checkpoints = LocalPartition.CheckpointDirectory(data, partition);
        Directory.CreateDirectory(votes);
        Directory.CreateDirectory(checkpoints);
        LocalVoteStore.WriteProgress(votes, new TVS.Engine.Ports.PartitionProgress(size, size, root, size, 0), votesLength: 0);
        File.WriteAllText(Path.Combine(checkpoints, string.Create(CultureInfo.InvariantCulture, $"{size:D12}.note")), note);
        File.WriteAllText(Path.Combine(checkpoints, LocalCheckpointSink.LatestFile), note);
    }

    private sealed class PartitionSink(LocalBoardStore board, int partition) : ITileSink
    {
        public void Write(string path, ReadOnlySpan<byte> content) => board.Put(BoardPartition.PathOf(partition, path), content);
    }
}
