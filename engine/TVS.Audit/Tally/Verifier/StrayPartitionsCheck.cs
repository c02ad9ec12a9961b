using System.Globalization;

namespace TVS.Engine.Tally;

/// <summary>Votes or checkpoints of a partition the election does not have would be counted by no one: a failure.</summary>
internal static class StrayPartitionsCheck
{
    public static void Run(RecordReader record, int partitions, VerificationReport report)
    {
        foreach (var rel in ElectionRecord.ListFiles(record.Directory))
        {
            var parts = rel.Split('/');
            string? name = parts is ["votes", var f] && f.EndsWith(".votes", StringComparison.Ordinal) ? f[..^6]
                : parts is ["checkpoints", var d, _] ? d : null;
            if (name is null)
            {
                continue;
            }
            bool known = name.Length > 1 && name[0] == 'p' && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                && k < partitions && name == "p" + k.ToString(CultureInfo.InvariantCulture);
            if (!known)
            {
                report.Fail($"{rel}: not a partition of the election (election.json: partitions {partitions}, p0..p{partitions - 1})");
            }
        }
    }
}
