using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;
using TVS.Crypto.Registry;

namespace TVS.Tests;

/// <summary>LeanIMT against @zk-kit/lean-imt 2.2.5 and @semaphore-protocol/group 4.14.3 (tests/fixtures/registry), a naive model, and tampering.</summary>
public class LeanImtTests
{
    private static readonly JsonElement Fixture = PoseidonFixtures.Load("leanimt");
    private static readonly Fr[] Pool = PoseidonFixtures.Fs(Fixture.GetProperty("pool"));

    private static void AssertProof(JsonElement want, LeanImtProof got)
    {
        Assert.Equal(PoseidonFixtures.F(want.GetProperty("root")), got.Root);
        Assert.Equal(PoseidonFixtures.F(want.GetProperty("leaf")), got.Leaf);
        Assert.Equal(want.GetProperty("index").GetUInt64(), got.Index);
        Assert.Equal(PoseidonFixtures.Fs(want.GetProperty("siblings")), got.Siblings);
        Assert.True(LeanImt.VerifyProof(got));
    }

    public static TheoryData<int> Sizes()
    {
        var d = new TheoryData<int>();
        foreach (var t in Fixture.GetProperty("trees").EnumerateArray()) d.Add(t.GetProperty("size").GetInt32());
        return d;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void TreeMatchesLeanImt(int size)
    {
        var t = Fixture.GetProperty("trees").EnumerateArray().First(x => x.GetProperty("size").GetInt32() == size);
        var leaves = Pool.AsSpan(0, size);
        var root = PoseidonFixtures.F(t.GetProperty("root"));
        int depth = t.GetProperty("depth").GetInt32();

        var many = new LeanImt(leaves);
        var one = new LeanImt();
        foreach (var l in leaves) one.Insert(l);
        foreach (var tree in new[] { many, one })
        {
            Assert.Equal(size, tree.Size);
            Assert.Equal(depth, tree.Depth);
            Assert.Equal(root, tree.Root);
        }
        Assert.Equal(depth, LeanImt.DepthFor(size));
        // the streaming builder, with blocks small enough that most trees span several, partial last block included
        foreach (int blockLog2 in new[] { 1, 2, 3, 5, 16 })
            Assert.Equal(root, LeanImtBuilder.ComputeRoot(Pool.AsMemory(0, size), blockLog2: blockLog2));

        foreach (var p in t.GetProperty("proofs").EnumerateArray())
        {
            int i = p.GetProperty("leafIndex").GetInt32();
            AssertProof(p, many.GenerateProof(i));
            AssertProof(p, one.GenerateProof(i));
            Assert.Equal(i, many.IndexOf(Pool[i]));
        }
        foreach (var u in t.GetProperty("updates").EnumerateArray())
        {
            int i = u.GetProperty("index").GetInt32();
            var leaf = PoseidonFixtures.F(u.GetProperty("leaf"));
            many.Update(i, leaf);
            Assert.Equal(PoseidonFixtures.F(u.GetProperty("root")), many.Root);
            AssertProof(u.GetProperty("proof"), many.GenerateProof(i));
            Assert.Equal(leaf, many.Leaf(i));
        }
    }

    [Fact]
    public void MixedInsertAndInsertManyMatchLeanImt()
    {
        var tree = new LeanImt();
        foreach (var step in Fixture.GetProperty("mixed").EnumerateArray())
        {
            int from = tree.Size;
            if (step.GetProperty("kind").GetString() == "insert") tree.Insert(Pool[from]);
            else tree.InsertMany(Pool.AsSpan(from, step.GetProperty("count").GetInt32()));
            Assert.Equal(step.GetProperty("size").GetInt32(), tree.Size);
            Assert.Equal(step.GetProperty("depth").GetInt32(), tree.Depth);
            Assert.Equal(PoseidonFixtures.F(step.GetProperty("root")), tree.Root);
        }
    }

    [Fact]
    public void SemaphoreGroupFixture()
    {
        var g = PoseidonFixtures.Load("group");
        var members = PoseidonFixtures.Fs(g.GetProperty("members"));
        var tree = new LeanImt(members);
        Assert.Equal(g.GetProperty("size").GetInt32(), tree.Size);
        Assert.Equal(g.GetProperty("depth").GetInt32(), tree.Depth);
        Assert.Equal(PoseidonFixtures.F(g.GetProperty("root")), tree.Root);
        AssertProof(g.GetProperty("proof"), tree.GenerateProof(g.GetProperty("proofIndex").GetInt32()));
        Assert.Equal(PoseidonFixtures.F(g.GetProperty("emptyRoot")), new LeanImt().Root);
        Assert.Equal(PoseidonFixtures.F(g.GetProperty("emptyRoot")), LeanImtBuilder.ComputeRoot(ReadOnlyMemory<Fr>.Empty));
        // Group.removeMember(i) is lean-imt's update(i, 0)
        tree.Update(g.GetProperty("removedIndex").GetInt32(), Fr.Zero);
        Assert.Equal(PoseidonFixtures.F(g.GetProperty("rootAfterRemove")), tree.Root);
        // Group takes duplicates (the CLI refuses them); indexOf finds the first
        var dup = g.GetProperty("duplicates");
        var dupTree = new LeanImt(PoseidonFixtures.Fs(dup.GetProperty("members")));
        Assert.Equal(PoseidonFixtures.F(dup.GetProperty("root")), dupTree.Root);
        Assert.Equal(dup.GetProperty("indexOf5").GetInt32(), dupTree.IndexOf(Fr.FromUInt64(5)));
    }

    /// <summary>The tree as defined: level by level, pairs hashed, a lone last node carried up.</summary>
    private static Fr NaiveRoot(IReadOnlyList<Fr> leaves)
    {
        if (leaves.Count == 0) return Fr.Zero;
        var level = leaves.ToList();
        while (level.Count > 1)
        {
            var next = new List<Fr>();
            for (int i = 0; i < level.Count; i += 2)
                next.Add(i + 1 < level.Count ? Poseidon.Hash2(level[i], level[i + 1]) : level[i]);
            level = next;
        }
        return level[0];
    }

    [Fact]
    public void RandomTreesAgreeWithNaiveRecomputation()
    {
        var rng = new Random(5);
        for (int round = 0; round < 12; round++)
        {
            int size = round < 4 ? round + 1 : rng.Next(1, 700);
            var leaves = Enumerable.Range(0, size).Select(_ => PoseidonTests.RandomFr(rng)).ToList();
            var tree = new LeanImt();
            // grow in random steps of insert / insertMany
            int at = 0;
            while (at < size)
            {
                int n = rng.Next(3) == 0 ? 1 : rng.Next(1, size - at + 1);
                if (n == 1) tree.Insert(leaves[at]);
                else tree.InsertMany(leaves.Skip(at).Take(n).ToArray());
                at += n;
                Assert.Equal(NaiveRoot(leaves.Take(at).ToList()), tree.Root);
            }
            Assert.Equal(LeanImt.DepthFor(size), tree.Depth);
            for (int k = 0; k < 3; k++)
            {
                int i = rng.Next(size);
                leaves[i] = PoseidonTests.RandomFr(rng);
                tree.Update(i, leaves[i]);
                Assert.Equal(NaiveRoot(leaves), tree.Root);
                var p = tree.GenerateProof(i);
                Assert.True(LeanImt.VerifyProof(p));
                Assert.Equal(leaves[i], p.Leaf);
            }
        }
    }

    [Fact]
    public void ParallelBulkBuildEqualsSequential()
    {
        var rng = new Random(9);
        var leaves = Enumerable.Range(0, 20_000 + rng.Next(5000)).Select(_ => PoseidonTests.RandomFr(rng)).ToArray();
        var parallel = new LeanImt();
        parallel.InsertMany(leaves);
        var sequential = new LeanImt();
        sequential.InsertMany(leaves, maxDegreeOfParallelism: 1);
        Assert.Equal(sequential.Root, parallel.Root);
        Assert.Equal(sequential.Root, LeanImtBuilder.ComputeRoot(leaves, blockLog2: 10));
        // streaming from a reader (as from a file), called from several threads
        Assert.Equal(sequential.Root, LeanImtBuilder.ComputeRoot(leaves.Length, (start, dst) => leaves.AsSpan((int)start, dst.Length).CopyTo(dst), blockLog2: 12));
        for (int i = 0; i < 5; i++) Assert.True(LeanImt.VerifyProof(parallel.GenerateProof(rng.Next(leaves.Length))));
    }

    [Fact]
    public void RootFromABinaryLeafFile()
    {
        int size = 1000;
        var file = Path.Combine(Path.GetTempPath(), $"tvs-leaves-{Guid.NewGuid():N}.bin");
        try
        {
            var bytes = new byte[size * 32];
            for (int i = 0; i < size; i++) Pool[i].WriteBigEndian(bytes.AsSpan(i * 32, 32));
            File.WriteAllBytes(file, bytes);
            var want = new LeanImt(Pool.AsSpan(0, size)).Root;
            Assert.Equal(want, LeanImtBuilder.ComputeRootFromFile(file, blockLog2: 6));
            Assert.Equal(want, LeanImtBuilder.ComputeRootFromFile(file));

            File.WriteAllBytes(file, bytes.AsSpan(0, 33).ToArray());
            Assert.Throws<InvalidDataException>(() => LeanImtBuilder.ComputeRootFromFile(file));
            bytes.AsSpan(32, 32).Fill(0xff); // leaf 1 = 2^256 − 1 ≥ r
            File.WriteAllBytes(file, bytes);
            Assert.Throws<InvalidDataException>(() => LeanImtBuilder.ComputeRootFromFile(file, maxDegreeOfParallelism: 1));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TamperedProofsFail()
    {
        var rng = new Random(3);
        foreach (int size in new[] { 2, 3, 5, 8, 13, 100 })
        {
            var tree = new LeanImt(Enumerable.Range(0, size).Select(_ => PoseidonTests.RandomFr(rng)).ToArray());
            for (int i = 0; i < size; i += Math.Max(1, size / 7))
            {
                var p = tree.GenerateProof(i);
                Assert.True(LeanImt.VerifyProof(p));
                for (int s = 0; s < p.Siblings.Length; s++)
                {
                    var siblings = (Fr[])p.Siblings.Clone();
                    siblings[s] += Fr.One;
                    Assert.False(LeanImt.VerifyProof(p with { Siblings = siblings }));
                    Assert.False(LeanImt.VerifyProof(p with { Index = p.Index ^ (1UL << s) }));
                }
                Assert.False(LeanImt.VerifyProof(p with { Index = p.Index | (1UL << p.Siblings.Length) })); // bits beyond the path
                Assert.False(LeanImt.VerifyProof(p with { Leaf = p.Leaf + Fr.One }));
                Assert.False(LeanImt.VerifyProof(p with { Root = p.Root + Fr.One }));
                if (p.Siblings.Length > 0)
                    Assert.False(LeanImt.VerifyProof(p with { Siblings = p.Siblings[..^1] }));
            }
        }
        Assert.False(LeanImt.VerifyProof(new LeanImtProof(Fr.One, Fr.One, 0, new Fr[33])));
    }

    [Fact]
    public void OutOfRangeIndicesAreRefused()
    {
        var tree = new LeanImt([Fr.One, Fr.One + Fr.One]);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.GenerateProof(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.GenerateProof(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Update(2, Fr.One));
        Assert.Equal(-1, tree.IndexOf(Fr.Zero));
        var single = new LeanImt([Fr.One]);
        var p = single.GenerateProof(0);
        Assert.Equal(Fr.One, single.Root);
        Assert.Empty(p.Siblings);
        Assert.Equal(0UL, p.Index);
        Assert.True(LeanImt.VerifyProof(p));
    }
}
