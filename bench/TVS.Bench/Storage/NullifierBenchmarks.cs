using BenchmarkDotNet.Attributes;
using TVS.Engine;
using TVS.Storage;

namespace TVS.Bench.Storage;

/// <summary>
/// FASTER nullifier store per operation, at 1M keys held in memory (64 MiB log memory): insert of
/// a new key, insert of a duplicate, lookup of a present key, lookup of an absent key. Each
/// benchmark call does <see cref="Ops"/> operations. Results: docs/PERFORMANCE.md.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class NullifierBenchmarks
{
    private const int Keys = 1 << 20;
    private const int Ops = 1 << 12;

    private string _dir = "";
    private FasterNullifierStore _store = null!;
    private Nullifier[] _present = [];
    private Nullifier[] _absent = [];
    private Nullifier[] _fresh = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tvs-bench-nullifiers-").FullName;
        _store = FasterNullifierStore.Open(_dir, new FasterNullifierStoreOptions { IndexBuckets = 1 << 19, LogMemoryBytes = 1L << 30, PageBytes = 1 << 22 });
        var rng = new Random(7);
        _present = Make(rng, Keys);
        _absent = Make(rng, Ops);
        _fresh = Make(rng, 1 << 23); // new keys for the insert benchmark, enough for all its iterations
        for (int i = 0; i < Keys; i++)
        {
            _store.TryInsert(_present[i], i);
        }
    }

    private static Nullifier[] Make(Random rng, int n)
    {
        var keys = new Nullifier[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = new Nullifier((ulong)rng.NextInt64(), (ulong)rng.NextInt64(), (ulong)rng.NextInt64(), (ulong)rng.NextInt64());
        }
        return keys;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public long InsertNew()
    {
        long s = 0;
        for (int i = 0; i < Ops; i++)
        {
            int k = _next++ & (_fresh.Length - 1);
            s += (long)_store.TryInsert(_fresh[k], Keys + k).Outcome;
        }
        return s;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public long InsertDuplicate()
    {
        long s = 0;
        for (int i = 0; i < Ops; i++)
        {
            s += _store.TryInsert(_present[(i * 257) & (Keys - 1)], -1).ExistingMmrIndex;
        }
        return s;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public long LookupPresent()
    {
        long s = 0;
        for (int i = 0; i < Ops; i++)
        {
            _store.TryGet(_present[(i * 257) & (Keys - 1)], out long idx);
            s += idx;
        }
        return s;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public long LookupAbsent()
    {
        long s = 0;
        for (int i = 0; i < Ops; i++)
        {
            s += _store.TryGet(_absent[i], out _) ? 1 : 0;
        }
        return s;
    }
}
