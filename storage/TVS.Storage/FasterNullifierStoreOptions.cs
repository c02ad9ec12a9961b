using System.Numerics;

namespace TVS.Storage;

/// <summary>
/// Sizing of a <see cref="FasterNullifierStore"/>. Every size is a power of two in bytes.
/// </summary>
/// <remarks>
/// <para>Arithmetic (docs/formats.md, "Nullifier store"): a record in FASTER's hybrid log is an
/// 8-byte record header + the 32-byte key + the 8-byte value = 48 bytes. A hash bucket is one
/// 64-byte cache line with 7 entries (each: 48-bit address, 14-bit tag) and an overflow pointer.
/// For 30M nullifiers per partition: log = 30M × 48 B ≈ 1.34 GiB on disk; index =
/// 2^23 buckets × 64 B = 512 MiB in memory (≈ 3.6 keys per bucket of 7 slots, so few overflow
/// buckets and, with the 14-bit tag, a lookup of an absent key almost never touches the log);
/// log memory 256 MiB holds the newest ≈ 5.6M records (≈ 19 %), the rest is read from disk on
/// demand (a duplicate or a replay whose first vote is old).</para>
/// </remarks>
public sealed record FasterNullifierStoreOptions
{
    /// <summary>Hash index buckets (64 bytes each, always in memory). Default 2^23 (512 MiB): 30M keys.</summary>
    public long IndexBuckets { get; init; } = 1L << 23;

    /// <summary>In-memory part of the hybrid log (the newest records). Default 256 MiB.</summary>
    public long LogMemoryBytes { get; init; } = 1L << 28;

    /// <summary>Log page size, the unit of flush and eviction. Default 4 MiB; at least 2 pages must fit in <see cref="LogMemoryBytes"/>.</summary>
    public long PageBytes { get; init; } = 1L << 22;

    /// <summary>Log segment (file) size on disk. Default 1 GiB.</summary>
    public long SegmentBytes { get; init; } = 1L << 30;

    /// <summary>
    /// A checkpoint includes the hash index (a "full" checkpoint) when the log grew by more than
    /// this many bytes since the last index checkpoint; otherwise it is log-only and recovery
    /// replays the log from the index checkpoint. Default: the index's own size, so recovery never
    /// replays more bytes than a full checkpoint would have written.
    /// </summary>
    public long? IndexCheckpointLogGrowthBytes { get; init; }

    /// <summary>Sizes for <paramref name="expectedKeys"/> nullifiers: about 4 keys per bucket, log memory as given.</summary>
    public static FasterNullifierStoreOptions ForExpectedKeys(long expectedKeys, long logMemoryBytes = 1L << 28)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedKeys);
        long buckets = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1024, expectedKeys / 4));
        return new FasterNullifierStoreOptions { IndexBuckets = buckets, LogMemoryBytes = logMemoryBytes };
    }
}
