using TVS.Engine;
using TVS.Storage;

namespace TVS.NullifierCrashHelper;

/// <summary>
/// Usage: <c>TVS.NullifierCrashHelper &lt;directory&gt; &lt;batch&gt;</c>. Opens (and so recovers) the
/// nullifier store in the directory, prints <c>RECOVERED covered</c>, then forever: inserts key i →
/// index i for the next <c>batch</c> positions, checkpoints, prints <c>CHECKPOINT covered</c>. It
/// never exits on its own; the test kills it.
/// </summary>
public static class Program
{
    /// <summary>Options small enough for a test, with the log spilling to disk after a few batches.</summary>
    public static FasterNullifierStoreOptions Options { get; } = new()
    {
        IndexBuckets = 1 << 16,
        LogMemoryBytes = 1 << 21,
        PageBytes = 1 << 16,
        SegmentBytes = 1 << 22,
    };

    /// <summary>The nullifier at input position <paramref name="i"/> (SplitMix64 of i, four words).</summary>
    public static Nullifier KeyOf(long i)
    {
        ulong s = (ulong)i * 4;
        return new Nullifier(SplitMix(s), SplitMix(s + 1), SplitMix(s + 2), SplitMix(s + 3));
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static int Main(string[] args)
    {
        string dir = args[0];
        int batch = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        using FasterNullifierStore store = FasterNullifierStore.Open(dir, Options);
        long position = store.LastCheckpoint.CoveredPosition;
        Console.Out.WriteLine($"RECOVERED {position}");
        Console.Out.Flush();
        while (true)
        {
            for (int j = 0; j < batch; j++, position++)
            {
                if (!store.TryInsert(KeyOf(position), position).IsInserted)
                {
                    Console.Out.WriteLine($"DUPLICATE {position}");
                    return 1;
                }
            }
            store.Checkpoint(position);
            Console.Out.WriteLine($"CHECKPOINT {position}");
            Console.Out.Flush();
        }
    }
}
