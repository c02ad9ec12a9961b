using System.Globalization;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Tally;

/// <summary>
/// The paths of the election record that is the bulletin board plus the election's files
/// (docs/formats.md "Election record", manifest version 2): what <c>tvs record export</c> writes
/// and the verifier reads, in a directory or under an S3 prefix.
/// </summary>
public static class RecordLayout
{
    /// <summary>manifest.json's <c>version</c> for this layout (1 was the data-directory record with <c>votes/p{k}.votes</c>).</summary>
    public const int ManifestVersion = 2;

    /// <summary>The combined checkpoint the board publisher signs over every partition's head.</summary>
    public const string CombinedCheckpoint = "combined/checkpoint";

    /// <summary>Where the refused records are (docs/formats.md "Dead letters in the record").</summary>
    public const string DeadLettersDirectory = "dead-letters";

    /// <summary>Dead letters per file: the last file of a partition holds the rest.</summary>
    public const int DeadLettersPerFile = 4096;

    /// <summary>Partition <paramref name="partition"/>'s board checkpoint (<c>p{k}/checkpoint</c>), as published.</summary>
    public static string BoardCheckpoint(int partition) => BoardPartition.PathOf(partition, TilePaths.Checkpoint);

    /// <summary>Partition <paramref name="partition"/>'s signed checkpoint of <paramref name="size"/> votes.</summary>
    public static string CheckpointFile(int partition, long size) =>
        string.Create(CultureInfo.InvariantCulture, $"{ElectionRecord.CheckpointsDirectory(partition)}/{size:D12}.note");

    /// <summary>Partition <paramref name="partition"/>'s dead letters from its <paramref name="first"/>-th (in input offset order).</summary>
    public static string DeadLetterFile(int partition, long first) =>
        string.Create(CultureInfo.InvariantCulture, $"{DeadLettersDirectory}/p{partition}/chunk-{first:D12}.deadletters");

    /// <summary>
    /// True for the files manifest.json does not list because something else authenticates them:
    /// the board's tiles and entry bundles (<c>p{k}/tile/…</c>, by the signed roots) and the
    /// trustees' shares files (<c>shares/trustee-NN/chunk-*.shares</c>, by their own trailing
    /// SHA-256, ballots digest and proofs). The manifest stays small at any number of votes.
    /// </summary>
    public static bool AuthenticatedElsewhere(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (ElectionRecord.IsBoardTile(path, out _))
        {
            return true;
        }
        return path.StartsWith(ElectionRecord.SharesDirectory + "/trustee-", StringComparison.Ordinal) && path.EndsWith(".shares", StringComparison.Ordinal)
            && path.AsSpan(path.LastIndexOf('/') + 1).StartsWith("chunk-", StringComparison.Ordinal);
    }

    /// <summary>
    /// Every tile and entry bundle path a tlog-tiles client reads for partition
    /// <paramref name="partition"/>'s log at <paramref name="size"/> (the full tiles of each level
    /// and the partial ones at that size), enumerated from the size, without listing the board.
    /// </summary>
    public static IEnumerable<string> BoardFiles(int partition, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        int levels = TilePaths.LevelCount(size);
        for (int level = 0; level < levels; level++)
        {
            long hashes = size >> (level * TilePaths.Height);
            long full = hashes >> TilePaths.Height;
            for (long n = 0; n < full; n++)
            {
                yield return BoardPartition.PathOf(partition, TilePaths.Hash(level, n, TilePaths.Width));
            }
            int partial = (int)(hashes & (TilePaths.Width - 1));
            if (partial > 0)
            {
                yield return BoardPartition.PathOf(partition, TilePaths.Hash(level, full, partial));
            }
        }
        long bundles = size >> TilePaths.Height;
        for (long n = 0; n < bundles; n++)
        {
            yield return BoardPartition.PathOf(partition, TilePaths.Entries(n, TilePaths.Width));
        }
        int tail = (int)(size & (TilePaths.Width - 1));
        if (tail > 0)
        {
            yield return BoardPartition.PathOf(partition, TilePaths.Entries(bundles, tail));
        }
    }
}
