using System.Buffers.Binary;
using System.Globalization;
using TVS.Engine.IO;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Tally;

/// <summary>
/// One partition's log on the bulletin board (docs/formats.md "Bulletin board (tlog-tiles)"),
/// authenticated against a signed head (size, root) so that its entries can then be read in any
/// order, in parallel, each bundle checked on its own.
/// <para>
/// Opening reads the hashes of tree level 8 (the level-1 tiles: one hash per full entry bundle,
/// 32 bytes per 256 votes) and the leaf hashes of the last, partial bundle (its partial level-0
/// tile), and recomputes the root from them: equal to the signed root, each of those hashes is
/// authenticated. A full bundle read later is authentic when the RFC 9162 hash of its 256 leaves
/// is its level-8 hash; the partial bundle when each leaf hash is the authenticated one. Memory:
/// 32 bytes per 256 votes (≈ 44 MB for 350M votes), whatever the board's size.
/// </para>
/// </summary>
public sealed class BoardPartition
{
    private readonly IRecordStore _store;
    private readonly Hash256[] _bundleHashes;
    private readonly Hash256[] _tailLeaves;

    private BoardPartition(IRecordStore store, int partition, long size, Hash256 root, Hash256[] bundleHashes, Hash256[] tailLeaves)
    {
        _store = store;
        Partition = partition;
        Size = size;
        Root = root;
        _bundleHashes = bundleHashes;
        _tailLeaves = tailLeaves;
    }

    public int Partition { get; }

    /// <summary>Entries (accepted votes) of the log at the signed head.</summary>
    public long Size { get; }

    public Hash256 Root { get; }

    /// <summary>Entry bundles, the last one partial when <see cref="Size"/> is not a multiple of 256.</summary>
    public long Bundles => (Size + TilePaths.Width - 1) / TilePaths.Width;

    /// <summary>The board path of partition <paramref name="partition"/>'s file <paramref name="path"/> (<c>p{k}/…</c>).</summary>
    public static string PathOf(int partition, string path) => string.Create(CultureInfo.InvariantCulture, $"p{partition}/{path}");

    /// <summary>
    /// Reads the level-8 hashes and the tail's leaf hashes of partition <paramref name="partition"/>
    /// from <paramref name="store"/> and checks that they make <paramref name="root"/> at
    /// <paramref name="size"/>. Throws <see cref="BoardFormatException"/> naming the file that is
    /// missing or malformed, or saying that the tiles do not hash to the signed root.
    /// </summary>
    public static BoardPartition Open(IRecordStore store, int partition, long size, Hash256 root)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        long fullBundles = size >> TilePaths.Height;
        if (fullBundles > int.MaxValue)
        {
            throw new BoardFormatException(PathOf(partition, TilePaths.Checkpoint), $"size {size}: more entries than one partition can hold");
        }
        var bundleHashes = new Hash256[fullBundles];
        for (long tile = 0; tile * TilePaths.Width < fullBundles; tile++)
        {
            int width = (int)Math.Min(TilePaths.Width, fullBundles - tile * TilePaths.Width);
            ReadHashes(store, PathOf(partition, TilePaths.Hash(1, tile, width)), bundleHashes.AsSpan((int)(tile * TilePaths.Width), width));
        }
        int tailWidth = (int)(size & (TilePaths.Width - 1));
        var tailLeaves = new Hash256[tailWidth];
        if (tailWidth > 0)
        {
            ReadHashes(store, PathOf(partition, TilePaths.Hash(0, fullBundles, tailWidth)), tailLeaves);
        }
        var computed = RootOf(bundleHashes, tailLeaves);
        if (computed != root)
        {
            throw new BoardFormatException(PathOf(partition, "tile/1"),
                $"the tiles of partition {partition} do not hash to its signed root at size {size} ({root.ToBase64()}; they give {computed.ToBase64()}): the board is not the signed log");
        }
        return new BoardPartition(store, partition, size, root, bundleHashes, tailLeaves);
    }

    private static void ReadHashes(IRecordStore store, string path, Span<Hash256> destination)
    {
        var bytes = store.TryGet(path) ?? throw new BoardFormatException(path, "missing from the board");
        if (bytes.Length != destination.Length * Hash256.Size)
        {
            throw new BoardFormatException(path, $"{bytes.Length} bytes, a tile of {destination.Length} hashes has {destination.Length * Hash256.Size}");
        }
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = new Hash256(bytes.AsSpan(i * Hash256.Size, Hash256.Size));
        }
    }

    /// <summary>
    /// The RFC 9162 root of a log whose leaves are <paramref name="subtrees"/>.Length complete
    /// subtrees of 256 leaves (their hashes) followed by <paramref name="tailLeaves"/>: the
    /// subtrees merged pairwise as in an MMR, the peaks bagged right to left.
    /// </summary>
    public static Hash256 RootOf(ReadOnlySpan<Hash256> subtrees, ReadOnlySpan<Hash256> tailLeaves)
    {
        if (subtrees.Length == 0 && tailLeaves.Length == 0)
        {
            return Rfc9162.EmptyRoot;
        }
        Span<Hash256> peaks = stackalloc Hash256[80];
        Span<int> heights = stackalloc int[80];
        int count = 0;
        void Push(in Hash256 hash, int height, Span<Hash256> peaks, Span<int> heights, ref int count)
        {
            var h = hash;
            while (count > 0 && heights[count - 1] == height)
            {
                h = Rfc9162.HashNode(peaks[count - 1], h);
                count--;
                height++;
            }
            peaks[count] = h;
            heights[count] = height;
            count++;
        }
        foreach (var s in subtrees)
        {
            Push(s, TilePaths.Height, peaks, heights, ref count);
        }
        foreach (var leaf in tailLeaves)
        {
            Push(leaf, 0, peaks, heights, ref count);
        }
        var root = peaks[count - 1];
        for (int i = count - 2; i >= 0; i--)
        {
            root = Rfc9162.HashNode(peaks[i], root);
        }
        return root;
    }

    /// <summary>
    /// Reads entry bundle <paramref name="bundle"/> and checks it against the authenticated hashes.
    /// Throws <see cref="BoardFormatException"/> naming the bundle when it is missing, malformed or
    /// not the signed entries.
    /// </summary>
    public EntryBundle ReadBundle(long bundle)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bundle);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bundle, Bundles);
        int width = bundle < _bundleHashes.Length ? TilePaths.Width : _tailLeaves.Length;
        string path = PathOf(Partition, TilePaths.Entries(bundle, width));
        var bytes = _store.TryGet(path) ?? throw new BoardFormatException(path, "missing from the board");
        var entries = EntryBundle.Parse(path, bundle * TilePaths.Width, bytes, width);
        Span<Hash256> leaves = stackalloc Hash256[width];
        for (int i = 0; i < width; i++)
        {
            leaves[i] = Rfc9162.HashLeaf(entries.Record(i));
        }
        if (width == TilePaths.Width && bundle < _bundleHashes.Length)
        {
            if (Rfc9162.MerkleTreeHash(leaves) != _bundleHashes[bundle])
            {
                throw new BoardFormatException(path, $"its entries do not hash to the signed tree's hash of entries {bundle * TilePaths.Width}–{bundle * TilePaths.Width + width - 1}: altered, reordered or replaced");
            }
        }
        else
        {
            for (int i = 0; i < width; i++)
            {
                if (leaves[i] != _tailLeaves[i])
                {
                    throw new BoardFormatException(path, $"entry {bundle * TilePaths.Width + i} does not hash to the signed tree's leaf: altered, reordered or replaced");
                }
            }
        }
        return entries;
    }
}

/// <summary>
/// One entry bundle of a partition's board: <see cref="Count"/> records, each uint16 big-endian
/// length ‖ record (docs/formats.md "Bulletin board (tlog-tiles)"), entry i at index
/// <see cref="FirstIndex"/> + i. Parsed strictly: exactly the expected number of non-empty
/// records, nothing after the last.
/// </summary>
public sealed class EntryBundle
{
    private readonly byte[] _bytes;
    private readonly int[] _starts;

    private EntryBundle(long firstIndex, byte[] bytes, int[] starts)
    {
        FirstIndex = firstIndex;
        _bytes = bytes;
        _starts = starts;
    }

    public long FirstIndex { get; }

    public int Count => _starts.Length - 1;

    /// <summary>Entry <paramref name="i"/>'s record (without its length prefix).</summary>
    public ReadOnlySpan<byte> Record(int i) => _bytes.AsSpan(_starts[i] + 2, _starts[i + 1] - _starts[i] - 2);

    /// <summary>Splits <paramref name="bytes"/> into <paramref name="expected"/> records; <see cref="BoardFormatException"/> naming <paramref name="path"/> otherwise.</summary>
    public static EntryBundle Parse(string path, long firstIndex, byte[] bytes, int expected)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var starts = new int[expected + 1];
        int at = 0;
        for (int i = 0; i < expected; i++)
        {
            if (bytes.Length - at < 2)
            {
                throw new BoardFormatException(path, $"truncated: {i} of {expected} entries");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at));
            if (length == 0)
            {
                throw new BoardFormatException(path, $"entry {firstIndex + i} is empty");
            }
            if (bytes.Length - at - 2 < length)
            {
                throw new BoardFormatException(path, $"truncated: entry {firstIndex + i} declares {length} bytes, {bytes.Length - at - 2} remain");
            }
            starts[i] = at;
            at += 2 + length;
        }
        if (at != bytes.Length)
        {
            throw new BoardFormatException(path, $"{bytes.Length - at} bytes after its {expected} entries");
        }
        starts[expected] = at;
        return new EntryBundle(firstIndex, bytes, starts);
    }
}
