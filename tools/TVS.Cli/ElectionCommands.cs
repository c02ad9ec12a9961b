using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Threshold;
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
    /// The accepted votes of a closed data directory, one list per partition (0..P-1), each checked
    /// against its head in the signed close statement (signature, size, root recomputed from the
    /// records): what trustees decrypt and the record publishes.
    /// </summary>
    public static List<List<AcceptedVote>> ReadClosedVotes(string election, string data, out ClosedElection close)
    {
        var (id, key, partitions) = ReadPublicElection(election);
        string statement = Path.Combine(data, CloseStatement.FileName);
        if (!File.Exists(statement))
        {
            throw new InvalidOperationException($"{data} is not closed (no {CloseStatement.FileName}): run tvs election close first");
        }
        close = CloseStatement.Open(File.ReadAllText(statement), key, id);
        if (close.Partitions != partitions)
        {
            throw new InvalidDataException($"{data}: the close statement covers {close.Partitions} partition(s), election.json names {partitions}");
        }
        var all = new List<List<AcceptedVote>>();
        foreach (var head in close.Heads)
        {
            long size = head.Size;
            var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, head.Partition)).Where(v => v.MmrIndex < size).ToList();
            if (votes.Count != size || Rfc9162.MerkleTreeHash(votes.Select(v => Rfc9162.HashLeaf(v.Record)).ToArray()) != head.Root)
            {
                throw new InvalidDataException($"{data}: partition {head.Partition}'s accepted votes do not match the signed close statement (size {size}, root {head.Root.ToBase64()})");
            }
            all.Add(votes);
        }
        return all;
    }

    /// <summary>
    /// The election's ballot order (docs/formats.md, "Decryption shares file"): partition 0's
    /// votes in MMR index order, then partition 1's, and so on. Ballot i of the shares files and
    /// of the result is the i-th vote of this list.
    /// </summary>
    public static List<AcceptedVote> BallotOrder(IEnumerable<List<AcceptedVote>> partitions) => partitions.SelectMany(p => p).ToList();

    public static DkgResult ReadElectionKey(string directory) =>
        CeremonyFiles.ReadResult(Path.Combine(directory, ElectionRecord.ElectionKeyFile));
}
