using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace TVS.Engine.Tally;

/// <summary>manifest.json: every listed file present with its SHA-256, every file of the record listed. An unreadable manifest stops the run.</summary>
internal static class ManifestCheck
{
    public static void Run(RecordReader record, VerificationReport report)
    {
        var json = new RecordJson(ElectionRecord.ManifestFile);
        JsonArray files;
        try
        {
            files = json.OptionalArray(json.Document(File.ReadAllText(record.PathOf(ElectionRecord.ManifestFile))), "files") ?? [];
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            throw report.Stop(RecordReader.Describe(ElectionRecord.ManifestFile, e));
        }
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
