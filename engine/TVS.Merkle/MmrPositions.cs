using System.Numerics;

namespace TVS.Merkle;

/// <summary>
/// Position numbering of MMR nodes: 0-based post-order, exactly Go's
/// <c>golang.org/x/mod/sumdb/tlog.StoredHashIndex</c>. Node (level L, index k) is the root of the
/// perfect subtree over leaves [k·2^L, (k+1)·2^L). Appending leaf n writes the leaf at
/// <see cref="LeafPosition"/>(n) followed by one node per trailing one bit of n (the subtrees it
/// completes, lowest first). After n leaves, <see cref="NodeCount"/>(n) = 2n − popcount(n) nodes
/// are stored. Example for 4 leaves: 0 = leaf 0, 1 = leaf 1, 2 = (1,0), 3 = leaf 2, 4 = leaf 3,
/// 5 = (1,1), 6 = (2,0).
/// </summary>
public static class MmrPositions
{
    /// <summary>Position of the node at <paramref name="level"/> with index <paramref name="index"/> within that level.</summary>
    public static long NodePosition(int level, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        // Level L's k-th node follows level 0's ((k+1)·2^L − 1)-th leaf, then L nodes above it.
        long n = ((index + 1) << level) - 1;
        return LeafPosition(n) + level;
    }

    /// <summary>Position of leaf <paramref name="leafIndex"/>: 2i − popcount(i).</summary>
    public static long LeafPosition(long leafIndex) => 2 * leafIndex - BitOperations.PopCount((ulong)leafIndex);

    /// <summary>Number of nodes stored for <paramref name="leafCount"/> leaves: 2n − popcount(n).</summary>
    public static long NodeCount(long leafCount) => 2 * leafCount - BitOperations.PopCount((ulong)leafCount);

    /// <summary>The largest leaf count whose <see cref="NodeCount"/> is ≤ <paramref name="nodeCount"/>.</summary>
    public static long LeafCountAtMost(long nodeCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeCount);
        long lo = 0, hi = nodeCount; // NodeCount is strictly increasing, NodeCount(n) ≥ n
        while (lo < hi)
        {
            long mid = lo + ((hi - lo + 1) >> 1);
            if (NodeCount(mid) <= nodeCount)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
