using System.Globalization;
using System.Text;

namespace TVS.Merkle.Tiles;

/// <summary>
/// C2SP tlog-tiles resource names, relative to a log's prefix: <c>checkpoint</c>, hash tiles
/// <c>tile/{L}/{N}[.p/{W}]</c> and entry bundles <c>tile/entries/{N}[.p/{W}]</c>, where N is
/// written in groups of three digits, all but the last prefixed with <c>x</c> (1234067 →
/// <c>x001/x234/067</c>), and <c>.p/{W}</c> marks a partial tile of width 1 ≤ W &lt; 256.
/// </summary>
public static class TilePaths
{
    /// <summary>Tile height: each tile spans 8 tree levels, 256 hashes.</summary>
    public const int Height = 8;

    /// <summary>Hashes (or entries) in a full tile.</summary>
    public const int Width = 1 << Height;

    /// <summary>Bytes of a full hash tile.</summary>
    public const int FullTileBytes = Width * Hash256.Size;

    /// <summary>Highest tile level the spec allows.</summary>
    public const int MaxLevel = 63;

    /// <summary>The signed checkpoint's name.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary>Hash tile (<paramref name="level"/>, <paramref name="index"/>) of <paramref name="width"/> hashes (256 = full).</summary>
    public static string Hash(int level, long index, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        return Build(level.ToString(CultureInfo.InvariantCulture), index, width);
    }

    /// <summary>Entry bundle <paramref name="index"/> of <paramref name="width"/> entries (256 = full).</summary>
    public static string Entries(long index, int width) => Build("entries", index, width);

    private static string Build(string kind, long index, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, Width);
        var sb = new StringBuilder("tile/", 48).Append(kind).Append('/');
        AppendIndex(sb, index);
        if (width < Width)
        {
            sb.Append(".p/").Append(width.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>N in 3-digit groups, all but the last prefixed with 'x'.</summary>
    public static string EncodeIndex(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var sb = new StringBuilder(32);
        AppendIndex(sb, index);
        return sb.ToString();
    }

    private static void AppendIndex(StringBuilder sb, long index)
    {
        Span<long> groups = stackalloc long[8];
        int count = 0;
        do
        {
            groups[count++] = index % 1000;
            index /= 1000;
        }
        while (index > 0);
        for (int g = count - 1; g >= 0; g--)
        {
            if (g > 0)
            {
                sb.Append('x');
            }
            sb.Append(groups[g].ToString("D3", CultureInfo.InvariantCulture));
            if (g > 0)
            {
                sb.Append('/');
            }
        }
    }

    /// <summary>Number of hashes in the partial tile of <paramref name="level"/> for a tree of <paramref name="treeSize"/> leaves (0: none).</summary>
    public static int PartialWidth(long treeSize, int level) => level * Height >= 63 ? 0 : (int)((treeSize >> (level * Height)) & (Width - 1));

    /// <summary>Index of the tile of <paramref name="level"/> that holds the tree's rightmost (partial) hashes.</summary>
    public static long PartialIndex(long treeSize, int level) => (level + 1) * Height >= 63 ? 0 : treeSize >> ((level + 1) * Height);

    /// <summary>Number of levels a tree of <paramref name="treeSize"/> leaves has tiles at (0 for the empty tree).</summary>
    public static int LevelCount(long treeSize)
    {
        int levels = 0;
        while (levels * Height < 63 && (treeSize >> (levels * Height)) > 0)
        {
            levels++;
        }
        return levels;
    }
}
