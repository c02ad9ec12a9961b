using TVS.Crypto.Threshold;

namespace TVS.Engine.Tally;

/// <summary>
/// The count: the shares of the trustees the published result names, each file checked against
/// the ballots it covers and every DLEQ proof against its Y_j, recombined and every ballot
/// re-counted (<see cref="Tallier.Run"/>, as <c>tvs tally</c> does); the recount must equal the
/// published result.
/// </summary>
internal static class TallyCheck
{
    public static void Run(RecordReader record, Guid id, DkgResult dkg, ContestList contests, TallyResult published, List<PartitionVotes> parts, VerificationReport report)
    {
        // The votes as read and checked by the votes check; the record's shares under shares/.
        var ballots = new MemoryBallots(parts.Select(p => (IReadOnlyList<Votes.AcceptedVote>)p.Votes).ToList());
        TallyResult recount;
        try
        {
            string dir = record.PathOf(ElectionRecord.SharesDirectory);
            var shares = ShareFiles.FindInDirectories(Directory.Exists(dir) ? [dir] : []);
            foreach (int t in published.Trustees)
            {
                if (!shares.Trustees.Contains(t))
                {
                    report.Fail($"{TallyResult.FileName}: names trustee {t}, whose shares are not in the record");
                    return;
                }
            }
            if (published.Trustees.Length < dkg.Parameters.Threshold || published.Trustees.Distinct().Count() != published.Trustees.Length)
            {
                report.Fail($"{TallyResult.FileName}: combines {published.Trustees.Length} trustee(s), the threshold is {dkg.Parameters.Threshold}");
                return;
            }
            recount = Tallier.Run(id, dkg, contests, ballots, shares, TallyProofs.All, new TallyOptions { Trustees = published.Trustees });
        }
        catch (TallyException e)
        {
            foreach (var m in e.Failures.Count > 0 ? e.Failures : [e.Message])
            {
                // Proof failures name the file inside the shares folder; file failures name it by path.
                report.Fail(m.StartsWith("trustee-", StringComparison.Ordinal) ? $"{ElectionRecord.SharesDirectory}/{m}" : record.Relative(m));
            }
            return;
        }
        report.Ok($"{ElectionRecord.SharesDirectory}/: trustees {string.Join(", ", published.Trustees)}: every shares file made for the ballots it covers, every decryption share's DLEQ proof verifies against its Y_j");
        var diff = published.FirstDifference(recount);
        if (diff != null)
        {
            report.Fail($"{TallyResult.FileName}: {diff}");
            return;
        }
        report.Ok($"{TallyResult.FileName}: recombined and re-counted from the shares of trustees {string.Join(", ", published.Trustees)}: {recount.Ballots - recount.Spoiled.Count} counted, {recount.Spoiled.Count} spoiled, equal to the published result");
    }
}
