using TVS.Crypto.Threshold;

namespace TVS.Engine.Tally;

/// <summary>
/// The count: the shares of the trustees the published result names, each file checked against
/// the ballots it covers and every DLEQ proof against its Y_j, recombined and every ballot
/// re-counted (<see cref="Tallier.Run"/>, as <c>tvs tally</c> does: by range over the cores, in
/// bounded memory, the ballots read from the board like the votes' check reads them); the
/// recount must equal the published result.
/// </summary>
internal static class TallyCheck
{
    public static void Run(RecordReader record, Guid id, DkgResult dkg, ContestList contests, TallyResult published, IBallotSource ballots, int threads, VerificationReport report)
    {
        TallyResult recount;
        string location = record.Store.Location.TrimEnd('/') + "/";
        string Relative(string m) =>
            m.StartsWith("trustee-", StringComparison.Ordinal) ? $"{ElectionRecord.SharesDirectory}/{m}" // proof failures name the file inside the shares folder
            : m.StartsWith(location, StringComparison.Ordinal) ? m[location.Length..] // file failures name it by store location and path
            : m;
        try
        {
            var shares = ShareFiles.Find([(record.Store, ElectionRecord.SharesDirectory + "/")]);
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
            recount = Tallier.Run(id, dkg, contests, ballots, shares, TallyProofs.All,
                new TallyOptions { Trustees = published.Trustees, Threads = threads > 0 ? threads : Environment.ProcessorCount });
        }
        catch (TallyException e)
        {
            foreach (var m in e.Failures.Count > 0 ? e.Failures : [e.Message])
            {
                report.Fail(Relative(m));
            }
            return;
        }
        catch (Exception e) when (e is IOException || (e is AggregateException a && a.InnerExceptions.All(x => x is IOException)))
        {
            // a bundle the votes' check already named: no recount without every ballot
            var first = e is AggregateException all ? all.InnerExceptions[0] : e;
            report.Fail($"{TallyResult.FileName}: not recounted: {first.Message}");
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
