using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// The close statement, <c>close.note</c> (docs/formats.md, "Close statement"): a C2SP signed
/// note in checkpoint form, signed with the election's checkpoint key, under the distinct origin
/// <c>tvs/{election id}/close</c> so it can never pass for a partition checkpoint:
/// <code>
/// tvs/{id}/close
/// {final tree size}
/// {base64 final root}
/// accepted {n}
/// rejected {n}
/// partitions 1
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

    public static string Sign(NoteSigner signer, Guid electionId, long size, Hash256 root, long accepted, long rejected, DateTimeOffset closedAt) =>
        new Checkpoint(Origin(electionId), size, root,
        [
            string.Create(CultureInfo.InvariantCulture, $"accepted {accepted}"),
            string.Create(CultureInfo.InvariantCulture, $"rejected {rejected}"),
            "partitions 1",
            "closed " + closedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ]).Sign(signer);

    /// <summary>Verifies the signature and origin; returns the checkpoint and its accepted / rejected counts. Throws FormatException or NoteException.</summary>
    public static (Checkpoint Checkpoint, long Accepted, long Rejected) Open(string note, NoteVerifier verifier, Guid electionId)
    {
        var cp = Checkpoint.Open(note, verifier, Origin(electionId));
        long Get(string name)
        {
            var line = cp.Extensions.FirstOrDefault(e => e.StartsWith(name + " ", StringComparison.Ordinal)) ?? throw new FormatException($"no '{name}' line");
            return long.TryParse(line.AsSpan(name.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw new FormatException($"'{name}' is not a count");
        }
        return (cp, Get("accepted"), Get("rejected"));
    }
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
    public const string VotesFile = "votes/p0.votes";
    public const string CheckpointsDirectory = "checkpoints/p0";
    public const string SharesDirectory = "shares";

    /// <summary>Writes manifest.json listing every other file under <paramref name="record"/> with its size and SHA-256.</summary>
    public static void WriteManifest(string record, Guid electionId)
    {
        var files = new JsonArray();
        foreach (var rel in ListFiles(record).Where(f => f != ManifestFile))
        {
            var bytes = File.ReadAllBytes(Path.Combine(record, rel));
            files.Add(new JsonObject { ["path"] = rel, ["size"] = bytes.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) });
        }
        var m = new JsonObject { ["version"] = 1, ["electionId"] = electionId.ToString("D"), ["files"] = files };
        File.WriteAllText(Path.Combine(record, ManifestFile), m.ToJsonString(Json.Indented) + "\n");
    }

    /// <summary>Every file under <paramref name="record"/>, as '/'-separated relative paths, in ordinal order.</summary>
    public static List<string> ListFiles(string record) =>
        Directory.EnumerateFiles(record, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(record, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
}
