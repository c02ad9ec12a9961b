using System.Numerics;

namespace TVS.Merkle;

/// <summary>
/// An append-only Merkle Mountain Range whose root is the RFC 9162 Merkle Tree Hash of its leaves.
/// Every perfect subtree node is written to an <see cref="IMmrNodeStore"/> (positions: see
/// <see cref="MmrPositions"/>); the peaks (one perfect subtree per one bit of the leaf count) are
/// kept in memory and bagged right to left: root = H(p0, H(p1, … H(p_{k−1}, p_k))), which is
/// exactly MTH(D[n]). Inclusion and consistency proofs for any sizes are RFC 9162 §2.1.3 / §2.1.4
/// proofs built from stored nodes. One writer; not thread-safe.
/// </summary>
public sealed class MerkleMountainRange
{
    private readonly IMmrNodeStore _store;
    private readonly Hash256[] _peaks = new Hash256[64]; // left (highest level) to right
    private int _peakCount;
    private long _leafCount;
    private Hash256 _root;
    private bool _rootValid;

    // Suffix baggings of the peaks of one tree size (the right-edge subtrees every proof at that
    // size needs): _bagHashes[j] = MTH(D[_bagStarts[j] : _bagSize]). Cleared on truncation.
    private long _bagSize = -1;
    private readonly long[] _bagStarts = new long[64];
    private readonly Hash256[] _bagHashes = new Hash256[64];
    private int _bagCount;

    /// <summary>
    /// Opens an MMR over <paramref name="store"/>, recovering its peaks. Nodes beyond the last
    /// complete leaf (a crash between a leaf and the nodes it completes) are truncated away.
    /// </summary>
    public MerkleMountainRange(IMmrNodeStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        long leaves = MmrPositions.LeafCountAtMost(store.Count);
        if (MmrPositions.NodeCount(leaves) != store.Count)
        {
            store.TruncateTo(MmrPositions.NodeCount(leaves));
        }
        LoadPeaks(leaves);
    }

    /// <summary>The node store (for flushing and inspection).</summary>
    public IMmrNodeStore Store => _store;

    /// <summary>Number of leaves (the tree size).</summary>
    public long LeafCount => _leafCount;

    /// <summary>Number of stored nodes, <see cref="MmrPositions.NodeCount"/>(<see cref="LeafCount"/>).</summary>
    public long NodeCount => MmrPositions.NodeCount(_leafCount);

    /// <summary>The current peaks, left (largest) to right.</summary>
    public ReadOnlySpan<Hash256> Peaks => _peaks.AsSpan(0, _peakCount);

    /// <summary>Appends a leaf given its data (hashed as SHA-256(0x00 ‖ data)); returns its index.</summary>
    public long Append(ReadOnlySpan<byte> leafData) => AppendLeafHash(Rfc9162.HashLeaf(leafData));

    /// <summary>Appends a leaf given its precomputed RFC 9162 leaf hash; returns its index.</summary>
    public long AppendLeafHash(in Hash256 leafHash)
    {
        long index = _leafCount;
        _store.Append(leafHash);
        Hash256 cur = leafHash;
        for (long n = index; (n & 1) == 1; n >>= 1)
        {
            cur = Rfc9162.HashNode(_peaks[--_peakCount], cur);
            _store.Append(cur);
        }
        _peaks[_peakCount++] = cur;
        _leafCount = index + 1;
        _rootValid = false;
        return index;
    }

    /// <summary>Durable point of the node store.</summary>
    public void Flush() => _store.Flush();

    /// <summary>MTH of all leaves (SHA-256 of "" when empty).</summary>
    public Hash256 Root
    {
        get
        {
            if (!_rootValid)
            {
                _root = Bag(Peaks);
                _rootValid = true;
            }
            return _root;
        }
    }

    /// <summary>MTH of the first <paramref name="size"/> leaves, for any 0 ≤ size ≤ LeafCount.</summary>
    public Hash256 RootAt(long size)
    {
        CheckSize(size);
        return size == _leafCount ? Root : RangeHash(0, size);
    }

    /// <summary>The leaf hash of leaf <paramref name="index"/>.</summary>
    public Hash256 GetLeafHash(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _leafCount);
        return _store.Read(MmrPositions.LeafPosition(index));
    }

    /// <summary>Shrinks the tree to its first <paramref name="leafCount"/> leaves (recovery to a checkpoint), durably.</summary>
    public void TruncateTo(long leafCount)
    {
        CheckSize(leafCount);
        _store.TruncateTo(MmrPositions.NodeCount(leafCount));
        LoadPeaks(leafCount);
    }

    /// <summary>Length of the audit path of leaf <paramref name="index"/> in a tree of <paramref name="treeSize"/> leaves.</summary>
    public static int InclusionProofLength(long index, long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, treeSize);
        int len = 0;
        long lo = 0, hi = treeSize, m = index;
        while (hi - lo > 1)
        {
            long k = Rfc9162.LargestPowerOfTwoBelow(hi - lo);
            if (m - lo < k)
            {
                hi = lo + k;
            }
            else
            {
                lo += k;
            }
            len++;
        }
        return len;
    }

    /// <summary>
    /// The RFC 9162 §2.1.3.1 audit path of leaf <paramref name="index"/> in the tree of size
    /// <paramref name="treeSize"/> (≤ LeafCount), leaf side first: the bytes Go's tlog.ProveRecord gives.
    /// </summary>
    public Hash256[] GetInclusionProof(long index, long treeSize)
    {
        CheckSize(treeSize);
        var proof = new Hash256[InclusionProofLength(index, treeSize)];
        WriteInclusionProof(index, treeSize, proof);
        return proof;
    }

    /// <summary>Writes the audit path into <paramref name="destination"/> (length <see cref="InclusionProofLength"/>); allocation-free.</summary>
    public void WriteInclusionProof(long index, long treeSize, Span<Hash256> destination)
    {
        CheckSize(treeSize);
        int len = InclusionProofLength(index, treeSize);
        if (destination.Length != len)
        {
            throw new ArgumentException($"the proof has {len} hashes", nameof(destination));
        }
        // PATH(m, D[lo:hi]) appends the sibling after the sub-path: fill from the end (root side).
        long lo = 0, hi = treeSize;
        int i = len;
        while (hi - lo > 1)
        {
            long k = Rfc9162.LargestPowerOfTwoBelow(hi - lo);
            if (index - lo < k)
            {
                destination[--i] = RangeHash(lo + k, hi);
                hi = lo + k;
            }
            else
            {
                destination[--i] = RangeHash(lo, lo + k);
                lo += k;
            }
        }
    }

    /// <summary>
    /// The RFC 9162 §2.1.4.1 consistency proof from size <paramref name="oldSize"/> to
    /// <paramref name="newSize"/> (1 ≤ old ≤ new ≤ LeafCount; empty when equal), as Go's tlog.ProveTree.
    /// </summary>
    public Hash256[] GetConsistencyProof(long oldSize, long newSize)
    {
        CheckSize(newSize);
        if (oldSize < 1 || oldSize > newSize)
        {
            throw new ArgumentOutOfRangeException(nameof(oldSize), "need 1 ≤ oldSize ≤ newSize");
        }
        var proof = new List<Hash256>(2 * 64);
        if (oldSize < newSize)
        {
            SubProof(oldSize, 0, newSize, true, proof);
        }
        return proof.ToArray();
    }

    // SUBPROOF(m, D[lo:hi], b), m counted from lo.
    private void SubProof(long m, long lo, long hi, bool b, List<Hash256> proof)
    {
        if (m == hi - lo)
        {
            if (!b)
            {
                proof.Add(RangeHash(lo, hi));
            }
            return;
        }
        long k = Rfc9162.LargestPowerOfTwoBelow(hi - lo);
        if (m <= k)
        {
            SubProof(m, lo, lo + k, b, proof);
            proof.Add(RangeHash(lo + k, hi));
        }
        else
        {
            SubProof(m - k, lo + k, hi, false, proof);
            proof.Add(RangeHash(lo, lo + k));
        }
    }

    /// <summary>
    /// MTH(D[lo:hi]) for a range whose start is aligned to a power of two ≥ its length (every
    /// range the RFC 9162 recursions visit): the maximal aligned perfect subtrees, read from the
    /// store (or the in-memory peaks), bagged right to left.
    /// </summary>
    internal Hash256 RangeHash(long lo, long hi)
    {
        long len = hi - lo;
        if (len == 0)
        {
            return Rfc9162.EmptyRoot;
        }
        if ((len & (len - 1)) == 0 && (lo & (len - 1)) == 0)
        {
            return ReadNode(BitOperations.TrailingZeroCount((ulong)len), lo / len); // a stored perfect subtree
        }
        // Not perfect: a suffix of the peaks of size hi (proof ranges always are); cache them per size.
        if (hi != _bagSize)
        {
            BuildSuffixBags(hi);
        }
        for (int j = 0; j < _bagCount; j++)
        {
            if (_bagStarts[j] == lo)
            {
                return _bagHashes[j];
            }
        }
        return BagRange(lo, hi);
    }

    private void BuildSuffixBags(long size)
    {
        _bagCount = 0;
        long start = 0;
        for (int level = 62; level >= 0; level--)
        {
            if ((size & (1L << level)) != 0)
            {
                _bagStarts[_bagCount] = start;
                _bagHashes[_bagCount++] = ReadNode(level, start >> level);
                start += 1L << level;
            }
        }
        for (int j = _bagCount - 2; j >= 0; j--)
        {
            _bagHashes[j] = Rfc9162.HashNode(_bagHashes[j], _bagHashes[j + 1]);
        }
        _bagSize = size;
    }

    private Hash256 BagRange(long lo, long hi)
    {
        Span<Hash256> parts = stackalloc Hash256[64];
        int count = 0;
        while (lo < hi)
        {
            int level = lo == 0 ? 62 : BitOperations.TrailingZeroCount((ulong)lo);
            while ((1L << level) > hi - lo)
            {
                level--;
            }
            parts[count++] = ReadNode(level, lo >> level);
            lo += 1L << level;
        }
        return Bag(parts[..count]);
    }

    private Hash256 ReadNode(int level, long index) => _store.Read(MmrPositions.NodePosition(level, index));

    private static Hash256 Bag(ReadOnlySpan<Hash256> peaks)
    {
        if (peaks.IsEmpty)
        {
            return Rfc9162.EmptyRoot;
        }
        Hash256 acc = peaks[^1];
        for (int j = peaks.Length - 2; j >= 0; j--)
        {
            acc = Rfc9162.HashNode(peaks[j], acc);
        }
        return acc;
    }

    private void LoadPeaks(long leafCount)
    {
        _peakCount = 0;
        long start = 0;
        for (int level = 62; level >= 0; level--)
        {
            if ((leafCount & (1L << level)) != 0)
            {
                _peaks[_peakCount++] = ReadNode(level, start >> level);
                start += 1L << level;
            }
        }
        _leafCount = leafCount;
        _rootValid = false;
        _bagSize = -1; // stored nodes may be replaced after a truncation
    }

    private void CheckSize(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, _leafCount);
    }
}
