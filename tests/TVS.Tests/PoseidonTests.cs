using System.Security.Cryptography;
using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;
using TVS.Crypto.Registry;
using Xunit.Abstractions;

namespace TVS.Tests;

/// <summary>Poseidon against circomlibjs 0.1.7 and poseidon-lite (tests/fixtures/registry/poseidon.json) and, live, through node.</summary>
public class PoseidonTests(ITestOutputHelper output)
{
    [Fact]
    public void DerivedConstantsEqualCircomlibjs()
    {
        var fixture = PoseidonFixtures.Load("poseidon");
        var entries = fixture.GetProperty("constants").EnumerateArray().ToList();
        Assert.Equal(16, entries.Count);
        Span<byte> be = stackalloc byte[32];
        foreach (var e in entries)
        {
            int t = e.GetProperty("t").GetInt32();
            var p = PoseidonParameters.Derive(t);
            Assert.Equal(e.GetProperty("constants").GetInt32(), p.C.Length);
            Assert.Equal(t * t, p.M.Length);
            Assert.Equal(PoseidonFixtures.F(e.GetProperty("c0")), p.C[0]);
            Assert.Equal(PoseidonFixtures.F(e.GetProperty("m00")), p.M[0]);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var c in p.C) { c.WriteBigEndian(be); sha.AppendData(be); }
            foreach (var m in p.M) { m.WriteBigEndian(be); sha.AppendData(be); }
            Assert.Equal(e.GetProperty("sha256").GetString(), Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
    }

    [Fact]
    public void EveryArityMatchesCircomlibjs()
    {
        var cases = PoseidonFixtures.Load("poseidon").GetProperty("cases").EnumerateArray().ToList();
        var arities = new HashSet<int>();
        foreach (var c in cases)
        {
            var inputs = PoseidonFixtures.Fs(c.GetProperty("inputs"));
            var want = PoseidonFixtures.F(c.GetProperty("output"));
            arities.Add(inputs.Length);
            Assert.Equal(want, Poseidon.Hash(inputs));
            if (inputs.Length == 2) Assert.Equal(want, Poseidon.Hash2(in inputs[0], in inputs[1]));
        }
        Assert.Equal(Enumerable.Range(1, 16), arities.Order());
    }

    [Fact]
    public void KnownAnswers()
    {
        // circomlib's own test vectors (poseidon.js in circomlibjs's tests): Poseidon([1, 2]) and Poseidon([1, 2, 3, 4]).
        Assert.Equal("7853200120776062878684798364095072458815029376092732009249414926327459813530", Poseidon.Hash2(Fr.FromUInt64(1), Fr.FromUInt64(2)).ToString());
        Assert.Equal("18821383157269793795438455681495246036402687001665670618754263018637548127333",
            Poseidon.Hash([Fr.FromUInt64(1), Fr.FromUInt64(2), Fr.FromUInt64(3), Fr.FromUInt64(4)]).ToString());
    }

    [Fact]
    public void ArityOutOfRangeIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Poseidon.Hash([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Poseidon.Hash(new Fr[17]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoseidonParameters.For(18));
    }

    [Fact]
    public void HashingAllocatesNothing()
    {
        var a = Fr.FromUInt64(3);
        var b = Fr.FromUInt64(5);
        var sixteen = new Fr[16];
        for (int i = 0; i < 16; i++) sixteen[i] = Fr.FromUInt64((ulong)i + 7);
        Fr sink = Poseidon.Hash2(in a, in b);
        sink = Poseidon.Hash(sixteen);
        sink = Poseidon.Hash(sixteen.AsSpan(0, 5));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            sink = Poseidon.Hash2(in sink, in b);
            sink = Poseidon.Hash(sixteen);
            sink = Poseidon.Hash(sixteen.AsSpan(0, 5));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(sink.IsZero);
    }

    /// <summary>
    /// Runs tools/registry/check.mjs: it rebuilds the committed fixtures with the peers and
    /// compares them, then checks what TVS computes on fresh random inputs (every arity, trees of
    /// random sizes with proofs) against circomlibjs, lean-imt and @semaphore-protocol/group.
    /// </summary>
    [Fact]
    public void LiveCheckAgainstThePeers()
    {
        if (!ExternalTools.NodePackage("registry", "circomlibjs", output, out var dir)) return;
        var rng = new Random();
        var hashes = new List<object>();
        for (int n = 1; n <= 16; n++)
        {
            var inputs = Enumerable.Range(0, n).Select(_ => RandomFr(rng)).ToArray();
            hashes.Add(new { inputs = inputs.Select(x => x.ToString()).ToArray(), output = Poseidon.Hash(inputs).ToString() });
        }
        var trees = new List<object>();
        foreach (int size in new[] { 1, 2, 3, rng.Next(4, 40), rng.Next(40, 300), rng.Next(300, 2000) })
        {
            var leaves = Enumerable.Range(0, size).Select(_ => RandomFr(rng)).ToArray();
            var tree = new LeanImt(leaves);
            var proofs = new[] { 0, size / 2, size - 1, rng.Next(size) }.Distinct().Select(i =>
            {
                var p = tree.GenerateProof(i);
                return new { leafIndex = i, root = p.Root.ToString(), leaf = p.Leaf.ToString(), index = p.Index, siblings = p.Siblings.Select(s => s.ToString()).ToArray() };
            }).ToArray();
            trees.Add(new { leaves = leaves.Select(x => x.ToString()).ToArray(), root = tree.Root.ToString(), depth = tree.Depth, proofs });
        }
        var file = Path.Combine(Path.GetTempPath(), $"tvs-registry-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new { poseidon = hashes, trees }));
        try
        {
            var (code, stdout, stderr) = ExternalTools.Run("node", $"check.mjs \"{file}\"", dir, TimeSpan.FromMinutes(3));
            output.WriteLine(stdout);
            output.WriteLine(stderr);
            Assert.True(code == 0, stdout + stderr);
            Assert.StartsWith("OK ", stdout.Trim().Split('\n')[^1]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal static Fr RandomFr(Random rng)
    {
        Span<byte> b = stackalloc byte[32];
        rng.NextBytes(b);
        b[0] &= 0x1f; // below 2^253 < r, so no rejection needed
        return Fr.TryFromBigEndian(b, out var v) ? v : throw new InvalidOperationException();
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("21888242871839275222246405745257275088548364400416034343698204186575808495616", true)] // r − 1
    [InlineData("21888242871839275222246405745257275088548364400416034343698204186575808495617", false)] // r
    [InlineData("121888242871839275222246405745257275088548364400416034343698204186575808495616", false)]
    [InlineData("0", true)]
    [InlineData("007", false)]
    [InlineData("-1", false)]
    [InlineData("+1", false)]
    [InlineData(" 1", false)]
    [InlineData("0x10", false)]
    [InlineData("1e3", false)]
    [InlineData("", false)]
    [InlineData("١٢", false)] // Arabic-Indic digits: char.IsDigit says yes, the canonical form says no
    public void CommitmentsMustBeCanonicalDecimalsBelowR(string text, bool ok)
    {
        Assert.Equal(ok, IdentityCommitment.TryParseDecimal(text, out var v, out var error));
        if (ok) Assert.Equal(text, v.ToString());
        else Assert.False(string.IsNullOrEmpty(error));
    }
}
