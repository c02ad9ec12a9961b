using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Threshold;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// After voting (docs/election-guide.md, "Close, tally, publish, verify"): <c>tvs election
/// close</c> (operator), <c>tvs trustee decrypt</c> (each trustee), <c>tvs tally</c> (anyone with
/// t trustees' shares). Exit codes as <see cref="EngineCommands"/>: 0 done, 1 refused (a check
/// failed), 2 unusable input.
/// </summary>
public static partial class ElectionCommands
{
    /// <summary>Where <c>tvs tally</c> leaves the result and the shares it combined, inside the data directory.</summary>
    public const string TallyDirectory = "tally";

    private static ElectionSetup? LoadElection(string election, TextWriter error)
    {
        try
        {
            var setup = ElectionSetup.Load(election, allowInsecure: true);
            if (setup.Insecure != null)
            {
                error.WriteLine($"WARNING: insecure election ({setup.Insecure})");
            }
            return setup;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException)
        {
            error.WriteLine($"election {election}: {e.Message}");
            return null;
        }
    }

    /// <summary>The public side of an election directory (or record): id, checkpoint key and partition count from election.json.</summary>
    public static (Guid Id, NoteVerifier Key, int Partitions) ReadPublicElection(string directory)
    {
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ElectionSetup.ManifestFile))) as JsonObject
            ?? throw new InvalidDataException($"{ElectionSetup.ManifestFile}: not a JSON object");
        return (Guid.Parse(RequiredString(m, "electionId")), NoteVerifier.Parse(RequiredString(m, "checkpointVerifierKey")), ElectionRecord.ReadPartitions(m));
    }

    private static string RequiredString(JsonObject manifest, string field)
        => manifest[field] is JsonValue v && v.TryGetValue(out string? s) ? s
            : throw new InvalidDataException($"{ElectionSetup.ManifestFile}: \"{field}\" is missing or not a string");

    /// <summary>The election's checkpoint witnesses (election.json <c>witnesses</c>/<c>witnessQuorum</c>), null when it lists none; <see cref="InvalidDataException"/> when malformed.</summary>
    public static TVS.Engine.Election.WitnessPolicy? ReadWitnessPolicy(string directory)
        => TVS.Engine.Election.WitnessPolicy.FromManifest(JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ElectionSetup.ManifestFile)))!);

    /// <summary>
    /// The closed election as the post-voting verbs read it (docs/design.md "After voting"): the
    /// board (<paramref name="board"/>: a directory or the engines' s3:// prefix; else
    /// <c>DATA/board</c>), the close statement on it (else, embedded, <c>DATA/close.note</c>),
    /// opened with the election's checkpoint key, and the ballots, every partition authenticated
    /// against its head in the close statement. Never an engine's vote files.
    /// </summary>
    public static ClosedBoard OpenClosedBoard(string election, string? data, string? board, string? s3Endpoint)
    {
        var (id, key, partitions) = ReadPublicElection(election);
        string location = board ?? (data != null ? Path.Combine(data, "board") : throw new InvalidOperationException("give --board (a directory or s3://bucket/prefix/) or --data"));
        IRecordStore store = StoreLocations.IsS3(location) ? StoreLocations.OpenBoard(location, id, s3Endpoint) : new DirectoryRecordStore(location, create: false);
        try
        {
            var note = store.TryGet(CloseStatement.FileName);
            if (note is null && data != null && File.Exists(Path.Combine(data, CloseStatement.FileName)))
            {
                note = File.ReadAllBytes(Path.Combine(data, CloseStatement.FileName));
            }
            if (note is null)
            {
                throw new InvalidOperationException($"{store.Location}: no {CloseStatement.FileName}: the election is not closed (run tvs election close first)");
            }
            var close = CloseStatement.Open(System.Text.Encoding.UTF8.GetString(note), key, id);
            if (close.Partitions != partitions)
            {
                throw new InvalidDataException($"{store.Location}: the close statement covers {close.Partitions} partition(s), election.json names {partitions}");
            }
            return new ClosedBoard(id, store, close, new BoardBallots(store, close));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The accepted votes of a closed election's board, one list per partition, in memory (small elections: tests, the demo's expectations).</summary>
    public static List<List<AcceptedVote>> ReadClosedVotes(string election, string data, out ClosedElection close, string? board = null)
    {
        using var closed = OpenClosedBoard(election, data, board, null);
        close = closed.Close;
        var all = new List<List<AcceptedVote>>();
        foreach (var part in closed.Ballots.Partitions)
        {
            var votes = new List<AcceptedVote>((int)part.Size);
            closed.Ballots.Read(closed.Ballots.FirstBallotOf(part.Partition), (int)part.Size, (_, _, index, record) => votes.Add(new AcceptedVote(index, 0, record.ToArray())));
            all.Add(votes);
        }
        return all;
    }

    public static DkgResult ReadElectionKey(string directory) =>
        CeremonyFiles.ReadResult(Path.Combine(directory, ElectionRecord.ElectionKeyFile));
}

/// <summary>A closed election's board, close statement and ballots (<see cref="ElectionCommands.OpenClosedBoard"/>).</summary>
public sealed record ClosedBoard(Guid ElectionId, IRecordStore Board, ClosedElection Close, BoardBallots Ballots) : IDisposable
{
    public void Dispose() => Board.Dispose();
}
