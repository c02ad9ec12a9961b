using TVS.Crypto.Threshold;

namespace TVS.Engine.Tally;

/// <summary>
/// The count: every trustee's decryption shares in the record proved against its Y_j (DLEQ), then
/// the shares of the trustees the published result names recombined and every ballot re-counted;
/// the recount must equal the published result.
/// </summary>
internal static class TallyCheck
{
    public static void Run(RecordReader record, Guid id, DkgResult dkg, ContestList contests, TallyResult published, List<PartitionVotes> parts, VerificationReport report)
    {
        int failures = report.FailureCount;
        var ballots = parts.SelectMany(p => p.Votes).Select(v => v.Ballot.ToArray()).ToList();
        var ephemerals = Tallier.Ephemerals(ballots);
        Dictionary<int, TrusteeShares> shares;
        try
        {
            string dir = record.PathOf(ElectionRecord.SharesDirectory);
            shares = Tallier.LoadShares(Directory.Exists(dir) ? [dir] : [], id, ballots, ephemerals);
        }
        catch (TallyException e)
        {
            report.Fail(record.Relative(e.Message));
            return;
        }
        foreach (var s in shares.Values.OrderBy(s => s.Trustee))
        {
            foreach (var m in Tallier.VerifyProofs(id, dkg, ephemerals, s))
            {
                report.Fail(record.Relative(m));
            }
        }
        if (report.FailureCount != failures)
        {
            return;
        }
        report.Ok($"{ElectionRecord.SharesDirectory}/: trustees {string.Join(", ", shares.Keys.Order())}: every decryption share's DLEQ proof verifies against its Y_j");
        var used = new List<TrusteeShares>();
        foreach (int t in published.Trustees)
        {
            if (!shares.TryGetValue(t, out var s))
            {
                report.Fail($"{TallyResult.FileName}: names trustee {t}, whose shares are not in the record");
                return;
            }
            used.Add(s);
        }
        if (used.Count < dkg.Parameters.Threshold || used.Select(u => u.Trustee).Distinct().Count() != used.Count)
        {
            report.Fail($"{TallyResult.FileName}: combines {used.Count} trustee(s), the threshold is {dkg.Parameters.Threshold}");
            return;
        }
        var recount = Tallier.Count(id, dkg, contests, ballots, ephemerals, used);
        var diff = published.FirstDifference(recount);
        if (diff != null)
        {
            report.Fail($"{TallyResult.FileName}: {diff}");
            return;
        }
        report.Ok($"{TallyResult.FileName}: recombined and re-counted from the shares of trustees {string.Join(", ", published.Trustees)}: {recount.Ballots - recount.Spoiled.Count} counted, {recount.Spoiled.Count} spoiled, equal to the published result");
    }
}
