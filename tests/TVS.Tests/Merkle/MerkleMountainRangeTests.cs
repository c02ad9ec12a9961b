using System.Text;
using TVS.Merkle;

namespace TVS.Tests.Merkle;

public class MerkleMountainRangeTests
{
    private static (MerkleMountainRange Mmr, byte[][] LeafHashes) Build(int n)
    {
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        var hashes = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            byte[] data = NaiveRfc9162.LeafData(i);
            hashes[i] = NaiveRfc9162.Leaf(data);
            Assert.Equal(i, mmr.Append(data));
        }
        return (mmr, hashes);
    }

    [Fact]
    public void EmptyTreeHashIsSha256OfNothing()
    {
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", mmr.Root.ToHex());
        Assert.Equal(Rfc9162.EmptyRoot, mmr.RootAt(0));
    }

    [Fact]
    public void RootEqualsNaiveMthForEverySizeUpTo2000()
    {
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        var hashes = new List<byte[]>();
        for (int i = 0; i < 2000; i++)
        {
            byte[] data = NaiveRfc9162.LeafData(i);
            hashes.Add(NaiveRfc9162.Leaf(data));
            mmr.Append(data);
            Assert.Equal(NaiveRfc9162.Mth(hashes.ToArray()), mmr.Root.ToArray());
            Assert.Equal(MmrPositions.NodeCount(i + 1), mmr.Store.Count);
        }
        // Past sizes are computed from stored nodes.
        byte[][] all = hashes.ToArray();
        for (int m = 0; m <= 2000; m += m < 140 ? 1 : 37)
        {
            Assert.Equal(NaiveRfc9162.Mth(all.AsSpan(0, m)), mmr.RootAt(m).ToArray());
        }
    }

    [Fact]
    public void AppendLeafHashEqualsAppendData()
    {
        var a = new MerkleMountainRange(new InMemoryMmrNodeStore());
        var b = new MerkleMountainRange(new InMemoryMmrNodeStore());
        for (int i = 0; i < 77; i++)
        {
            a.Append(NaiveRfc9162.LeafData(i));
            b.AppendLeafHash(Rfc9162.HashLeaf(NaiveRfc9162.LeafData(i)));
            Assert.Equal(a.Root, b.Root);
            Assert.Equal(Rfc9162.HashLeaf(NaiveRfc9162.LeafData(i)), a.GetLeafHash(i));
        }
        var large = new byte[1000];
        Assert.Equal(NaiveRfc9162.Leaf(large), Rfc9162.HashLeaf(large).ToArray());
    }

    /// <summary>The Certificate Transparency reference vectors (RFC 6962 test data, 8 leaves).</summary>
    [Fact]
    public void CertificateTransparencyReferenceRoots()
    {
        string[] leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
        string[] roots =
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        for (int i = 0; i < leaves.Length; i++)
        {
            mmr.Append(Convert.FromHexString(leaves[i]));
            Assert.Equal(roots[i], mmr.Root.ToHex());
        }
        for (int i = 0; i < leaves.Length; i++)
        {
            Assert.Equal(roots[i], mmr.RootAt(i + 1).ToHex());
        }
    }

    [Fact]
    public void PositionsFollowTlogStoredHashIndex()
    {
        // tlog.StoredHashIndex(level, n) for the first 4 leaves: see MmrPositions.
        Assert.Equal(0, MmrPositions.NodePosition(0, 0));
        Assert.Equal(1, MmrPositions.NodePosition(0, 1));
        Assert.Equal(2, MmrPositions.NodePosition(1, 0));
        Assert.Equal(3, MmrPositions.NodePosition(0, 2));
        Assert.Equal(4, MmrPositions.NodePosition(0, 3));
        Assert.Equal(5, MmrPositions.NodePosition(1, 1));
        Assert.Equal(6, MmrPositions.NodePosition(2, 0));
        Assert.Equal(7, MmrPositions.NodePosition(0, 4));
        for (long n = 0; n < 5000; n++)
        {
            Assert.Equal(n, MmrPositions.LeafCountAtMost(MmrPositions.NodeCount(n)));
            // Leaf n is followed by one node per trailing one bit of n.
            Assert.Equal(MmrPositions.NodeCount(n + 1), MmrPositions.LeafPosition(n) + 1 + System.Numerics.BitOperations.TrailingZeroCount(~(ulong)n));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(300)]
    [InlineData(1000)]
    public void InclusionProofsMatchRfcAndVerify(int size)
    {
        (MerkleMountainRange mmr, byte[][] leaves) = Build(size + 13); // proofs at a past size too
        Hash256 root = mmr.RootAt(size);
        for (int i = 0; i < size; i++)
        {
            Hash256[] proof = mmr.GetInclusionProof(i, size);
            Assert.Equal(NaiveRfc9162.Path(i, leaves.AsSpan(0, size)), NaiveRfc9162.Bytes(proof));
            Hash256 leaf = new(leaves[i]);
            Assert.True(Rfc9162.VerifyInclusion(i, size, leaf, proof, root));
            if (size > 1)
            {
                Assert.False(Rfc9162.VerifyInclusion((i + 1) % size, size, leaf, proof, root));
                byte[] bad = proof[i % proof.Length].ToArray();
                bad[i % 32] ^= 0x01;
                Hash256[] tampered = (Hash256[])proof.Clone();
                tampered[i % proof.Length] = new Hash256(bad);
                Assert.False(Rfc9162.VerifyInclusion(i, size, leaf, tampered, root));
                Assert.False(Rfc9162.VerifyInclusion(i, size, leaf, proof[..^1], root));
            }
            byte[] badLeaf = leaves[i].ToArray();
            badLeaf[0] ^= 0x80;
            Assert.False(Rfc9162.VerifyInclusion(i, size, new Hash256(badLeaf), proof, root));
        }
    }

    [Fact]
    public void ConsistencyProofsMatchRfcAndVerify()
    {
        const int max = 300;
        (MerkleMountainRange mmr, byte[][] leaves) = Build(max);
        var pairs = new List<(int M, int N)>();
        for (int n = 1; n <= 70; n++)
        {
            for (int m = 1; m <= n; m++)
            {
                pairs.Add((m, n));
            }
        }
        foreach (int n in new[] { 128, 129, 255, 256, 257, 299, 300 })
        {
            foreach (int m in new[] { 1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 64, 100, 127, 128, 129, 200, 256, n - 1, n })
            {
                if (m <= n)
                {
                    pairs.Add((m, n));
                }
            }
        }
        foreach ((int m, int n) in pairs)
        {
            Hash256[] proof = mmr.GetConsistencyProof(m, n);
            Assert.Equal(NaiveRfc9162.Proof(m, leaves.AsSpan(0, n)), NaiveRfc9162.Bytes(proof));
            Hash256 oldRoot = mmr.RootAt(m), newRoot = mmr.RootAt(n);
            Assert.True(Rfc9162.VerifyConsistency(m, n, oldRoot, newRoot, proof), $"{m}->{n}");
            if (m == n)
            {
                Assert.Empty(proof);
                continue;
            }
            Assert.False(Rfc9162.VerifyConsistency(m, n, newRoot, oldRoot, proof));
            for (int j = 0; j < proof.Length; j++)
            {
                byte[] bad = proof[j].ToArray();
                bad[(m + j) % 32] ^= 0x40;
                Hash256[] tampered = (Hash256[])proof.Clone();
                tampered[j] = new Hash256(bad);
                Assert.False(Rfc9162.VerifyConsistency(m, n, oldRoot, newRoot, tampered), $"{m}->{n} at {j}");
            }
            Assert.False(Rfc9162.VerifyConsistency(m, n, oldRoot, newRoot, proof[..^1]));
        }
        Assert.False(Rfc9162.VerifyConsistency(0, 5, Rfc9162.EmptyRoot, mmr.RootAt(5), []));
        Assert.Throws<ArgumentOutOfRangeException>(() => mmr.GetConsistencyProof(0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => mmr.GetConsistencyProof(5, max + 1));
    }

    [Fact]
    public void TruncateToRestoresTheEarlierTree()
    {
        (MerkleMountainRange mmr, _) = Build(100);
        Hash256 root37 = mmr.RootAt(37);
        mmr.TruncateTo(37);
        Assert.Equal(37, mmr.LeafCount);
        Assert.Equal(root37, mmr.Root);
        Assert.Equal(MmrPositions.NodeCount(37), mmr.Store.Count);
        (MerkleMountainRange again, _) = Build(100);
        for (int i = 37; i < 100; i++)
        {
            mmr.Append(NaiveRfc9162.LeafData(i));
        }
        Assert.Equal(again.Root, mmr.Root);
    }

    [Fact]
    public void ProofsAfterTruncationAndDifferentLeavesUseTheNewNodes()
    {
        (MerkleMountainRange mmr, _) = Build(100);
        Hash256 oldRoot = mmr.Root;
        _ = mmr.GetInclusionProof(0, 100); // caches the peak baggings of size 100
        mmr.TruncateTo(37);
        for (int i = 37; i < 100; i++)
        {
            mmr.Append(NaiveRfc9162.LeafData(i + 1000));
        }
        Assert.NotEqual(oldRoot, mmr.Root);
        Assert.Equal(mmr.Root, mmr.RootAt(100));
        Hash256[] proof = mmr.GetInclusionProof(0, 100);
        Assert.True(Rfc9162.VerifyInclusion(0, 100, mmr.GetLeafHash(0), proof, mmr.Root));
        Assert.True(Rfc9162.VerifyConsistency(37, 100, mmr.RootAt(37), mmr.Root, mmr.GetConsistencyProof(37, 100)));
    }

    [Fact]
    public void ReopeningDropsNodesOfAnUnfinishedLeaf()
    {
        var store = new InMemoryMmrNodeStore();
        var mmr = new MerkleMountainRange(store);
        for (int i = 0; i < 8; i++)
        {
            mmr.Append(Encoding.UTF8.GetBytes($"leaf {i}"));
        }
        Hash256 root7 = mmr.RootAt(7);
        store.TruncateTo(store.Count - 2); // leaf 7 and one of the three nodes it completed survived
        var reopened = new MerkleMountainRange(store);
        Assert.Equal(7, reopened.LeafCount);
        Assert.Equal(root7, reopened.Root);
        Assert.Equal(MmrPositions.NodeCount(7), store.Count);
    }
}
