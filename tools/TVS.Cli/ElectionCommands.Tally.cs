using System.CommandLine;
using System.Text.Json;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Cli;

/// <summary><c>tvs tally</c>: t trustees' shares combined, checked and counted into the result.</summary>
public static partial class ElectionCommands
{
    public static Command BuildTally()
    {
        var cmd = new Command("tally", "Combine t trustees' decryption shares (every DLEQ proof verified first, or with --proofs on-failure only where a ballot's tag fails), decrypt and count; by range of ballots read from the bulletin board, on every core, resumable");
        var e = new Option<DirectoryInfo?>("--election") { Description = "election directory (with --board or --data)" };
        var board = new Option<string?>("--board") { Description = "the election's bulletin board, closed (close.note): a directory, or s3://bucket/prefix/ as the engines publish it (default: DATA/board)" };
        var d = new Option<DirectoryInfo?>("--data") { Description = "embedded: the closed data directory (its board DATA/board, its close.note)" };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "S3-compatible endpoint of an s3:// board (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS)" };
        var record = new Option<DirectoryInfo?>("--record") { Description = "or: an election record directory (its board, election.json, election-key.json, contests.json)" };
        var shares = new Option<DirectoryInfo[]>("--shares") { Description = "directories holding the trustees' shares files (trustee-NN/chunk-*.shares, searched recursively)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"where to write result.json, the shares used and the finished ranges (resume) (default: DATA/{TallyDirectory})" };
        var json = new Option<bool>("--json") { Description = "print result.json" };
        var threads = new Option<int>("--threads") { Description = "ranges tallied at once (default: every core)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var proofs = new Option<string>("--proofs")
        {
            Description = "all: verify every share's DLEQ proof before decrypting; on-failure: combine first and verify the proofs of a ballot only when its tag fails "
                + "(a wrong share is still caught; a bad proof beside a right share is left to tvs verify). docs/election-guide.md, \"Tally\"",
            DefaultValueFactory = _ => "all",
        };
        proofs.AcceptOnlyFromAmong("all", "on-failure");
        foreach (var o in new Option[] { e, board, d, s3Endpoint, record, shares, output, json, threads, proofs })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Tally(r.GetValue(e)?.FullName, r.GetValue(d)?.FullName, r.GetValue(record)?.FullName,
            r.GetValue(shares)!.Select(s => s.FullName).ToArray(), r.GetValue(output)?.FullName, r.GetValue(json), Console.Out, Console.Error,
            r.GetValue(proofs) == "on-failure" ? TallyProofs.OnFailure : TallyProofs.All, r.GetValue(board), r.GetValue(s3Endpoint), Math.Max(1, r.GetValue(threads))));
        return cmd;
    }

    public static int Tally(string? election, string? data, string? record, string[] shareDirs, string? outDir, bool json, TextWriter output, TextWriter error,
        TallyProofs proofs = TallyProofs.All, string? board = null, string? s3Endpoint = null, int threads = -1)
    {
        try
        {
            string publicDir;
            ClosedBoard closed;
            if (record != null)
            {
                publicDir = record;
                if (outDir is null)
                {
                    error.WriteLine("tvs tally: with --record, give --out");
                    return ExitCodes.Unusable;
                }
                closed = OpenClosedBoard(record, null, record, null);
            }
            else if (election != null && (data != null || board != null))
            {
                publicDir = election;
                if (outDir is null && data is null)
                {
                    error.WriteLine("tvs tally: with --board, give --out");
                    return ExitCodes.Unusable;
                }
                outDir ??= Path.Combine(data!, TallyDirectory);
                closed = OpenClosedBoard(election, data, board, s3Endpoint);
            }
            else
            {
                error.WriteLine("tvs tally: give --election and --board (or --data), or --record");
                return ExitCodes.Unusable;
            }
            using var _ = closed;
            var dkg = ReadElectionKey(publicDir);
            var contests = ContestList.Load(Path.Combine(publicDir, ContestList.FileName));
            var shares = ShareFiles.FindInDirectories(shareDirs);
            Directory.CreateDirectory(outDir);
            using var work = new DirectoryRecordStore(outDir, replaceable: true);
            var started = System.Diagnostics.Stopwatch.StartNew();
            var result = Tallier.Run(closed.ElectionId, dkg, contests, closed.Ballots, shares, proofs, new TallyOptions { Threads = threads > 0 ? threads : Environment.ProcessorCount, Work = work });
            double seconds = started.Elapsed.TotalSeconds;

            // Keep what was combined next to the result: the record publishes exactly these shares.
            string sharesOut = Path.Combine(outDir, ElectionRecord.SharesDirectory);
            if (Directory.Exists(sharesOut))
            {
                Directory.Delete(sharesOut, recursive: true);
            }
            using (var copy = new DirectoryRecordStore(sharesOut))
            {
                foreach (var f in shares.All.Where(f => result.Trustees.Contains(f.Trustee)))
                {
                    copy.Put(ShareChunk.TrusteeDirectory(f.Trustee) + "/" + ShareChunk.FileName(f.First), f.Store.TryGet(f.Path) ?? throw new IOException($"{f.Name}: vanished while tallying"));
                }
            }
            result.Write(Path.Combine(outDir, TallyResult.FileName));
            // The finished ranges served their purpose once the result is written.
            string workDir = Path.Combine(outDir, Tallier.WorkDirectory);
            if (Directory.Exists(workDir))
            {
                Directory.Delete(workDir, recursive: true);
            }
            if (json)
            {
                output.WriteLine(result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                PrintResult(result, output);
                output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"tallied {result.Ballots:N0} ballots in {seconds:F1} s ({(seconds > 0 ? result.Ballots / seconds : 0):N0} ballots/s on {(threads > 0 ? threads : Environment.ProcessorCount)} thread(s)) → {outDir}"));
            }
            return ExitCodes.Ok;
        }
        catch (TallyException e)
        {
            error.WriteLine($"tvs tally: {e.Message}");
            foreach (var m in e.Failures.Skip(1))
            {
                error.WriteLine($"tvs tally: also {m}");
            }
            return ExitCodes.Invalid;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException or NoteException or ArgumentException
            or Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException)
        {
            error.WriteLine($"tvs tally: {e.Message}");
            return ExitCodes.Unusable;
        }
    }

    public static void PrintResult(TallyResult result, TextWriter output)
    {
        output.WriteLine($"election {result.ElectionId}: {result.Ballots:N0} ballots, shares of trustees {string.Join(", ", result.Trustees)} (t = {result.Threshold})");
        for (int k = 0; k < result.Contests.Count; k++)
        {
            var c = result.Contests.Contests[k];
            output.WriteLine($"  {c.Name}");
            for (int j = 0; j < c.Candidates.Count; j++)
            {
                output.WriteLine($"    {c.Candidates[j],-20} {result.Counts[k][j],12:N0}");
            }
        }
        output.WriteLine($"  spoiled: {result.Spoiled.Count:N0}{(result.Spoiled.Count > 0 ? " (" + string.Join(", ", result.SpoiledByReason().Select(kv => $"{kv.Key} {kv.Value}")) + ")" : "")}");
    }
}
