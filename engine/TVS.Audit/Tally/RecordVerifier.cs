using System.Globalization;
using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Engine.Tally;

/// <summary>
/// <c>tvs verify RECORD</c>: checks an election record with nothing but its files — no engine
/// state, no secret (docs/election-guide.md, "Verify"). Every failure is one line naming the file
/// and the item; independent checks go on after a failure, so one run reports everything it can.
/// The files are read by <see cref="RecordReader"/>; each check is its own class (the manifest,
/// stray partitions, the votes, each partition's checkpoints, the close statement, the tally, or
/// one receipt), and all of them report into one <see cref="VerificationReport"/>.
/// </summary>
public static class RecordVerifier
{
    /// <summary>Verifies the whole record (or, with <paramref name="receipt"/>, one vote's inclusion). Returns the failures (empty = valid).</summary>
    public static List<string> Verify(string record, TextWriter output, string? receipt = null, int threads = -1)
    {
        var report = new VerificationReport(output);
        try
        {
            Run(record, receipt, threads, report);
        }
        catch (VerificationStoppedException)
        {
            // a failure that leaves nothing further checkable was already reported
        }
        return report.Failures;
    }

    private static void Run(string directory, string? receipt, int threads, VerificationReport report)
    {
        if (!Directory.Exists(directory))
        {
            throw report.Stop($"{directory}: no such record directory");
        }
        var record = new RecordReader(directory, report);
        ManifestCheck.Run(record, report);
        var election = record.ReadElection();
        StrayPartitionsCheck.Run(record, election.Partitions, report);
        var parts = record.ReadVotes(election.Partitions);
        if (receipt != null)
        {
            ReceiptCheck.Run(record, election, parts, receipt, report);
            return;
        }

        VotesCheck.Run(election, parts, threads, report);
        foreach (var part in parts)
        {
            CheckpointsCheck.Run(record, election, part, report);
        }
        CloseCheck.Run(record, election, parts, report);

        // The DKG's public output, the contests, the shares and the result.
        var dkg = record.ReadElectionKey(election.Id);
        var contests = record.ReadContests();
        var published = record.ReadResult();
        if (dkg is null || contests is null || published is null)
        {
            return;
        }
        TallyCheck.Run(record, election.Id, dkg, contests, published, parts, report);
    }
}
