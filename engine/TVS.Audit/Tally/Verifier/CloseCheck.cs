using System.Globalization;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>The close statement: signed, one head per partition of the election, each equal to that partition's votes.</summary>
internal static class CloseCheck
{
    public static void Run(RecordReader record, RecordElection election, List<PartitionVotes> parts, VerificationReport report)
    {
        int failures = report.FailureCount;
        var key = election.CheckpointKey;
        ClosedElection close;
        try
        {
            close = CloseStatement.Open(File.ReadAllText(record.PathOf(CloseStatement.FileName)), key, election.Id);
        }
        catch (Exception e) when (e is IOException or FormatException or NoteException)
        {
            report.Fail($"{CloseStatement.FileName}: {e.Message}");
            return;
        }
        if (close.Partitions < parts.Count)
        {
            string missing = string.Join(", ", parts.Skip(close.Partitions).Select(p => "p" + p.Partition.ToString(CultureInfo.InvariantCulture)));
            report.Fail($"{CloseStatement.FileName}: covers {close.Partitions} partition(s), the election has {parts.Count}: the final checkpoint of {missing} is not covered by the close");
        }
        else if (close.Partitions > parts.Count)
        {
            report.Fail($"{CloseStatement.FileName}: covers {close.Partitions} partitions, the election has {parts.Count} (election.json)");
        }
        foreach (var head in close.Heads.Where(h => h.Partition < parts.Count))
        {
            var part = parts[head.Partition];
            int n = part.Votes.Count;
            if (head.Size != n)
            {
                report.Fail($"{CloseStatement.FileName}: partition {head.Partition} closes at size {head.Size}, {part.File} has {n} votes");
            }
            else if (head.Root != part.Mmr.RootAt(n))
            {
                report.Fail($"{CloseStatement.FileName}: partition {head.Partition}: final root {head.Root.ToBase64()} differs from the root of {part.File} {part.Mmr.RootAt(n).ToBase64()}");
            }
        }
        long total = parts.Sum(p => (long)p.Votes.Count);
        if (close.Accepted != total)
        {
            report.Fail($"{CloseStatement.FileName}: says {close.Accepted} accepted, the record has {total} votes");
        }
        if (report.FailureCount == failures)
        {
            report.Ok($"{CloseStatement.FileName}: signed by {key.Name}; one head per partition ({close.Partitions}), each the size and root of that partition's votes; {total} votes; root {close.Checkpoint.Root.ToBase64()}");
        }
    }
}
