using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// The close statement, <c>close.note</c> (docs/formats.md, "Close statement"): a C2SP signed
/// note in checkpoint form, signed with the election's checkpoint key, under the distinct origin
/// <c>tvs/{election id}/close</c> so it can never pass for a partition checkpoint. Like the
/// combined checkpoint, its tree is the list of partition heads (size = number of partitions,
/// root = RFC 9162 MTH over the <c>p{k} {size} {root}</c> lines), so every partition's final
/// signed checkpoint is bound by the one signature:
/// <code>
/// tvs/{id}/close
/// {P}
/// {base64 MTH of the P partition lines}
/// p0 {size} {base64 root}
/// …
/// p{P-1} {size} {base64 root}
/// accepted {n}
/// rejected {n}
/// closed {UTC time, yyyy-MM-ddTHH:mm:ssZ}
/// </code>
/// Its presence in a data directory is also the closed marker: <c>tvs engine run</c> refuses to run there.
/// </summary>
public static class CloseStatement
{
    public const string FileName = "close.note";

    public static string Origin(Guid electionId) => $"tvs/{electionId:D}/close";

    /// <summary>The origin of partition <paramref name="partition"/>'s checkpoints (as ElectionSetup.Origin writes it).</summary>
    public static string PartitionOrigin(Guid electionId, int partition) => $"tvs/{electionId:D}/p{partition}";

    /// <summary>Signs the close over <paramref name="heads"/> (partitions 0..P-1, in order: the final signed checkpoint of each).</summary>
    public static string Sign(NoteSigner signer, Guid electionId, IReadOnlyList<PartitionHead> heads, long accepted, long rejected, DateTimeOffset closedAt)
    {
        ArgumentNullException.ThrowIfNull(heads);
        for (int i = 0; i < heads.Count; i++)
        {
            if (heads[i].Partition != i)
            {
                throw new ArgumentException("the close covers partitions 0..P-1, each once, in order", nameof(heads));
            }
        }
        var lines = heads.Select(h => h.ToLine()).ToList();
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"accepted {accepted}"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"rejected {rejected}"));
        lines.Add("closed " + closedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        return new Checkpoint(Origin(electionId), heads.Count, HeadsRoot(heads), lines).Sign(signer);
    }

    /// <summary>The root over partition heads: RFC 9162 MTH whose leaves are the partition lines (as the combined checkpoint's).</summary>
    public static Hash256 HeadsRoot(IEnumerable<PartitionHead> heads) =>
        Rfc9162.MerkleTreeHash(heads.Select(h => Checkpoint.CombinedLeafHash(h.ToLine())).ToArray());

    /// <summary>
    /// Verifies the signature and origin, and that the partition lines are p0..p{size-1} in order
    /// and hash to the root. Returns the checkpoint, the partition heads and the accepted /
    /// rejected counts. Throws FormatException or NoteException.
    /// </summary>
    public static ClosedElection Open(string note, NoteVerifier verifier, Guid electionId)
    {
        var cp = Checkpoint.Open(note, verifier, Origin(electionId));
        var heads = new List<PartitionHead>();
        foreach (var line in cp.Extensions.Where(e => e.Length > 1 && e[0] == 'p' && char.IsAsciiDigit(e[1])))
        {
            if (!PartitionHead.TryParse(line, out var head))
            {
                throw new FormatException($"bad partition line '{line}'");
            }
            if (head.Partition != heads.Count)
            {
                throw new FormatException($"partition line '{line}': expected partition {heads.Count} (lines p0..p{{P-1}}, in order, each once)");
            }
            heads.Add(head);
        }
        if (heads.Count != cp.Size)
        {
            throw new FormatException($"size {cp.Size} but {heads.Count} partition line(s)");
        }
        if (HeadsRoot(heads) != cp.Root)
        {
            throw new FormatException("the root is not the hash of the partition lines");
        }
        long Get(string name)
        {
            var line = cp.Extensions.FirstOrDefault(e => e.StartsWith(name + " ", StringComparison.Ordinal)) ?? throw new FormatException($"no '{name}' line");
            return long.TryParse(line.AsSpan(name.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw new FormatException($"'{name}' is not a count");
        }
        return new ClosedElection(cp, heads, Get("accepted"), Get("rejected"));
    }
}

/// <summary>An opened close statement: the note, each partition's final head, and the counts.</summary>
public sealed record ClosedElection(Checkpoint Checkpoint, IReadOnlyList<PartitionHead> Heads, long Accepted, long Rejected)
{
    public int Partitions => Heads.Count;
    public long TotalVotes => Heads.Sum(h => h.Size);
}

/// <summary>
/// The election record's layout (docs/formats.md, "Election record"): everything an auditor needs,
/// public only, each file listed with its SHA-256 in <c>manifest.json</c>.
/// </summary>
public static class ElectionRecord
{
    public const string ManifestFile = "manifest.json";
    public const string ElectionFile = "election.json";
    public const string ElectionKeyFile = "election-key.json";
    public const string SharesDirectory = "shares";

    /// <summary>Signed registry roots (as tvs issuer collect writes them), copied from the election directory.</summary>
    public const string RootsDirectory = "roots";

    /// <summary>Largest partition count an election manifest may name (Kafka allows more; no TVS election needs them).</summary>
    public const int MaxPartitions = 4096;

    /// <summary>
    /// The "partitions" of an election manifest (election.json): absent = 1 (elections before the
    /// field existed had one), otherwise an integer 1..<see cref="MaxPartitions"/>.
    /// </summary>
    public static int ReadPartitions(JsonNode manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var node = manifest["partitions"];
        if (node is null)
        {
            return 1;
        }
        int n = node is JsonValue v && v.TryGetValue(out int i) ? i : 0;
        return n is >= 1 and <= MaxPartitions ? n : throw new InvalidDataException($"election.json: \"partitions\" must be an integer 1..{MaxPartitions}");
    }



    /// <summary>
    /// Whether manifest.json lists <paramref name="path"/> with its SHA-256. The board's tiles and
    /// entry bundles (<c>p{k}/tile/…</c>: authenticated by the signed roots) and the shares files
    /// (<c>shares/…</c>: each with its trailing SHA-256, ballots digest and DLEQ proofs) are not
    /// listed, so that the manifest stays small whatever the number of votes; every other file is.
    /// </summary>
    public static bool IsListedInManifest(string path) => !RecordLayout.AuthenticatedElsewhere(path);

    /// <summary>Whether <paramref name="path"/> is under a partition's <c>p{k}/tile/</c> (its partition in <paramref name="partition"/>).</summary>
    public static bool IsBoardTile(string path, out int partition) => IsPartitionPath(path, out partition, out string rest) && rest.StartsWith("tile/", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="path"/> is <c>p{k}/…</c> with k a canonical decimal; <paramref name="rest"/> is what follows the slash.</summary>
    public static bool IsPartitionPath(string path, out int partition, out string rest)
    {
        ArgumentNullException.ThrowIfNull(path);
        partition = -1;
        rest = "";
        int slash = path.IndexOf('/');
        if (slash < 2 || path[0] != 'p' || !int.TryParse(path.AsSpan(1, slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || path.AsSpan(1, slash - 1).ToString() != k.ToString(CultureInfo.InvariantCulture))
        {
            return false;
        }
        partition = k;
        rest = path[(slash + 1)..];
        return true;
    }

    /// <summary>Partition <paramref name="partition"/>'s signed checkpoints, <c>{size:D12}.note</c>.</summary>
    public static string CheckpointsDirectory(int partition) => string.Create(CultureInfo.InvariantCulture, $"checkpoints/p{partition}");
}
