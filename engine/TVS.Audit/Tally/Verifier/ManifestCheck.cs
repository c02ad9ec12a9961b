using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// manifest.json, version 2 (docs/formats.md "Election record"): every listed file present with
/// its SHA-256; every file of the record listed except the board's tiles and bundles
/// (<c>p{k}/tile/…</c>) and the shares files (<c>shares/…</c>), which authenticate themselves;
/// the partitions' heads it states, compared with the close statement later. An unreadable
/// manifest, or one of another version, stops the run.
/// </summary>
internal static class ManifestCheck
{
    /// <summary>What the manifest states beside its files: the election and each partition's size and root.</summary>
    /// <param name="PartitionPaths">Per partition number met in a path (<c>p{k}/…</c>, <c>checkpoints/p{k}/…</c>): its first path and how many there are (for <see cref="StrayPartitionsCheck"/>).</param>
    public sealed record Manifest(string? ElectionId, List<PartitionHead> Partitions, SortedDictionary<int, (string First, long Count)> PartitionPaths);

    public static Manifest Run(RecordReader record, VerificationReport report)
    {
        var json = new RecordJson(ElectionRecord.ManifestFile);
        JsonArray files;
        JsonObject m;
        try
        {
            m = json.Document(record.ReadText(ElectionRecord.ManifestFile));
            files = json.OptionalArray(m, "files") ?? [];
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            throw report.Stop(RecordReader.Describe(ElectionRecord.ManifestFile, e));
        }
        int version = m["version"] is JsonValue v && v.TryGetValue(out int n) ? n : 0;
        if (version != RecordLayout.ManifestVersion)
        {
            throw report.Stop($"{ElectionRecord.ManifestFile}: version {m["version"]?.ToJsonString() ?? "missing"}: this verifier reads version {RecordLayout.ManifestVersion} (the bulletin board's tiles and bundles plus the election's files; a version 1 record with votes/ files is read by the verifier of its time)");
        }
        var heads = ReadPartitions(json, m, report);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        int bad = 0;
        for (int k = 0; k < files.Count; k++)
        {
            string rel, want;
            try
            {
                string at = RecordJson.PathOf("files", k);
                var f = json.AsObject(files[k], at);
                rel = json.OptionalString(f, "path", at) ?? "";
                want = json.OptionalString(f, "sha256", at) ?? "";
            }
            catch (RecordFormatException e)
            {
                report.Fail(e.Message);
                bad++;
                continue;
            }
            if (rel.Length == 0 || rel.StartsWith('/') || rel.Split('/').Any(p => p is "" or "." or ".."))
            {
                report.Fail($"{ElectionRecord.ManifestFile}: entry '{rel}' is not a plain relative path");
                bad++;
                continue;
            }
            listed.Add(rel);
            var bytes = record.Store.TryGet(rel);
            if (bytes is null)
            {
                report.Fail($"{ElectionRecord.ManifestFile}: {rel}: listed but missing from the record");
                bad++;
                continue;
            }
            string have = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (have != want)
            {
                report.Fail($"{ElectionRecord.ManifestFile}: {rel}: SHA-256 mismatch (manifest {want}, file {have})");
                bad++;
            }
        }
        // One walk over the record's paths (streamed by the store): unlisted files, which only the
        // tiles and the shares may be.
        long unhashed = 0;
        var partitionPaths = new SortedDictionary<int, (string First, long Count)>();
        foreach (var rel in record.Store.List(""))
        {
            if (ElectionRecord.IsPartitionPath(rel, out int k, out _)
                || (rel.StartsWith("checkpoints/", StringComparison.Ordinal) && ElectionRecord.IsPartitionPath(rel["checkpoints/".Length..], out k, out _)))
            {
                partitionPaths[k] = partitionPaths.TryGetValue(k, out var seen) ? (seen.First, seen.Count + 1) : (rel, 1);
            }
            if (rel == ElectionRecord.ManifestFile || listed.Contains(rel))
            {
                continue;
            }
            if (ElectionRecord.IsListedInManifest(rel))
            {
                report.Fail($"{rel}: in the record but not listed in {ElectionRecord.ManifestFile}");
                bad++;
            }
            else
            {
                unhashed++;
            }
        }
        if (bad == 0)
        {
            report.Ok($"{ElectionRecord.ManifestFile}: version {version}, {listed.Count} files, every SHA-256 matches, no unlisted file ({unhashed} tiles, entry bundles and shares files authenticated by their own checks)");
        }
        return new Manifest(m["electionId"] is JsonValue id && id.TryGetValue(out string? text) ? text : null, heads, partitionPaths);
    }

    private static List<PartitionHead> ReadPartitions(RecordJson json, JsonObject m, VerificationReport report)
    {
        var heads = new List<PartitionHead>();
        try
        {
            var array = json.Array(m, "partitions");
            for (int k = 0; k < array.Count; k++)
            {
                string at = RecordJson.PathOf("partitions", k);
                var p = json.AsObject(array[k], at);
                int partition = json.Int(p, "partition", at);
                long size = json.Long(p, "size", at);
                string root = json.String(p, "root", at);
                if (!Hash256.TryFromBase64(root, out var hash))
                {
                    throw json.Error(RecordJson.PathOf(at, "root"), $"'{root}' is not a base64 SHA-256 hash");
                }
                heads.Add(new PartitionHead(partition, size, hash));
            }
        }
        catch (RecordFormatException e)
        {
            report.Fail(e.Message);
        }
        return heads;
    }
}
