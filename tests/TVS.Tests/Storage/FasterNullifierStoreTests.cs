using System.Diagnostics;
using TVS.Engine;
using TVS.Engine.Ports;
using TVS.Storage;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

public sealed class FasterNullifierStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-nullifiers-").FullName;

    // Small enough for a test machine: 2^16 buckets (4 MiB index), 32 MiB log memory, 1 MiB pages.
    private static readonly FasterNullifierStoreOptions Small = new()
    {
        IndexBuckets = 1 << 16,
        LogMemoryBytes = 1 << 25,
        PageBytes = 1 << 20,
        SegmentBytes = 1 << 26,
    };

    public void Dispose() => Directory.Delete(_dir, true);

    private static Nullifier Key(Random rng)
    {
        Span<byte> b = stackalloc byte[Nullifier.Size];
        rng.NextBytes(b);
        return Nullifier.FromBytes(b);
    }

    private static Nullifier[] Keys(int n, int seed)
    {
        var rng = new Random(seed);
        var keys = new Nullifier[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = Key(rng);
        }
        return keys;
    }

    [Fact]
    public void NullifierBytesRoundTripAndCompareByValue()
    {
        byte[] bytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        Nullifier n = Nullifier.FromBytes(bytes);
        byte[] back = new byte[32];
        n.WriteBytes(back);
        Assert.Equal(bytes, back);
        Assert.Equal(Nullifier.FromBytes(bytes), n);
        Assert.Equal(n.GetHashCode64(), Nullifier.FromBytes(back).GetHashCode64());
        bytes[31] ^= 1;
        Assert.NotEqual(Nullifier.FromBytes(bytes), n);
        Assert.NotEqual(Nullifier.FromBytes(bytes).GetHashCode64(), n.GetHashCode64());
        Assert.Throws<ArgumentException>(() => Nullifier.FromBytes(new byte[31]));
    }

    [Fact]
    public void InsertLookupDuplicate()
    {
        using FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small);
        Nullifier a = new(1, 2, 3, 4), b = new(1, 2, 3, 5);
        Assert.False(store.TryGet(a, out _));
        Assert.Equal(InsertResult.Inserted, store.TryInsert(a, 7));
        Assert.True(store.TryGet(a, out long ia));
        Assert.Equal(7, ia);
        Assert.False(store.TryGet(b, out _));
        // First valid vote wins: a second insert keeps the first index and reports it.
        Assert.Equal(InsertResult.Duplicate(7), store.TryInsert(a, 99));
        Assert.True(store.TryGet(a, out ia));
        Assert.Equal(7, ia);
        Assert.Equal(InsertResult.Inserted, store.TryInsert(b, 8));
        Assert.Equal(2, store.Count);
        Assert.True(store.LastCheckpoint.IsNone);
    }

    [Fact]
    public void DictionaryStoreHasTheSameSemantics()
    {
        using var store = new DictionaryNullifierStore();
        Nullifier a = new(1, 2, 3, 4);
        Assert.True(store.TryInsert(a, 7).IsInserted);
        Assert.Equal(InsertResult.Duplicate(7), store.TryInsert(a, 9));
        NullifierCheckpoint cp = store.Checkpoint(8);
        store.TryInsert(new Nullifier(5, 6, 7, 8), 9);
        Assert.Equal(cp, store.Recover());
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void MillionRandomKeysAllFoundAbsentOnesNot()
    {
        const int n = 1_000_000;
        Nullifier[] keys = Keys(n, 1);
        var sw = Stopwatch.StartNew();
        using FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small with { IndexBuckets = 1 << 18, LogMemoryBytes = 1 << 26 }); // all in memory
        for (int i = 0; i < n; i++)
        {
            Assert.True(store.TryInsert(keys[i], i).IsInserted);
        }
        long insertMs = sw.ElapsedMilliseconds;
        for (int i = 0; i < n; i++)
        {
            if (!store.TryGet(keys[i], out long idx) || idx != i)
            {
                Assert.Fail($"key {i} not found or wrong index");
            }
        }
        long lookupMs = sw.ElapsedMilliseconds - insertMs;
        var rng = new Random(2);
        for (int i = 0; i < 100_000; i++)
        {
            Assert.False(store.TryGet(Key(rng), out _));
        }
        Assert.Equal(n, store.Count);
        output.WriteLine($"1M inserts {insertMs} ms, 1M lookups {lookupMs} ms, total {sw.ElapsedMilliseconds} ms; log {store.LogAddresses}");
    }

    [Fact]
    public void ConcurrentReadersSeeOnlyCorrectValues()
    {
        const int n = 200_000;
        Nullifier[] keys = Keys(n, 3);
        using FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small);
        using var done = new CancellationTokenSource();
        long found = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Thread[] readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
        {
            try
            {
                var rng = new Random(r);
                while (!done.IsCancellationRequested)
                {
                    int i = rng.Next(n);
                    if (store.TryGet(keys[i], out long idx))
                    {
                        Interlocked.Increment(ref found);
                        if (idx != i)
                        {
                            errors.Enqueue($"key {i} read as {idx}");
                        }
                    }
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e.ToString());
            }
        })).ToArray();
        foreach (Thread t in readers)
        {
            t.Start();
        }
        for (int i = 0; i < n; i++)
        {
            Assert.True(store.TryInsert(keys[i], i).IsInserted);
            if (i == n / 2)
            {
                store.Checkpoint(i + 1); // a checkpoint while readers run
            }
        }
        done.Cancel();
        foreach (Thread t in readers)
        {
            t.Join();
        }
        Assert.Empty(errors);
        Assert.True(found > 0);
        output.WriteLine($"readers found {found} keys while the writer inserted");
    }

    [Fact]
    public void CheckpointReopenRecoversExactlyTheCheckpointedKeys()
    {
        Nullifier[] keys = Keys(30_000, 4);
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small))
        {
            for (int i = 0; i < 10_000; i++)
            {
                store.TryInsert(keys[i], i);
            }
            NullifierCheckpoint first = store.Checkpoint(10_000); // full (index + log)
            for (int i = 10_000; i < 20_000; i++)
            {
                store.TryInsert(keys[i], i);
            }
            NullifierCheckpoint second = store.Checkpoint(20_000); // log only (fold-over)
            Assert.NotEqual(first.Token, second.Token);
            Assert.Equal(new NullifierCheckpoint(second.Token, 20_000, 20_000), store.LastCheckpoint);
            for (int i = 20_000; i < 30_000; i++)
            {
                store.TryInsert(keys[i], i);
            }
            // Dispose without a checkpoint: the last 10,000 inserts are not durable.
        }
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small))
        {
            NullifierCheckpoint cp = store.LastCheckpoint;
            Assert.Equal(20_000, cp.CoveredPosition);
            Assert.Equal(20_000, store.Count);
            for (int i = 0; i < 20_000; i++)
            {
                Assert.True(store.TryGet(keys[i], out long idx));
                Assert.Equal(i, idx);
            }
            // FASTER recovers to the checkpoint's log tail, so later inserts are gone. The engine
            // re-derives them by replaying its input from position cp.CoveredPosition: the same
            // nullifiers arrive in the same order and get the same indexes.
            for (int i = 20_000; i < 30_000; i++)
            {
                Assert.False(store.TryGet(keys[i], out _));
            }
            for (int i = (int)cp.CoveredPosition; i < 30_000; i++)
            {
                Assert.True(store.TryInsert(keys[i], i).IsInserted);
            }
            Assert.Equal(InsertResult.Duplicate(5), store.TryInsert(keys[5], 12345));
            store.Checkpoint(30_000);
        }
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small))
        {
            Assert.Equal(30_000, store.LastCheckpoint.CoveredPosition);
            Assert.Equal(30_000, store.Count);
            Assert.True(store.TryGet(keys[29_999], out long idx));
            Assert.Equal(29_999, idx);
            // Only the checkpoint the commit file names is kept.
            string[] logCheckpoints = Directory.GetDirectories(Path.Combine(_dir, "checkpoints", "cpr-checkpoints"));
            string[] indexCheckpoints = Directory.GetDirectories(Path.Combine(_dir, "checkpoints", "index-checkpoints"));
            // The full checkpoint that holds the index, and the last log checkpoint; no others.
            Assert.Equal(2, logCheckpoints.Length);
            Assert.Contains(store.LastCheckpoint.Token.ToString(), logCheckpoints.Select(Path.GetFileName));
            Assert.Single(indexCheckpoints);
        }
    }

    [Fact]
    public void RecoverInPlaceDiscardsInsertsSinceTheCheckpoint()
    {
        using FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small);
        Nullifier a = new(1, 0, 0, 0), b = new(2, 0, 0, 0);
        store.TryInsert(a, 0);
        store.Checkpoint(1);
        store.TryInsert(b, 1);
        NullifierCheckpoint cp = store.Recover();
        Assert.Equal(1, cp.CoveredPosition);
        Assert.True(store.TryGet(a, out _));
        Assert.False(store.TryGet(b, out _));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void NoCheckpointMeansEmptyOnReopen()
    {
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small))
        {
            store.TryInsert(new Nullifier(1, 0, 0, 0), 0);
        }
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small))
        {
            Assert.True(store.LastCheckpoint.IsNone);
            Assert.Equal(0, store.Count);
            Assert.False(store.TryGet(new Nullifier(1, 0, 0, 0), out _));
        }
    }

    [Fact]
    public void CorruptCheckpointFileIsRejected()
    {
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, Small))
        {
            store.TryInsert(new Nullifier(1, 0, 0, 0), 0);
            store.Checkpoint(1);
        }
        string meta = Path.Combine(_dir, FasterNullifierStore.CheckpointFileName);
        byte[] b = File.ReadAllBytes(meta);
        b[50] ^= 1;
        File.WriteAllBytes(meta, b);
        Assert.Throws<InvalidDataException>(() => FasterNullifierStore.Open(_dir, Small));
    }

    [Fact]
    public void SmallMemoryBudgetSpillsToDiskAndFindsEverything()
    {
        // 2 MiB of log memory (32 pages of 64 KiB) holds ~43k records of 48 bytes; insert 300k.
        var tiny = new FasterNullifierStoreOptions { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 21, PageBytes = 1 << 16, SegmentBytes = 1 << 22 };
        const int n = 300_000;
        Nullifier[] keys = Keys(n, 5);
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, tiny))
        {
            for (int i = 0; i < n; i++)
            {
                Assert.True(store.TryInsert(keys[i], i).IsInserted);
            }
            (long begin, long head, long tail) = store.LogAddresses;
            Assert.True(head > begin + (tail - begin) / 2, $"expected most of the log on disk: {store.LogAddresses}");
            // Reads and duplicate inserts of keys that live only on disk.
            for (int i = 0; i < n; i += 7)
            {
                Assert.True(store.TryGet(keys[i], out long idx));
                Assert.Equal(i, idx);
            }
            for (int i = 0; i < 1000; i++)
            {
                Assert.Equal(InsertResult.Duplicate(i), store.TryInsert(keys[i], -5));
            }
            store.Checkpoint(n);
        }
        long onDisk = Directory.GetFiles(Path.Combine(_dir, "log")).Sum(f => new FileInfo(f).Length);
        Assert.True(onDisk >= n * 48L, $"log files hold {onDisk} bytes");
        using (FasterNullifierStore store = FasterNullifierStore.Open(_dir, tiny))
        {
            for (int i = 0; i < n; i++)
            {
                Assert.True(store.TryGet(keys[i], out long idx));
                Assert.Equal(i, idx);
            }
        }
    }
}
