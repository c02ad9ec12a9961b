namespace TVS.Merkle.Tiles;

/// <summary>
/// A read-only <see cref="IMmrNodeStore"/> over a tlog-tiles log of a given size: node (level ℓ,
/// index k) with ℓ = 8L + r is the MTH of 2^r consecutive hashes of a level-L tile, so a
/// <see cref="MerkleMountainRange"/> opened over it gives RFC 9162 inclusion and consistency
/// proofs for that size from the published tiles alone (a receipt server needs no engine state).
/// Tiles come from a <see cref="ITileReader"/> (cache it: full tiles never change).
/// </summary>
public sealed class TileNodeStore : IMmrNodeStore
{
    private readonly ITileReader _reader;
    private readonly long _treeSize;

    // Nodes above the lowest levels cost up to 127 hashes each and every proof at this size needs
    // the same right-edge ones: remember them (thread-safe; bounded by the tree's node count
    // actually asked for, and the store lives as long as its checkpoint is the latest).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, Hash256> _memo = new();
    private const int MemoFromLevel = 4;
    private const int MemoLimit = 1 << 20;

    public TileNodeStore(ITileReader reader, long treeSize)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        _reader = reader;
        _treeSize = treeSize;
    }

    /// <summary>An MMR of the log at this size, for proofs.</summary>
    public static MerkleMountainRange OpenTree(ITileReader reader, long treeSize) => new(new TileNodeStore(reader, treeSize));

    public long Count => MmrPositions.NodeCount(_treeSize);

    public Hash256 Read(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, Count);
        // Leaf n's group of positions is [NodeCount(n), NodeCount(n+1)): the leaf, then the nodes it completes.
        long n = MmrPositions.LeafCountAtMost(position);
        int level = (int)(position - MmrPositions.NodeCount(n));
        long index = n >> level;
        if (level % TilePaths.Height < MemoFromLevel)
        {
            return Compute(level, index);
        }
        if (_memo.TryGetValue(position, out Hash256 known))
        {
            return known;
        }
        Hash256 h = Compute(level, index);
        if (_memo.Count < MemoLimit)
        {
            _memo.TryAdd(position, h);
        }
        return h;
    }

    private Hash256 Compute(int level, long index)
    {
        int tileLevel = level / TilePaths.Height, r = level % TilePaths.Height;
        long first = index << r; // first hash of the tile level that the node covers
        long tileIndex = first >> TilePaths.Height;
        int offset = (int)(first & (TilePaths.Width - 1));
        int width = tileIndex < TilePaths.PartialIndex(_treeSize, tileLevel) ? TilePaths.Width : TilePaths.PartialWidth(_treeSize, tileLevel);
        string path = TilePaths.Hash(tileLevel, tileIndex, width);
        byte[] tile = _reader.Read(path) ?? throw new InvalidDataException($"tile {path} is missing");
        if (tile.Length != width * Hash256.Size || offset + (1 << r) > width)
        {
            throw new InvalidDataException($"tile {path} holds {tile.Length} bytes, expected {width * Hash256.Size}");
        }
        var hashes = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Hash256>(tile.AsSpan(offset * Hash256.Size, (1 << r) * Hash256.Size));
        return Rfc9162.MerkleTreeHash(hashes);
    }

    public void Append(in Hash256 node) => throw new NotSupportedException("a tile node store is read-only");

    public void Flush()
    {
    }

    public void TruncateTo(long count) => throw new NotSupportedException("a tile node store is read-only");

    public void Dispose()
    {
    }
}
