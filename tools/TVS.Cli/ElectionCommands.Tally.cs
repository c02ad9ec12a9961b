using System.CommandLine;
using System.Text.Json;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Cli;

/// <summary><c>tvs tally</c>: t trustees' shares combined, checked and counted into the result.</summary>
public static partial class ElectionCommands
{
    public static Command BuildTally()
    {
        var cmd = new Command("tally", "Combine t trustees' decryption shares (every DLEQ proof verified first, or with --proofs on-failure only where a ballot's tag fails), decrypt and count");
        var e = new Option<DirectoryInfo?>("--election") { Description = "election directory (with --data)" };
        var d = new Option<DirectoryInfo?>("--data") { Description = "the closed data directory" };
        var record = new Option<DirectoryInfo?>("--record") { Description = "or: an election record (its votes, election.json, election-key.json, contests.json)" };
        var shares = new Option<DirectoryInfo[]>("--shares") { Description = "directories holding the trustees' shares files (searched recursively)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"where to write result.json and the shares used (default: DATA/{TallyDirectory})" };
        var json = new Option<bool>("--json") { Description = "print result.json" };
        var proofs = new Option<string>("--proofs")
        {
            Description = "all: verify every share's DLEQ proof before decrypting; on-failure: combine first and verify the proofs of a ballot only when its tag fails "
                + "(a wrong share is still caught; a bad proof beside a right share is left to tvs verify). docs/election-guide.md, \"Tally\"",
            DefaultValueFactory = _ => "all",
        };
        proofs.AcceptOnlyFromAmong("all", "on-failure");
        foreach (var o in new Option[] { e, d, record, shares, output, json, proofs })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Tally(r.GetValue(e)?.FullName, r.GetValue(d)?.FullName, r.GetValue(record)?.FullName,
            r.GetValue(shares)!.Select(s => s.FullName).ToArray(), r.GetValue(output)?.FullName, r.GetValue(json), Console.Out, Console.Error,
            r.GetValue(proofs) == "on-failure" ? TallyProofs.OnFailure : TallyProofs.All));
        return cmd;
    }

    public static int Tally(string? election, string? data, string? record, string[] shareDirs, string? outDir, bool json, TextWriter output, TextWriter error, TallyProofs proofs = TallyProofs.All)
    {
        try
        {
            string publicDir;
            List<AcceptedVote> votes;
            if (record != null)
            {
                publicDir = record;
                int partitions = ReadPublicElection(record).Partitions;
                votes = BallotOrder(Enumerable.Range(0, partitions).Select(k => AcceptedVoteFile.Read(Path.Combine(record, ElectionRecord.VotesFile(k)))));
                if (outDir is null)
                {
                    error.WriteLine("tvs tally: with --record, give --out");
                    return ExitCodes.Unusable;
                }
            }
            else if (election != null && data != null)
            {
                publicDir = election;
                votes = BallotOrder(ReadClosedVotes(election, data, out _));
                outDir ??= Path.Combine(data, TallyDirectory);
            }
            else
            {
                error.WriteLine("tvs tally: give --election and --data, or --record");
                return ExitCodes.Unusable;
            }
            var (id, _, _) = ReadPublicElection(publicDir);
            var dkg = ReadElectionKey(publicDir);
            var contests = ContestList.Load(Path.Combine(publicDir, ContestList.FileName));
            var ballots = votes.Select(v => v.Ballot.ToArray()).ToList();
            var ephemerals = Tallier.Ephemerals(ballots);
            var shares = Tallier.LoadShares(shareDirs, id, ballots, ephemerals);
            var result = Tallier.Run(id, dkg, contests, ballots, shares, proofs);

            // Keep what was combined next to the result: the record publishes exactly these shares.
            Directory.CreateDirectory(outDir);
            string sharesOut = Path.Combine(outDir, ElectionRecord.SharesDirectory);
            if (Directory.Exists(sharesOut))
            {
                Directory.Delete(sharesOut, recursive: true);
            }
            foreach (var s in shares.Values)
            {
                string dir = Path.Combine(sharesOut, ShareChunk.TrusteeDirectory(s.Trustee));
                Directory.CreateDirectory(dir);
                foreach (var (first, _, path) in s.Files)
                {
                    File.Copy(path, Path.Combine(dir, ShareChunk.FileName(first)));
                }
            }
            result.Write(Path.Combine(outDir, TallyResult.FileName));
            if (json)
            {
                output.WriteLine(result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                PrintResult(result, output);
            }
            return ExitCodes.Ok;
        }
        catch (TallyException e)
        {
            error.WriteLine($"tvs tally: {e.Message}");
            return ExitCodes.Invalid;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException or NoteException)
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
