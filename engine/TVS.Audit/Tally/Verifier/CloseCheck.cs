using System.Globalization;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// The close statement, read first: signed by the election's key, one head per partition of the
/// election, the heads manifest.json states, its accepted count the sum of the heads; then every
/// partition's board (<see cref="BoardBallots"/>) authenticated against its head: the level-8
/// hashes and the tail's leaves must hash to the signed root. The heads give every later check
/// its sizes and roots.
/// </summary>
internal static class CloseCheck
{
    /// <summary>The close statement, or a stop when it cannot be read (nothing else is checkable without it).</summary>
    public static ClosedElection Open(RecordReader record, RecordElection election, ManifestCheck.Manifest manifest, VerificationReport report)
    {
        int failures = report.FailureCount;
        var key = election.CheckpointKey;
        ClosedElection close;
        try
        {
            close = CloseStatement.Open(record.ReadText(CloseStatement.FileName), key, election.Id);
        }
        catch (Exception e) when (e is IOException or FormatException or NoteException)
        {
            throw report.Stop(RecordReader.Describe(CloseStatement.FileName, e));
        }
        if (close.Partitions < election.Partitions)
        {
            string missing = string.Join(", ", Enumerable.Range(close.Partitions, election.Partitions - close.Partitions).Select(p => "p" + p.ToString(CultureInfo.InvariantCulture)));
            report.Fail($"{CloseStatement.FileName}: covers {close.Partitions} partition(s), the election has {election.Partitions}: the final checkpoint of {missing} is not covered by the close");
        }
        else if (close.Partitions > election.Partitions)
        {
            report.Fail($"{CloseStatement.FileName}: covers {close.Partitions} partitions, the election has {election.Partitions} (election.json)");
        }
        if (close.Accepted != close.TotalVotes)
        {
            report.Fail($"{CloseStatement.FileName}: says {close.Accepted} accepted, its partition heads hold {close.TotalVotes} votes");
        }
        if (manifest.ElectionId is { } id && id != election.Id.ToString("D"))
        {
            report.Fail($"{ElectionRecord.ManifestFile}: \"electionId\" {id}, election.json says {election.Id:D}");
        }
        if (!manifest.Partitions.SequenceEqual(close.Heads))
        {
            string said = string.Join(", ", manifest.Partitions.Select(h => h.ToLine()));
            report.Fail($"{ElectionRecord.ManifestFile}: \"partitions\" [{said}] differ from the heads of {CloseStatement.FileName} [{string.Join(", ", close.Heads.Select(h => h.ToLine()))}]");
        }
        if (report.FailureCount == failures)
        {
            report.Ok($"{CloseStatement.FileName}: signed by {key.Name}; one head per partition ({close.Partitions}), as {ElectionRecord.ManifestFile} states; {close.TotalVotes} accepted, {close.Rejected} rejected; root {close.Checkpoint.Root.ToBase64()}");
        }
        return close;
    }

    /// <summary>Every partition's board authenticated against its head; a stop naming the board file when one is not the signed log.</summary>
    public static BoardBallots OpenBoard(RecordReader record, ClosedElection close, VerificationReport report)
    {
        BoardBallots ballots;
        try
        {
            ballots = new BoardBallots(record.Store, close);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is IOException))
        {
            foreach (var x in e.InnerExceptions.OrderBy(x => x.Message, StringComparer.Ordinal))
            {
                report.Fail(x.Message);
            }
            throw report.Stop($"{CloseStatement.FileName}: the board of {e.InnerExceptions.Count} partition(s) is not the signed log: no vote can be checked");
        }
        catch (IOException e)
        {
            throw report.Stop(e.Message);
        }
        report.Ok($"p0..p{close.Partitions - 1}/tile/: every partition's tiles hash to its final root in {CloseStatement.FileName} ({ballots.Count} entries in {ballots.Partitions.Sum(p => p.Bundles)} bundles)");
        return ballots;
    }
}
