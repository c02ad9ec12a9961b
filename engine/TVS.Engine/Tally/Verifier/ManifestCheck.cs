using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TVS.Engine.Tally;

/// <summary>manifest.json: every listed file present with its SHA-256, every file of the record listed. An unreadable manifest stops the run.</summary>
internal static class ManifestCheck
{
    public static void Run(RecordReader record, VerificationReport report)
    {
        JsonNode m;
        try
        {
            m = JsonNode.Parse(File.ReadAllText(record.PathOf(ElectionRecord.ManifestFile)))!;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw report.Stop($"{ElectionRecord.ManifestFile}: {e.Message}");
        }
        var listed = new HashSet<string>(StringComparer.Ordinal);
        int bad = 0;
        foreach (var f in m["files"]?.AsArray() ?? [])
        {
            string rel = (string?)f?["path"] ?? "";
            string want = (string?)f?["sha256"] ?? "";
            if (rel.Length == 0 || rel.StartsWith('/') || rel.Split('/').Any(p => p is "" or "." or ".."))
            {
                report.Fail($"{ElectionRecord.ManifestFile}: entry '{rel}' is not a plain relative path");
                bad++;
                continue;
            }
            listed.Add(rel);
            string full = record.PathOf(rel);
            if (!File.Exists(full))
            {
                report.Fail($"{ElectionRecord.ManifestFile}: {rel}: listed but missing from the record");
                bad++;
                continue;
            }
            string have = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full)));
            if (have != want)
            {
                report.Fail($"{ElectionRecord.ManifestFile}: {rel}: SHA-256 mismatch (manifest {want}, file {have})");
                bad++;
            }
        }
        foreach (var rel in ElectionRecord.ListFiles(record.Directory))
        {
            if (rel != ElectionRecord.ManifestFile && !listed.Contains(rel))
            {
                report.Fail($"{rel}: in the record but not listed in {ElectionRecord.ManifestFile}");
                bad++;
            }
        }
        if (bad == 0)
        {
            report.Ok($"{ElectionRecord.ManifestFile}: {listed.Count} files, every SHA-256 matches, no unlisted file");
        }
    }
}
