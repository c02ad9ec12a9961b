using BenchmarkDotNet.Attributes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;
using TVS.Crypto.Registry;

namespace TVS.Bench;

/// <summary>
/// Poseidon (circomlib parameters) and the LeanIMT registry tree: one 2-input hash (a tree node),
/// one 16-input hash, one LeanIMT insert into a 2^16-leaf tree, and the root of 2^16 leaves built
/// on all cores and on one. Results: docs/PERFORMANCE.md "Poseidon and LeanIMT".
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class PoseidonBenchmarks
{
    private const int Leaves = 1 << 16;

    private Fr _a, _b;
    private readonly Fr[] _sixteen = new Fr[16];
    private Fr[] _leaves = [];
    private LeanImt _tree = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        Fr Next() => Fr.FromBigInteger(new System.Numerics.BigInteger(rng.NextInt64()) * rng.NextInt64() * rng.NextInt64());
        _a = Next();
        _b = Next();
        for (int i = 0; i < 16; i++) _sixteen[i] = Next();
        _leaves = new Fr[Leaves];
        for (int i = 0; i < Leaves; i++) _leaves[i] = Next();
        _tree = new LeanImt(_leaves);
    }

    [Benchmark]
    public Fr Hash2() => Poseidon.Hash2(in _a, in _b);

    [Benchmark]
    public Fr Hash16() => Poseidon.Hash(_sixteen);

    /// <summary>One append: a hash at every level where the path is a right child, popcount(index) ≈ depth/2 = 8.5 here.</summary>
    [Benchmark]
    public Fr LeanImtInsert()
    {
        _tree.Insert(in _leaves[_next++ & (Leaves - 1)]);
        return _tree.Root;
    }

    /// <summary>2^16 − 1 node hashes on all cores (LeanImtBuilder: blocks of 2^12 leaves so that both cores get work).</summary>
    [Benchmark]
    public Fr BulkRoot65536_AllCores() => LeanImtBuilder.ComputeRoot(_leaves, blockLog2: 12);

    [Benchmark]
    public Fr BulkRoot65536_OneCore() => LeanImtBuilder.ComputeRoot(_leaves, maxDegreeOfParallelism: 1, blockLog2: 12);
}
