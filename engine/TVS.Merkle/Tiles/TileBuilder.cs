using System.Buffers.Binary;

namespace TVS.Merkle.Tiles;

/// <summary>Where a <see cref="TileBuilder"/> writes tiles and bundles (a board directory, an S3 prefix).</summary>
public interface ITileSink
{
    /// <summary>Stores <paramref name="content"/> at <paramref name="path"/> (relative to the log's prefix).</summary>
    void Write(string path, ReadOnlySpan<byte> content);
}

/// <summary>Reads a log's tiles back (null when the resource does not exist).</summary>
public interface ITileReader
{
    byte[]? Read(string path);
}

/// <summary>
/// Builds a C2SP tlog-tiles log (height 8) entry by entry, holding only its right edge: the
/// incomplete tile of each level and the incomplete entry bundle (at most 256 hashes per level and
/// 256 entries). A tile or bundle that fills up is written at once (full tiles never change); the
/// partial ones of the current size are written by <see cref="WritePartials"/>, which a publisher
/// calls before the checkpoint that needs them. Memory: O(levels × 8 KiB + one bundle).
/// </summary>
/// <remarks>
/// The right edge is all a tree's root needs: every perfect subtree of the binary decomposition of
/// the size lies inside the partial tile of its level (the subtree at tree level 8L + r is 2^r
/// consecutive hashes of the level-L partial tile), so <see cref="Root"/> is computed from the
/// buffers and a resumed builder can be checked against the checkpoint it resumes from.
/// </remarks>
public sealed class TileBuilder
{
    /// <summary>Largest entry a bundle can hold (its length is a big-endian uint16).</summary>
    public const int MaxEntry = ushort.MaxValue;

    private readonly Hash256[][] _levels = new Hash256[TilePaths.MaxLevel / TilePaths.Height + 1][];
    private readonly int[] _counts = new int[TilePaths.MaxLevel / TilePaths.Height + 1];
    private byte[] _bundle = new byte[64 * 1024];
    private int _bundleLength;

    private TileBuilder()
    {
    }

    /// <summary>Leaves so far.</summary>
    public long Size { get; private set; }

    /// <summary>A builder for an empty log.</summary>
    public static TileBuilder Empty() => new();

    /// <summary>
    /// Resumes a log published up to <paramref name="size"/> with root <paramref name="root"/>: reads
    /// the partial tiles of every level and the partial entry bundle of that size. Returns null with
    /// <paramref name="error"/> when one is missing, malformed, or they do not hash to the root
    /// (the caller then rebuilds from the entries).
    /// </summary>
    public static TileBuilder? TryResume(long size, in Hash256 root, ITileReader reader, out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var b = new TileBuilder { Size = size };
        int levels = TilePaths.LevelCount(size);
        for (int level = 0; level < levels; level++)
        {
            int width = TilePaths.PartialWidth(size, level);
            if (width == 0)
            {
                continue;
            }
            string path = TilePaths.Hash(level, TilePaths.PartialIndex(size, level), width);
            byte[]? tile = reader.Read(path);
            if (tile is null || tile.Length != width * Hash256.Size)
            {
                error = tile is null ? $"{path} is missing" : $"{path} holds {tile.Length} bytes, expected {width * Hash256.Size}";
                return null;
            }
            var hashes = b.Level(level);
            for (int i = 0; i < width; i++)
            {
                hashes[i] = new Hash256(tile.AsSpan(i * Hash256.Size, Hash256.Size));
            }
            b._counts[level] = width;
        }
        int entries = TilePaths.PartialWidth(size, 0);
        if (entries > 0)
        {
            string path = TilePaths.Entries(TilePaths.PartialIndex(size, 0), entries);
            byte[]? bundle = reader.Read(path);
            if (bundle is null)
            {
                error = $"{path} is missing";
                return null;
            }
            int at = 0;
            for (int i = 0; i < entries; i++)
            {
                if (bundle.Length - at < 2 || bundle.Length - at - 2 < BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(at)))
                {
                    error = $"{path}: entry {i} is truncated";
                    return null;
                }
                int length = BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(at));
                if (Rfc9162.HashLeaf(bundle.AsSpan(at + 2, length)) != b._levels[0][i])
                {
                    error = $"{path}: entry {i} does not hash to level 0's hash";
                    return null;
                }
                at += 2 + length;
            }
            if (at != bundle.Length)
            {
                error = $"{path}: {bundle.Length - at} bytes after its {entries} entries";
                return null;
            }
            b.EnsureBundle(bundle.Length);
            bundle.CopyTo(b._bundle, 0);
            b._bundleLength = bundle.Length;
        }
        if (b.Root != root)
        {
            error = $"the partial tiles of size {size} hash to {b.Root}, not to the checkpoint's root {root}";
            return null;
        }
        error = null;
        return b;
    }

    /// <summary>Appends one entry (≤ 65,535 bytes); writes every tile and bundle it completes to <paramref name="sink"/>.</summary>
    public void Append(ReadOnlySpan<byte> entry, ITileSink sink)
    {
        if (entry.Length > MaxEntry)
        {
            throw new ArgumentException($"an entry of {entry.Length} bytes does not fit a tile bundle (at most {MaxEntry})", nameof(entry));
        }
        EnsureBundle(_bundleLength + 2 + entry.Length);
        BinaryPrimitives.WriteUInt16BigEndian(_bundle.AsSpan(_bundleLength), (ushort)entry.Length);
        entry.CopyTo(_bundle.AsSpan(_bundleLength + 2));
        _bundleLength += 2 + entry.Length;
        long index = Size;
        Size++;
        Push(0, Rfc9162.HashLeaf(entry), index >> TilePaths.Height, sink);
    }

    private void Push(int level, in Hash256 hash, long tileIndex, ITileSink sink)
    {
        var hashes = Level(level);
        hashes[_counts[level]++] = hash;
        if (_counts[level] < TilePaths.Width)
        {
            return;
        }
        // The tile is full: write it (and, at level 0, its bundle), then hash it into the level above.
        if (level == 0)
        {
            sink.Write(TilePaths.Entries(tileIndex, TilePaths.Width), _bundle.AsSpan(0, _bundleLength));
            _bundleLength = 0;
        }
        sink.Write(TilePaths.Hash(level, tileIndex, TilePaths.Width), System.Runtime.InteropServices.MemoryMarshal.AsBytes(hashes.AsSpan()));
        Hash256 up = Rfc9162.MerkleTreeHash(hashes);
        _counts[level] = 0;
        Push(level + 1, up, tileIndex >> TilePaths.Height, sink);
    }

    /// <summary>Writes the partial tiles of every level and the partial entry bundle of the current size.</summary>
    public void WritePartials(ITileSink sink)
    {
        if (_bundleLength > 0)
        {
            sink.Write(TilePaths.Entries(TilePaths.PartialIndex(Size, 0), _counts[0]), _bundle.AsSpan(0, _bundleLength));
        }
        int levels = TilePaths.LevelCount(Size);
        for (int level = 0; level < levels; level++)
        {
            int width = _counts[level];
            if (width > 0)
            {
                sink.Write(TilePaths.Hash(level, TilePaths.PartialIndex(Size, level), width),
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(_levels[level].AsSpan(0, width)));
            }
        }
    }

    /// <summary>MTH of every entry so far, from the right edge (the perfect subtrees of the size's binary decomposition, bagged right to left).</summary>
    public Hash256 Root
    {
        get
        {
            if (Size == 0)
            {
                return Rfc9162.EmptyRoot;
            }
            Hash256 acc = default;
            bool any = false;
            for (int bit = 0; bit < 63; bit++)
            {
                if ((Size & (1L << bit)) == 0)
                {
                    continue;
                }
                int level = bit / TilePaths.Height, r = bit % TilePaths.Height;
                long start = (Size >> (bit + 1)) << (bit + 1);
                int offset = (int)((start >> (level * TilePaths.Height)) & (TilePaths.Width - 1));
                Hash256 peak = Rfc9162.MerkleTreeHash(_levels[level].AsSpan(offset, 1 << r));
                acc = any ? Rfc9162.HashNode(peak, acc) : peak;
                any = true;
            }
            return acc;
        }
    }

    private Hash256[] Level(int level) => _levels[level] ??= new Hash256[TilePaths.Width];

    private void EnsureBundle(int length)
    {
        if (length > _bundle.Length)
        {
            Array.Resize(ref _bundle, Math.Max(length, _bundle.Length * 2));
        }
    }
}
