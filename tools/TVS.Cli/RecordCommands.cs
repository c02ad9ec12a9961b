using System.CommandLine;
using System.Text.Json.Nodes;
using TVS.Engine.Tally;
using TVS.LoadGen;

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

    /// <summary>Files copied at once by default: the copy waits on storage, not on the cores.</summary>
    public const int DefaultExportThreads = 8;

    public static Command BuildRecord()
    {
        var record = new Command("record", "The election record");
        var export = new Command("export", "Write the election record of a closed, tallied election (the bulletin board plus the election's public files, every signed checkpoint, the dead letters, the shares and the result, manifest.json last) to a directory or an S3 prefix; a rerun resumes");
        var stores = new StoreArguments.Options();
        stores.AddTo(export);
        var tally = new Option<DirectoryInfo>("--tally") { Description = "the output directory of tvs tally (result.json, shares/)", Required = true };
        var o = new Option<string>("--out") { Description = "the record: a directory or s3://bucket/prefix/ (empty, or a partial export of the same record to resume)", Required = true };
        var threads = new Option<int>("--threads") { Description = "files copied at once", DefaultValueFactory = _ => DefaultExportThreads };
        export.Options.Add(tally);
        export.Options.Add(o);
        export.Options.Add(threads);
        export.SetAction(r => Export(stores.Read(r), r.GetValue(tally)!.FullName, r.GetValue(o)!, Console.Out, Console.Error, r.GetValue(threads)));
        record.Subcommands.Add(export);
        return record;
    }

    /// <summary>The embedded export: <paramref name="data"/> is the authority, its <c>tally/</c> the tally, <paramref name="board"/> (default <c>DATA/board</c>) the board.</summary>
    public static int Export(string election, string data, string outDir, TextWriter output, TextWriter error, string? board = null)
        => Export(new StoreArguments(election) { Data = data, Board = board }, Path.Combine(data, ElectionCommands.TallyDirectory), outDir, output, error);

    public static int Export(StoreArguments stores, string tally, string outLocation, TextWriter output, TextWriter error, int threads = DefaultExportThreads)
    {
        const string Verb = "tvs record export";
        try
        {
            var (id, key, partitions) = ElectionCommands.ReadPublicElection(stores.Election);
            using var opened = ElectionStores.Open(stores, id, key, error, Verb);
            if (opened is null)
            {
                return ExitCodes.Unusable;
            }
            var plan = RecordExport.Plan(stores.Election, id, key, partitions, opened, tally, output);
            if (plan.Refusal is { } refusal)
            {
                error.WriteLine($"{Verb}: {refusal}: nothing exported");
                return ExitCodes.Invalid;
            }
            using (plan)
            {
                var done = plan.Write(() => StoreLocations.OpenRecord(outLocation, opened.S3, create: true), Math.Max(1, threads));
                output.WriteLine($"record {outLocation}: {plan.Votes:N0} votes in {partitions} partition(s), {plan.CheckpointCount} checkpoint(s), {plan.DeadLetterCount} dead letter(s), close statement, {plan.ShareFiles} shares file(s), result; {done.Written} file(s) written, {done.Skipped} already there; {done.Listed} in {ElectionRecord.ManifestFile}");
            }
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or ArgumentException
            or System.Text.Json.JsonException or TVS.Merkle.NoteException or Npgsql.NpgsqlException or Confluent.Kafka.KafkaException or Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException or TimeoutException)
        {
            error.WriteLine($"{Verb}: {(e is Amazon.Runtime.AmazonClientException ? "S3 (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the engine's config): " : "")}{e.Message}");
            return ExitCodes.Unusable;
        }
    }

    /// <summary>The public files of an election directory: election.json, the verification keys it names, contests, the election key, issuers/roots/registry.</summary>
    internal static IEnumerable<(string Path, string Source)> PublicElectionFiles(string election)
    {
        yield return (ElectionRecord.ElectionFile, Path.Combine(election, ElectionSetup.ManifestFile));
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(election, ElectionSetup.ManifestFile)))!;
        foreach (var (_, file) in m["verificationKeys"]!.AsObject())
        {
            yield return ((string)file!, Path.Combine(election, (string)file!));
        }
        yield return (ContestList.FileName, Path.Combine(election, ContestList.FileName));
        yield return (ElectionRecord.ElectionKeyFile, Path.Combine(election, ElectionRecord.ElectionKeyFile));
        foreach (var dir in OptionalPublicDirectories.Where(x => Directory.Exists(Path.Combine(election, x))))
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(election, dir), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                yield return (Path.GetRelativePath(election, f).Replace('\\', '/'), f);
            }
        }
    }
}
