using TVS.Crypto.Threshold;
using TVS.Engine.IO;

namespace TVS.Engine.Tally;

/// <summary>
/// The count: every trustee's decryption shares in the record proved against its Y_j (DLEQ), then
/// the shares of the trustees the published result names recombined and every ballot re-counted;
/// the recount must equal the published result.
/// </summary>
internal static class TallyCheck
{
    public static void Run(RecordReader record, Guid id, DkgResult dkg, ContestList contests, TallyResult published, IBallotSource source, VerificationReport report)
    {
        int failures = report.FailureCount;
        // ADAPTER (issue 14, until the lead's streaming Tallier.Run(…, IBallotSource, ShareFiles, …)
        // lands on main): the in-memory tally API below holds every ballot and every share, so
        // this step alone is not bounded in memory yet. Replace the whole body by
        //   Tallier.Run(id, dkg, contests, source, ShareFiles.Find([(record.Store, "shares/")]), TallyProofs.All, options)
        // and compare its result with the published one as below.
        if (source.Count > int.MaxValue)
        {
            report.Fail($"{ElectionRecord.SharesDirectory}/: {source.Count} ballots: the in-memory recount cannot hold them (streaming tally not merged yet)");
            return;
        }
        byte[][] ballots;
        try
        {
            ballots = source.ReadBallots(0, (int)source.Count);
        }
        catch (IOException e)
        {
            // a bundle the votes' check already named: no recount without every ballot
            report.Fail($"{TallyResult.FileName}: not recounted: {e.Message}");
            return;
        }
        var ephemerals = Tallier.Ephemerals(ballots);
        Dictionary<int, TrusteeShares> shares;
        using var local = SharesDirectory.Of(record.Store);
        try
        {
            shares = Tallier.LoadShares(local.Exists ? [local.Path] : [], id, ballots, ephemerals);
        }
        catch (TallyException e)
        {
            report.Fail(local.Relative(e.Message));
            return;
        }
        foreach (var s in shares.Values.OrderBy(s => s.Trustee))
        {
            foreach (var m in Tallier.VerifyProofs(id, dkg, ephemerals, s))
            {
                report.Fail(local.Relative(m));
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

    /// <summary>
    /// ADAPTER (see <see cref="Run"/>): the record's shares/ as a local directory for the in-memory
    /// tally API — the directory itself for a directory record, a temporary copy for an S3 one.
    /// </summary>
    private sealed class SharesDirectory : IDisposable
    {
        private readonly string _base;
        private readonly bool _temporary;

        private SharesDirectory(string path, string baseDirectory, bool temporary)
        {
            Path = path;
            _base = baseDirectory;
            _temporary = temporary;
        }

        public string Path { get; }

        public bool Exists => Directory.Exists(Path);

        public static SharesDirectory Of(IRecordStore store)
        {
            if (store is DirectoryRecordStore directory)
            {
                return new SharesDirectory(System.IO.Path.Combine(directory.Root, ElectionRecord.SharesDirectory), directory.Root, false);
            }
            string temp = Directory.CreateTempSubdirectory("tvs-verify-shares-").FullName;
            foreach (var path in store.List(ElectionRecord.SharesDirectory + "/"))
            {
                string target = System.IO.Path.Combine(temp, path);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                File.WriteAllBytes(target, store.TryGet(path) ?? []);
            }
            return new SharesDirectory(System.IO.Path.Combine(temp, ElectionRecord.SharesDirectory), temp, true);
        }

        /// <summary>A message naming a file of this copy, with the path made the record's.</summary>
        public string Relative(string message) => RecordReader.Relative(message, _base);

        public void Dispose()
        {
            if (_temporary)
            {
                Directory.Delete(_base, recursive: true);
            }
        }
    }
}
