using System.Globalization;

namespace TVS.Engine.Tally;

/// <summary>A board or checkpoints of a partition the election does not have would be counted by no one: a failure, once per such partition.</summary>
internal static class StrayPartitionsCheck
{
    public static void Run(SortedDictionary<int, (string First, long Count)> partitionPaths, int partitions, VerificationReport report)
    {
        foreach (var (k, (first, count)) in partitionPaths)
        {
            if (k >= partitions)
            {
                string more = count > 1 ? string.Create(CultureInfo.InvariantCulture, $" (and {count - 1} more file(s) of p{k})") : "";
                report.Fail($"{first}: not a partition of the election (election.json: partitions {partitions}, p0..p{partitions - 1}){more}");
            }
        }
    }
}
