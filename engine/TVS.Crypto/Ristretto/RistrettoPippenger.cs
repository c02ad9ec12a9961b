using System.Buffers.Binary;

namespace TVS.Crypto.Ristretto;

/// <summary>
/// Σ sᵢ·Pᵢ over many points by Pippenger's bucket method with signed radix-2^w digits: per
/// window, each point with a nonzero digit is added once into the bucket of its digit's size,
/// and the buckets are summed with weights by a running sum (two additions per bucket). The
/// cost is about Σᵢ bits(sᵢ)/w mixed additions plus 2^w additions per window, so short scalars
/// (the 128-bit random weights of a batch check) cost half of full ones. Every buffer is sized
/// at construction for <see cref="Capacity"/> points; a call allocates nothing. One instance per
/// thread. VARIABLE TIME: public scalars and points only.
/// </summary>
internal sealed class RistrettoPippenger
{
    private const int MinWidth = 4;
    private const int MaxWidth = 12;

    /// <summary>Digits of a scalar &lt; 2²⁵³ at the narrowest width, plus the top carry.</summary>
    private const int MaxWindows = (253 + MinWidth - 1) / MinWidth + 1;

    private readonly short[] _digits;
    private readonly EdwardsPoint[] _buckets = new EdwardsPoint[1 << (MaxWidth - 1)];
    private readonly bool[] _used = new bool[1 << (MaxWidth - 1)];

    public RistrettoPippenger(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _digits = new short[capacity * MaxWindows];
    }

    public int Capacity { get; }

    /// <summary>
    /// Σ scalars[i]·points[i]. <paramref name="bits"/>[i] bounds scalar i (scalars[i] &lt;
    /// 2^bits[i], at most 253 for a canonical scalar), so short weights take fewer windows.
    /// </summary>
    public EdwardsPoint Multiply(ReadOnlySpan<RistrettoScalar> scalars, ReadOnlySpan<byte> bits, ReadOnlySpan<AffineNiels> points)
    {
        int n = points.Length;
        if (scalars.Length != n || bits.Length != n) throw new ArgumentException("one scalar and one bit length per point");
        if (n > Capacity) throw new ArgumentException($"{n} points exceed the capacity {Capacity}", nameof(points));
        if (n == 0) return EdwardsPoint.Identity;

        long totalBits = 0;
        int maxBits = 0;
        for (int i = 0; i < n; i++)
        {
            totalBits += bits[i];
            maxBits = Math.Max(maxBits, bits[i]);
        }
        int w = ChooseWidth(totalBits, maxBits);
        int windows = (maxBits + w - 1) / w + 1;

        // Window-major, so each window's pass reads its digits in one sweep.
        var digits = _digits.AsSpan(0, windows * n);
        digits.Clear();
        for (int i = 0; i < n; i++)
        {
            if (bits[i] > 253) throw new ArgumentException("a canonical scalar has at most 253 bits", nameof(bits));
            Recode(scalars[i].Bytes, bits[i], w, digits, i, n);
        }

        int bucketCount = 1 << (w - 1);
        var buckets = _buckets.AsSpan(0, bucketCount);
        var used = _used.AsSpan(0, bucketCount);
        var acc = EdwardsPoint.Identity;
        bool accUsed = false;
        for (int win = windows - 1; win >= 0; win--)
        {
            if (accUsed)
            {
                var p = new ProjectivePoint(acc.X, acc.Y, acc.Z);
                CompletedPoint c = default;
                for (int k = 0; k < w; k++)
                {
                    c = EdwardsPoint.DoubleProjective(p);
                    if (k != w - 1) p = c.ToProjective();
                }
                acc = c.ToExtended();
            }

            used.Clear();
            var row = digits.Slice(win * n, n);
            bool any = false;
            for (int i = 0; i < n; i++)
            {
                int d = row[i];
                if (d == 0) continue;
                any = true;
                int b = (d > 0 ? d : -d) - 1;
                if (!used[b])
                {
                    buckets[b] = d > 0 ? points[i].ToExtended() : points[i].Negate().ToExtended();
                    used[b] = true;
                }
                else
                {
                    buckets[b] = (d > 0 ? EdwardsPoint.AddAffine(buckets[b], points[i]) : EdwardsPoint.SubAffine(buckets[b], points[i])).ToExtended();
                }
            }
            if (!any) continue;

            // Σ (b + 1)·bucket[b] = Σ_b running_b with running_b = Σ_{b' ≥ b} bucket[b'].
            var running = EdwardsPoint.Identity;
            var sum = EdwardsPoint.Identity;
            bool runningUsed = false, sumUsed = false;
            for (int b = bucketCount - 1; b >= 0; b--)
            {
                if (used[b])
                {
                    running = runningUsed ? EdwardsPoint.Add(running, buckets[b]) : buckets[b];
                    runningUsed = true;
                }
                if (runningUsed)
                {
                    sum = sumUsed ? EdwardsPoint.Add(sum, running) : running;
                    sumUsed = true;
                }
            }
            acc = accUsed ? EdwardsPoint.Add(acc, sum) : sum;
            accUsed = true;
        }
        return acc;
    }

    /// <summary>The width with the fewest additions by the cost model of the type's summary.</summary>
    private static int ChooseWidth(long totalBits, int maxBits)
    {
        int best = MinWidth;
        long bestCost = long.MaxValue;
        for (int w = MinWidth; w <= MaxWidth; w++)
        {
            long windows = (maxBits + w - 1) / w + 1;
            long cost = totalBits / w + windows * (1L << w);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = w;
            }
        }
        return best;
    }

    /// <summary>
    /// Signed radix-2^w digits of a scalar &lt; 2^bits, each in [−2^(w−1), 2^(w−1)), into column
    /// <paramref name="column"/> of the window-major table (windows above its length stay 0).
    /// </summary>
    private static void Recode(ReadOnlySpan<byte> scalar32, int bits, int w, Span<short> digits, int column, int stride)
    {
        Span<ulong> words = stackalloc ulong[5];
        for (int i = 0; i < 4; i++) words[i] = BinaryPrimitives.ReadUInt64LittleEndian(scalar32[(8 * i)..]);
        words[4] = 0;
        int windows = (bits + w - 1) / w + 1;
        ulong mask = (1UL << w) - 1;
        long half = 1L << (w - 1);
        ulong carry = 0;
        for (int k = 0; k < windows; k++)
        {
            int pos = k * w;
            int word = pos >> 6, bit = pos & 63;
            ulong v = word < 4 ? words[word] >> bit : 0;
            if (bit + w > 64 && word + 1 < 5) v |= words[word + 1] << (64 - bit);
            long d = (long)((v & mask) + carry);
            carry = d >= half ? 1UL : 0UL;
            if (carry != 0) d -= 1L << w;
            digits[k * stride + column] = (short)d;
        }
    }
}
