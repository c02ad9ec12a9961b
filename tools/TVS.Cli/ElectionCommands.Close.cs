using System.CommandLine;
using System.Text.Json.Nodes;
using TVS.Engine.Tally;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary><c>tvs election close</c>: the operator ends the voting; the data must match the final signed checkpoints, then the close statement is signed.</summary>
public static partial class ElectionCommands
{
    public static Command Build()
    {
        var election = new Command("election", "The election lifecycle after voting");
        var close = new Command("close", "Close the election: the engine must be stopped; verifies the data against the final signed checkpoint, signs the close statement, marks the data directory closed");
        var e = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var d = new Option<DirectoryInfo>("--data") { Description = "the engine's data directory", Required = true };
        var b = new Option<DirectoryInfo?>("--board") { Description = "with witnesses in election.json: the board directory whose cosigned checkpoints must be the final ones at quorum (default: DATA/board)" };
        close.Options.Add(e);
        close.Options.Add(d);
        close.Options.Add(b);
        close.SetAction(r => Close(r.GetValue(e)!.FullName, r.GetValue(d)!.FullName, Console.Out, Console.Error, r.GetValue(b)?.FullName));
        election.Subcommands.Add(close);
        return election;
    }

    /// <param name="board">
    /// With witnesses in election.json: the board directory (default <c>DATA/board</c>). Each
    /// partition's board checkpoint must be its final signed checkpoint (same body) carrying the
    /// witness quorum, or nothing is closed; the cosigned notes then replace the final checkpoint
    /// files of the data directory (same body, more signature lines), so the record carries them.
    /// </param>
    public static int Close(string election, string data, TextWriter output, TextWriter error, string? board = null)
    {
        string statement = Path.Combine(data, CloseStatement.FileName);
        if (File.Exists(statement))
        {
            error.WriteLine($"tvs election close: {data} is already closed ({CloseStatement.FileName})");
            return ExitCodes.Invalid;
        }
        using var setup = LoadElection(election, error);
        if (setup is null)
        {
            return ExitCodes.Unusable;
        }
        int partitions = setup.Partitions;
        // A partition directory the election does not name holds votes nobody would count: refuse
        // rather than close without them (a wrong "partitions" in election.json, or a stray engine).
        var stray = Directory.Exists(data)
            ? Directory.EnumerateDirectories(data, "p*").Select(Path.GetFileName)
                .Where(n => n!.Length > 1 && n[1..].All(char.IsAsciiDigit) && (n.Length > 6 || int.Parse(n[1..], System.Globalization.CultureInfo.InvariantCulture) >= partitions)).Order(StringComparer.Ordinal).ToList()
            : [];
        if (stray.Count > 0)
        {
            error.WriteLine($"tvs election close: {data} holds {string.Join(", ", stray)}, which election.json does not name (partitions {partitions}): not closed");
            return ExitCodes.Invalid;
        }
        var heads = new List<PartitionHead>();
        var witnessed = new List<(string Directory, long Size, string Note)>();
        string boardDir = board ?? Path.Combine(data, "board");
        long accepted = 0, rejected = 0;
        // The steps after voting read the votes from the board: bring it up to the signed checkpoints first.
        foreach (var warning in PublishLocalBoard(setup, data, boardDir))
        {
            error.WriteLine($"tvs election close: board: {warning}");
        }
        for (int k = 0; k < partitions; k++)
        {
            string votesFile = Path.Combine(LocalPartition.VotesDirectory(data, k), LocalVoteStore.VotesFile);
            string progressFile = Path.Combine(LocalPartition.VotesDirectory(data, k), LocalVoteStore.ProgressFile);
            string latest = Path.Combine(LocalPartition.CheckpointDirectory(data, k), LocalCheckpointSink.LatestFile);
            if (!File.Exists(votesFile) || !File.Exists(progressFile) || !File.Exists(latest))
            {
                error.WriteLine($"tvs election close: {data}: no votes, progress or signed checkpoint of partition {k} (of {partitions}): run its engine to a clean stop first");
                return ExitCodes.Unusable;
            }
            // A running engine holds votes.log open; an exclusive open fails then (advisory lock on Unix).
            try
            {
                using var probe = new FileStream(votesFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                error.WriteLine($"tvs election close: the engine of partition {k} is still running on {data} ({votesFile} is in use): stop it first (Ctrl-C / SIGTERM signs the final checkpoint)");
                return ExitCodes.Invalid;
            }
            var progress = JsonNode.Parse(File.ReadAllText(progressFile))!;
            long size = (long)progress["mmrSize"]!;
            accepted += (long)progress["accepted"]!;
            rejected += (long)progress["rejected"]!;
            output.WriteLine($"verifying partition {k} of {data} against its final checkpoint:");
            int check = EngineCommands.VerifyCheckpoint(new FileInfo(latest), null, new DirectoryInfo(election), new DirectoryInfo(data), k, false, output, error);
            if (check != ExitCodes.Ok)
            {
                error.WriteLine($"tvs election close: partition {k} does not match its final signed checkpoint: not closed");
                return ExitCodes.Invalid;
            }
            var final = Checkpoint.Open(File.ReadAllText(latest), setup.Signer.Verifier, setup.Origin(k));
            if (final.Size != size)
            {
                error.WriteLine($"tvs election close: partition {k}: the last signed checkpoint covers {final.Size} votes, {size} are committed: run its engine to a clean stop (its last sync signs the final checkpoint)");
                return ExitCodes.Invalid;
            }
            heads.Add(new PartitionHead(k, final.Size, final.Root));
            if (setup.Witnesses is { } policy)
            {
                // The final heads are what the close binds: with witnesses they must be witnessed.
                string published = Path.Combine(boardDir, $"p{k}", "checkpoint");
                if (!File.Exists(published))
                {
                    error.WriteLine($"tvs election close: the election lists witnesses, and the board holds no checkpoint of partition {k} ({published}): publish the board (give --board DIR if it is elsewhere): not closed");
                    return ExitCodes.Invalid;
                }
                string cosigned = File.ReadAllText(published);
                try
                {
                    Checkpoint.Open(cosigned, setup.Signer.Verifier, setup.Origin(k));
                    if (SignedNote.Parse(cosigned).Text != SignedNote.Parse(File.ReadAllText(latest)).Text)
                    {
                        error.WriteLine($"tvs election close: the board's checkpoint of partition {k} ({published}) is not the final one (size {final.Size}): let the publisher catch up (tvs board publish) first: not closed");
                        return ExitCodes.Invalid;
                    }
                }
                catch (Exception ex) when (ex is NoteException or FormatException)
                {
                    error.WriteLine($"tvs election close: {published}: not a checkpoint of partition {k} signed by the election's key: {ex.Message}: not closed");
                    return ExitCodes.Invalid;
                }
                var witnessCheck = policy.Check(cosigned);
                if (!witnessCheck.Met)
                {
                    error.WriteLine($"tvs election close: partition {k}'s final checkpoint on the board is not witnessed ({witnessCheck}): the publisher re-submits it until the witnesses answer; not closed");
                    return ExitCodes.Invalid;
                }
                witnessed.Add((LocalPartition.CheckpointDirectory(data, k), final.Size, cosigned));
                output.WriteLine($"partition {k}: final checkpoint cosigned by {string.Join(", ", witnessCheck.Cosigners.Select(c => c.Witness.Name))} (quorum {policy.Quorum})");
            }
        }
        foreach (var (dir, finalSize, cosignedNote) in witnessed)
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(cosignedNote);
            TVS.Engine.IO.AtomicFile.Write(Path.Combine(dir, $"{finalSize:D12}.note"), bytes);
            TVS.Engine.IO.AtomicFile.Write(Path.Combine(dir, LocalCheckpointSink.LatestFile), bytes);
        }
        string note = CloseStatement.Sign(setup.Signer, setup.Id, heads, accepted, rejected, DateTimeOffset.UtcNow);
        TVS.Engine.IO.AtomicFile.Create(statement, System.Text.Encoding.UTF8.GetBytes(note));
        // The close statement stands beside the partitions' logs on the board, where the trustees and the tally read it.
        using (var published = new TVS.Storage.Board.LocalBoardStore(boardDir))
        {
            published.Put(CloseStatement.FileName, System.Text.Encoding.UTF8.GetBytes(note));
        }
        output.WriteLine($"closed: {partitions} partition(s), {heads.Sum(h => h.Size)} accepted votes, {rejected} rejected records; final heads {string.Join(", ", heads.Select(h => $"p{h.Partition} {h.Size} {h.Root.ToBase64()}"))}");
        output.Write(note);
        return ExitCodes.Ok;
    }
}
