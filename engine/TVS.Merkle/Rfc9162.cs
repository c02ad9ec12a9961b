using System.Numerics;
using System.Security.Cryptography;

namespace TVS.Merkle;

/// <summary>
/// RFC 9162 (Certificate Transparency 2.0, same hashing as RFC 6962) Merkle tree hashing and the
/// proof verifiers of §2.1.3.2 and §2.1.4.2. Leaf hash = SHA-256(0x00 ‖ leaf), node hash =
/// SHA-256(0x01 ‖ left ‖ right). Allocation-free.
/// </summary>
public static class Rfc9162
{
    /// <summary>Domain-separation prefix of a leaf hash.</summary>
    public const byte LeafPrefix = 0x00;

    /// <summary>Domain-separation prefix of an interior node hash.</summary>
    public const byte NodePrefix = 0x01;

    /// <summary>MTH({}) = SHA-256 of the empty string, e3b0c442…b855.</summary>
    public static Hash256 EmptyRoot { get; } = Hash256.FromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /// <summary>SHA-256(0x00 ‖ leaf).</summary>
    public static Hash256 HashLeaf(ReadOnlySpan<byte> leaf)
    {
        Hash256 h = default;
        HashLeaf(leaf, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<Hash256>(ref h)));
        return h;
    }

    /// <summary>SHA-256(0x00 ‖ leaf) into <paramref name="destination"/> (32 bytes).</summary>
    public static void HashLeaf(ReadOnlySpan<byte> leaf, Span<byte> destination)
    {
        // On the stack up to 1 KiB: a v1 vote record (347 bytes + ballot) hashes without allocating
        // (the verify stage and recovery hash one per vote); larger leaves take the incremental hash.
        if (leaf.Length <= 1024)
        {
            Span<byte> buf = stackalloc byte[1 + leaf.Length];
            buf[0] = LeafPrefix;
            leaf.CopyTo(buf[1..]);
            SHA256.HashData(buf, destination);
            return;
        }
        using var inc = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        inc.AppendData([LeafPrefix]);
        inc.AppendData(leaf);
        inc.GetHashAndReset(destination);
    }

    /// <summary>SHA-256(0x01 ‖ left ‖ right).</summary>
    public static Hash256 HashNode(in Hash256 left, in Hash256 right)
    {
        Span<byte> buf = stackalloc byte[1 + 2 * Hash256.Size];
        buf[0] = NodePrefix;
        left.CopyTo(buf.Slice(1, Hash256.Size));
        right.CopyTo(buf.Slice(1 + Hash256.Size, Hash256.Size));
        Hash256 h = default;
        SHA256.HashData(buf, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<Hash256>(ref h)));
        return h;
    }

    /// <summary>SHA-256(0x01 ‖ left ‖ right) into <paramref name="destination"/> (32 bytes).</summary>
    public static void HashNode(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        if (left.Length != Hash256.Size || right.Length != Hash256.Size)
        {
            throw new ArgumentException("node children are 32-byte hashes");
        }
        Span<byte> buf = stackalloc byte[1 + 2 * Hash256.Size];
        buf[0] = NodePrefix;
        left.CopyTo(buf[1..]);
        right.CopyTo(buf[(1 + Hash256.Size)..]);
        SHA256.HashData(buf, destination);
    }

    /// <summary>
    /// MTH of a list of leaf hashes by the RFC 9162 §2.1.1 recursion (split at the largest power
    /// of two smaller than n). O(n) hashes; for small trees (combined checkpoints) and references.
    /// </summary>
    public static Hash256 MerkleTreeHash(ReadOnlySpan<Hash256> leafHashes)
    {
        if (leafHashes.Length == 0)
        {
            return EmptyRoot;
        }
        if (leafHashes.Length == 1)
        {
            return leafHashes[0];
        }
        int k = (int)LargestPowerOfTwoBelow(leafHashes.Length);
        return HashNode(MerkleTreeHash(leafHashes[..k]), MerkleTreeHash(leafHashes[k..]));
    }

    /// <summary>The largest power of two strictly smaller than n (n ≥ 2).</summary>
    internal static long LargestPowerOfTwoBelow(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>
    /// RFC 9162 §2.1.3.2: verifies that <paramref name="leafHash"/> is leaf <paramref name="index"/>
    /// of the tree of size <paramref name="treeSize"/> with root <paramref name="root"/>.
    /// </summary>
    public static bool VerifyInclusion(long index, long treeSize, in Hash256 leafHash, ReadOnlySpan<Hash256> proof, in Hash256 root)
    {
        if (index < 0 || index >= treeSize)
        {
            return false;
        }
        return TryRootFromInclusionProof(index, treeSize, leafHash, proof, out Hash256 r) && r == root;
    }

    /// <summary>RFC 9162 §2.1.3.2 steps 1–5: the root implied by an audit path; false if its shape is wrong.</summary>
    public static bool TryRootFromInclusionProof(long index, long treeSize, in Hash256 leafHash, ReadOnlySpan<Hash256> proof, out Hash256 root)
    {
        root = default;
        if (index < 0 || index >= treeSize)
        {
            return false;
        }
        ulong fn = (ulong)index, sn = (ulong)(treeSize - 1);
        Hash256 r = leafHash;
        foreach (ref readonly Hash256 p in proof)
        {
            if (sn == 0)
            {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashNode(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = HashNode(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0)
        {
            return false;
        }
        root = r;
        return true;
    }

    /// <summary>
    /// RFC 9162 §2.1.4.2: verifies that the tree of size <paramref name="oldSize"/> and root
    /// <paramref name="oldRoot"/> is a prefix of the tree of size <paramref name="newSize"/> and root
    /// <paramref name="newRoot"/>. As Go's tlog.CheckTree: sizes must satisfy 1 ≤ old ≤ new, and
    /// old = new requires an empty proof and equal roots.
    /// </summary>
    public static bool VerifyConsistency(long oldSize, long newSize, in Hash256 oldRoot, in Hash256 newRoot, ReadOnlySpan<Hash256> proof)
    {
        if (oldSize < 1 || oldSize > newSize)
        {
            return false;
        }
        if (oldSize == newSize)
        {
            return proof.IsEmpty && oldRoot == newRoot;
        }
        if (proof.IsEmpty)
        {
            return false;
        }
        // Step 2: if the old size is a power of two, the path starts with the old root.
        bool prepend = BitOperations.IsPow2((ulong)oldSize);
        int idx = 0;
        Hash256 first = prepend ? oldRoot : proof[idx++];
        ulong fn = (ulong)(oldSize - 1), sn = (ulong)(newSize - 1);
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        Hash256 fr = first, sr = first;
        for (; idx < proof.Length; idx++)
        {
            ref readonly Hash256 c = ref proof[idx];
            if (sn == 0)
            {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = HashNode(c, fr);
                sr = HashNode(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = HashNode(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && fr == oldRoot && sr == newRoot;
    }
}
