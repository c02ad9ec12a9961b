using System.CommandLine;
using System.Globalization;
using System.Text;
using TVS.Engine.Board;
using TVS.Engine.Tally;
using TVS.Ingest.Kafka;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// <c>tvs election close</c>: the operator ends the voting. Every partition the election has must
/// be stopped cleanly (its last signed checkpoint covers everything committed), published on the
/// board (same checkpoint, tiles that hash to it, witnessed at quorum when the election lists
/// witnesses); then the close statement is signed and published on the board as <c>close.note</c>.
/// </summary>
public static partial class ElectionCommands
{
    public static Command Build()
    {
        var election = new Command("election", "The election lifecycle after voting");
        var close = new Command("close", "Close the election from the production stores (PostgreSQL, or an embedded data directory, and the board): every partition's final signed checkpoint against its committed progress and the board, then the close statement signed and published on the board (close.note)");
        var stores = new StoreArguments.Options();
        stores.AddTo(close);
        close.SetAction(r => Close(stores.Read(r), Console.Out, Console.Error));
        election.Subcommands.Add(close);
        return election;
    }

    /// <summary>The embedded close: <paramref name="data"/> is the authority, the board is <paramref name="board"/> (default <c>DATA/board</c>).</summary>
    public static int Close(string election, string data, TextWriter output, TextWriter error, string? board = null)
        => Close(new StoreArguments(election) { Data = data, Board = board }, output, error);

    /// <summary>
    /// Closes the election of <paramref name="args"/>. Embedded (a data directory), the close also
    /// publishes the board up to the final checkpoint when it lags and the election lists no
    /// witnesses (as <c>tvs board publish --data</c> would), rewrites the final checkpoint files
    /// with the witnessed notes, and leaves <c>close.note</c> in the data directory too (the marker
    /// that keeps <c>tvs engine run</c> from running there again).
    /// </summary>
    public static int Close(StoreArguments args, TextWriter output, TextWriter error)
    {
        const string Verb = "tvs election close";
        using var setup = LoadElection(args.Election, error);
        if (setup is null)
        {
            return ExitCodes.Unusable;
        }
        using var stores = ElectionStores.Open(args, setup.Id, setup.Signer.Verifier, error, Verb);
        if (stores is null)
        {
            return ExitCodes.Unusable;
        }
        try
        {
            return Close(setup, stores, output, error);
        }
        catch (Exception e) when (e is IOException or Npgsql.NpgsqlException or Confluent.Kafka.KafkaException or Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException or InvalidOperationException or TimeoutException or NoteException or FormatException or System.Text.Json.JsonException)
        {
            error.WriteLine($"{Verb}: {(e is Amazon.Runtime.AmazonClientException ? $"S3 ({stores.Board.Location}; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the engine's config): " : "")}{e.Message}: not closed");
            return ExitCodes.Unusable;
        }
    }

    private static int Close(ElectionSetup setup, ElectionStores stores, TextWriter output, TextWriter error)
    {
        int partitions = setup.Partitions;
        int Refuse(string why)
        {
            error.WriteLine($"tvs election close: {why}: not closed");
            return ExitCodes.Invalid;
        }
        string? dataStatement = stores.Data is { } d ? Path.Combine(d, CloseStatement.FileName) : null;
        if (dataStatement is not null && File.Exists(dataStatement))
        {
            return Refuse($"{stores.Data} is already closed ({CloseStatement.FileName})");
        }
        if (stores.Board.TryGet(CloseStatement.FileName) is not null)
        {
            return Refuse($"the election is already closed: the board {stores.Board.Location} has {CloseStatement.FileName}");
        }
        if (stores.Data is { } data && CheckEmbedded(data, partitions, Refuse) is int refused)
        {
            return refused;
        }
        if (!stores.Embedded)
        {
            int? registered = stores.RegisteredPartitions();
            if (registered is null)
            {
                return Refuse($"election {setup.Id:D} is not registered in PostgreSQL (table elections): no engine ran it against this database");
            }
            if (registered != partitions)
            {
                return Refuse($"election {setup.Id:D} is registered in PostgreSQL (table elections) with {registered} partition(s), election.json says {partitions}");
            }
        }
        if (stores.Kafka is { } kafka)
        {
            try
            {
                KafkaTopics.RequirePartitionCount(kafka, KafkaTopics.Pending, partitions);
            }
            catch (PartitionCountMismatchException e)
            {
                return Refuse(e.Message);
            }
        }

        var heads = new List<PartitionHead>();
        var witnessed = new List<(int Partition, long Size, string Note)>();
        long accepted = 0, rejected = 0;
        for (int k = 0; k < partitions; k++)
        {
            var progress = stores.Progress(k);
            var latest = stores.Source.LatestCheckpoint(k);
            if (progress is null || latest is null)
            {
                return Refuse($"{stores.Authority} has no {(progress is null ? "committed progress" : "signed checkpoint")} of partition {k} (of {partitions}): run its engine to a clean stop first: its last sync signs the final checkpoint");
            }
            Checkpoint final;
            try
            {
                final = Checkpoint.Open(latest.Note, setup.Signer.Verifier, setup.Origin(k));
            }
            catch (Exception e) when (e is NoteException or FormatException)
            {
                return Refuse($"{stores.Authority}: the latest checkpoint of partition {k} is not signed by the election's key for {setup.Origin(k)}: {e.Message}");
            }
            var p = progress.Value;
            if (final.Size != p.MmrSize || final.Root != p.MmrRoot)
            {
                return Refuse($"partition {k}: the last signed checkpoint covers {final.Size} votes, {p.MmrSize} are committed{(final.Size == p.MmrSize ? " with another root" : "")}: run its engine to a clean stop first: its last sync signs the final checkpoint");
            }
            string finalBody = SignedNote.Parse(latest.Note).Text;
            string boardPath = RecordLayout.BoardCheckpoint(k);
            string? published = BoardCheckpointText(stores, boardPath);
            if (stores.Embedded && setup.Witnesses is null && (published is null || SignedNote.Parse(published).Text != finalBody))
            {
                // Embedded, the operator's own machine publishes: what tvs board publish --data does.
                var done = new BoardPublisher(stores.Board, stores.Source, k, setup.Signer.Verifier, setup.Origin(k)).PublishOnce();
                output.WriteLine($"partition {k}: board published up to {done.ToSize} (was {done.FromSize}), {done.TilesWritten} tiles and bundles written");
                published = BoardCheckpointText(stores, boardPath);
            }
            if (published is null)
            {
                return Refuse($"the board {stores.Board.Location} holds no checkpoint of partition {k} ({boardPath}): let the publisher catch up (tvs board publish; give --board if the board is elsewhere)");
            }
            Checkpoint onBoard;
            try
            {
                onBoard = Checkpoint.Open(published, setup.Signer.Verifier, setup.Origin(k));
            }
            catch (Exception e) when (e is NoteException or FormatException)
            {
                return Refuse($"{stores.Board.Location}/{boardPath}: not a checkpoint of partition {k} signed by the election's key: {e.Message}");
            }
            if (SignedNote.Parse(published).Text != finalBody)
            {
                return Refuse($"the board's checkpoint of partition {k} ({boardPath}, size {onBoard.Size}) is not the final one (size {final.Size}): let the publisher catch up (tvs board publish)");
            }
            if (setup.Witnesses is { } policy)
            {
                // The final heads are what the close binds: with witnesses they must be witnessed.
                var check = policy.Check(published);
                if (!check.Met)
                {
                    return Refuse($"partition {k}'s final checkpoint on the board is not witnessed ({check}): the publisher re-submits it until the witnesses answer");
                }
                witnessed.Add((k, final.Size, published));
                output.WriteLine($"partition {k}: final checkpoint cosigned by {string.Join(", ", check.Cosigners.Select(c => c.Witness.Name))} (quorum {policy.Quorum})");
            }
            try
            {
                BoardPartition.Open(stores.Board, k, final.Size, final.Root);
            }
            catch (BoardFormatException e)
            {
                return Refuse($"the board {stores.Board.Location}: {e.Message}");
            }
            output.WriteLine($"partition {k}: {final.Size} votes, {p.Rejected} rejected; final checkpoint signed, on the board, its tiles authentic");
            heads.Add(new PartitionHead(k, final.Size, final.Root));
            accepted += p.Accepted;
            rejected += p.Rejected;
        }

        string note = CloseStatement.Sign(setup.Signer, setup.Id, heads, accepted, rejected, DateTimeOffset.UtcNow);
        byte[] bytes = Encoding.UTF8.GetBytes(note);
        stores.Board.Put(CloseStatement.FileName, bytes);
        if (stores.Data is { } dataDir)
        {
            foreach (var (k, size, cosigned) in witnessed)
            {
                // The record's final checkpoint carries the witnesses' cosignatures (same body).
                byte[] cosignedBytes = Encoding.UTF8.GetBytes(cosigned);
                string dir = LocalPartition.CheckpointDirectory(dataDir, k);
                TVS.Engine.IO.AtomicFile.Write(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{size:D12}.note")), cosignedBytes);
                TVS.Engine.IO.AtomicFile.Write(Path.Combine(dir, LocalCheckpointSink.LatestFile), cosignedBytes);
            }
            TVS.Engine.IO.AtomicFile.Create(dataStatement!, bytes);
        }
        output.WriteLine($"closed: {partitions} partition(s), {heads.Sum(h => h.Size)} accepted votes, {rejected} rejected records; final heads {string.Join(", ", heads.Select(h => $"p{h.Partition} {h.Size} {h.Root.ToBase64()}"))}; published {stores.Board.Location.TrimEnd('/')}/{CloseStatement.FileName}");
        output.Write(note);
        return ExitCodes.Ok;
    }

    private static string? BoardCheckpointText(ElectionStores stores, string path) =>
        stores.Board.TryGet(path) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>
    /// The data directory's own checks: no partition directory the election does not name (a wrong
    /// "partitions" in election.json, or a stray engine: votes nobody would count), and no engine
    /// still running there. Null when both hold, else the refusal's exit code.
    /// </summary>
    private static int? CheckEmbedded(string data, int partitions, Func<string, int> refuse)
    {
        var stray = Directory.Exists(data)
            ? Directory.EnumerateDirectories(data, "p*").Select(Path.GetFileName)
                .Where(n => n!.Length > 1 && n[1..].All(char.IsAsciiDigit) && (n.Length > 6 || int.Parse(n[1..], CultureInfo.InvariantCulture) >= partitions)).Order(StringComparer.Ordinal).ToList()
            : [];
        if (stray.Count > 0)
        {
            return refuse($"{data} holds {string.Join(", ", stray)}, which election.json does not name (partitions {partitions})");
        }
        for (int k = 0; k < partitions; k++)
        {
            string votesFile = Path.Combine(LocalPartition.VotesDirectory(data, k), LocalVoteStore.VotesFile);
            if (!File.Exists(votesFile))
            {
                continue;
            }
            // A running engine holds votes.log open; an exclusive open fails then (advisory lock on Unix).
            try
            {
                using var probe = new FileStream(votesFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return refuse($"the engine of partition {k} is still running on {data} ({votesFile} is in use): stop it first (Ctrl-C / SIGTERM signs the final checkpoint)");
            }
        }
        return null;
    }
}
