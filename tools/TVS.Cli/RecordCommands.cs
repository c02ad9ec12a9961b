using System.CommandLine;
using System.Text.Json.Nodes;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// <c>tvs record export</c> (operator: the election record, docs/formats.md "Election record") and
/// <c>tvs verify</c> (anyone: checks a record with its files alone). Exit codes: 0 valid / done,
/// 1 invalid, 2 unusable input.
/// </summary>
public static partial class RecordCommands
{
    /// <summary>Public folders of an election directory copied into the record when present (issuers' keys, signed registry roots).</summary>
    public static readonly string[] OptionalPublicDirectories = ["issuers", "roots", "registry"];

    public static Command BuildRecord()
    {
        var record = new Command("record", "The election record");
        var export = new Command("export", "Write the election record of a closed, tallied election: public files only, with a SHA-256 manifest");
        var e = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var d = new Option<DirectoryInfo>("--data") { Description = $"the closed data directory (with {ElectionCommands.TallyDirectory}/ from tvs tally)", Required = true };
        var o = new Option<DirectoryInfo>("--out") { Description = "the record directory to create (must not exist or be empty)", Required = true };
        export.Options.Add(e);
        export.Options.Add(d);
        export.Options.Add(o);
        export.SetAction(r => Export(r.GetValue(e)!.FullName, r.GetValue(d)!.FullName, r.GetValue(o)!.FullName, Console.Out, Console.Error));
        record.Subcommands.Add(export);
        return record;
    }

    public static int Export(string election, string data, string outDir, TextWriter output, TextWriter error, string? board = null)
    {
        try
        {
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            {
                error.WriteLine($"tvs record export: {outDir} is not empty");
                return ExitCodes.Unusable;
            }
            string tally = Path.Combine(data, ElectionCommands.TallyDirectory);
            if (!File.Exists(Path.Combine(tally, TallyResult.FileName)))
            {
                error.WriteLine($"tvs record export: {tally}/{TallyResult.FileName} missing: run tvs tally first");
                return ExitCodes.Unusable;
            }
            var partitions = ElectionCommands.ReadClosedVotes(election, data, out var close, board);
            var (id, _, _) = ElectionCommands.ReadPublicElection(election);
            Directory.CreateDirectory(outDir);

            // Public election files only: election.json and what it names, never secrets/.
            File.Copy(Path.Combine(election, ElectionSetup.ManifestFile), Path.Combine(outDir, ElectionRecord.ElectionFile));
            var m = JsonNode.Parse(File.ReadAllText(Path.Combine(election, ElectionSetup.ManifestFile)))!;
            foreach (var (_, file) in m["verificationKeys"]!.AsObject())
            {
                CopyInto(Path.Combine(election, (string)file!), outDir, (string)file!);
            }
            File.Copy(Path.Combine(election, ContestList.FileName), Path.Combine(outDir, ContestList.FileName));
            File.Copy(Path.Combine(election, ElectionRecord.ElectionKeyFile), Path.Combine(outDir, ElectionRecord.ElectionKeyFile));
            foreach (var dir in OptionalPublicDirectories.Where(x => Directory.Exists(Path.Combine(election, x))))
            {
                foreach (var f in Directory.EnumerateFiles(Path.Combine(election, dir), "*", SearchOption.AllDirectories))
                {
                    CopyInto(f, outDir, Path.GetRelativePath(election, f));
                }
            }

            // The bulletin board, per partition: accepted votes and every signed checkpoint; then the
            // close statement that binds every partition's final head.
            int checkpoints = 0;
            for (int k = 0; k < partitions.Count; k++)
            {
                string votesFile = Path.Combine(outDir, ElectionRecord.VotesFile(k));
                Directory.CreateDirectory(Path.GetDirectoryName(votesFile)!);
                AcceptedVoteFile.Write(votesFile, partitions[k]);
                foreach (var note in Directory.EnumerateFiles(LocalPartition.CheckpointDirectory(data, k), "*.note").Where(n => Path.GetFileName(n) != LocalCheckpointSink.LatestFile))
                {
                    CopyInto(note, outDir, ElectionRecord.CheckpointsDirectory(k) + "/" + Path.GetFileName(note));
                    checkpoints++;
                }
            }
            File.Copy(Path.Combine(data, CloseStatement.FileName), Path.Combine(outDir, CloseStatement.FileName));

            // The tally: the shares that were combined, and the result.
            int shareFiles = 0;
            foreach (var f in ShareChunk.FindFiles(Path.Combine(tally, ElectionRecord.SharesDirectory)))
            {
                CopyInto(f, outDir, Path.GetRelativePath(tally, f));
                shareFiles++;
            }
            File.Copy(Path.Combine(tally, TallyResult.FileName), Path.Combine(outDir, TallyResult.FileName));
            ElectionRecord.WriteManifest(outDir, id);
            output.WriteLine($"record {outDir}: {partitions.Sum(p => p.Count):N0} votes in {partitions.Count} partition(s), {checkpoints} checkpoint(s), close statement (root {close.Checkpoint.Root.ToBase64()}), {shareFiles} shares file(s), result; {ElectionRecord.ListFiles(outDir).Count} files in {ElectionRecord.ManifestFile}");
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or System.Text.Json.JsonException or TVS.Merkle.NoteException)
        {
            error.WriteLine($"tvs record export: {e.Message}");
            return ExitCodes.Unusable;
        }
    }

    private static void CopyInto(string source, string root, string relative)
    {
        string target = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target);
    }
}
