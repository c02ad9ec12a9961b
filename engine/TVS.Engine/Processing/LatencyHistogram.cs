using System.Numerics;

namespace TVS.Engine.Processing;

/// <summary>
/// Log-linear latency histogram in microseconds (16 sub-buckets per power of two: ≤ 6.25 %
/// relative error), fixed size, no allocation per sample. Written by one thread; read after, or
/// racily bucket by bucket with <see cref="CopyCounts"/> (each bucket only grows).
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 4;
    private const int Sub = 1 << SubBits;

    /// <summary>Number of buckets (see <see cref="BucketUpperBound"/>).</summary>
    public const int BucketCount = 64 * Sub;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long MaxMicroseconds { get; private set; }

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }
        _counts[Index(microseconds)]++;
        Count++;
        if (microseconds > MaxMicroseconds)
        {
            MaxMicroseconds = microseconds;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }
        Count += other.Count;
        MaxMicroseconds = Math.Max(MaxMicroseconds, other.MaxMicroseconds);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1): the upper bound of its bucket, capped at the maximum.</summary>
    public long Percentile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }
        long rank = (long)Math.Ceiling(q * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), MaxMicroseconds);
            }
        }
        return MaxMicroseconds;
    }

    /// <summary>
    /// Copies every bucket's count into <paramref name="destination"/> (at least <see cref="BucketCount"/>
    /// long). Safe while the writer records: each count is read atomically and only grows, so a
    /// copy taken later is never below an earlier one (what a Prometheus exporter needs).
    /// </summary>
    public void CopyCounts(Span<long> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, BucketCount);
        for (int i = 0; i < BucketCount; i++)
        {
            destination[i] = Volatile.Read(ref _counts[i]);
        }
    }

    /// <summary>The largest value, in microseconds, that falls in bucket <paramref name="index"/>.</summary>
    public static long BucketUpperBound(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BucketCount);
        // Buckets past 2^63 µs are never filled (a long sample cannot reach them).
        return (index >> SubBits) - 1 > 62 - SubBits ? long.MaxValue : UpperBound(index);
    }

    private static int Index(long v)
    {
        if (v < Sub)
        {
            return (int)v;
        }
        int exponent = 63 - BitOperations.LeadingZeroCount((ulong)v); // ≥ SubBits
        int shift = exponent - SubBits;
        int mantissa = (int)(v >> shift) & (Sub - 1);
        return ((shift + 1) << SubBits) + mantissa;
    }

    private static long UpperBound(int index)
    {
        if (index < Sub)
        {
            return index;
        }
        int shift = (index >> SubBits) - 1;
        long mantissa = (index & (Sub - 1)) | Sub;
        return ((mantissa + 1) << shift) - 1;
    }
}
