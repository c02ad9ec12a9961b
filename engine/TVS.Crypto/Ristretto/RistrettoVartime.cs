using System.Buffers;
using System.Buffers.Binary;

namespace TVS.Crypto.Ristretto;

/// <summary>
/// Variable-time ristretto255 (RFC 9496) in managed code, for the tally's combination of
/// decryption shares D = Σ λ_i·D_i, cheaper than t constant-time libsodium multiplications
/// (docs/PERFORMANCE.md, "The tally within the goal").
/// <para>
/// VARIABLE TIME: running time and memory access depend on the scalars and points. Use it for
/// public inputs only (published shares, Lagrange weights, commitments), NEVER with secret
/// scalars (key shares, nonces, ephemeral keys): those go through <see cref="RistrettoPoint.Multiply"/>.
/// </para>
/// </summary>
public static class RistrettoVartime
{
    /// <summary>
    /// wNAF width: odd digits in (−2^(w−1), 2^(w−1)), so a table holds 2^(w−2) odd multiples per
    /// point. Width 5 is the fastest for five points in TrusteeBenchmarks.CombineFiveVartime (widths
    /// 4 and 6 compared in docs/PERFORMANCE.md, "The tally within the goal").
    /// </summary>
    internal const int Width = 5;

    internal const int TableSize = 1 << (Width - 2);

    /// <summary>Digits per scalar: a canonical scalar is &lt; 2²⁵³, its wNAF at most 254 digits long.</summary>
    internal const int DigitCount = 256;

    /// <summary>Above this many points the tables come from the array pool instead of the stack.</summary>
    private const int MaxStackPoints = 16;

    /// <summary>RFC 9496 §4.3.1 decoding (variable time; public encodings only).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoding32, out EdwardsPoint point) =>
        EdwardsPoint.TryDecodeRistretto(encoding32, out point);

    /// <summary>RFC 9496 §4.3.2 encoding into 32 bytes (variable time; public points only).</summary>
    public static void Encode(in EdwardsPoint point, Span<byte> destination32)
    {
        if (destination32.Length < RistrettoPoint.Length) throw new ArgumentException("a point is 32 bytes", nameof(destination32));
        EdwardsPoint.EncodeRistretto(point, destination32);
    }

    /// <summary>The element as a <see cref="RistrettoPoint"/> (its canonical encoding).</summary>
    public static RistrettoPoint ToRistrettoPoint(in EdwardsPoint point)
    {
        Span<byte> encoding = stackalloc byte[RistrettoPoint.Length];
        EdwardsPoint.EncodeRistretto(point, encoding);
        return RistrettoPoint.FromValidEncoding(encoding);
    }

    /// <summary>The curve point of a valid element (variable time; public points only).</summary>
    public static EdwardsPoint ToEdwards(in RistrettoPoint point)
    {
        // A RistrettoPoint is valid by construction (libsodium checked it, or we encoded it).
        if (!EdwardsPoint.TryDecodeRistretto(point.Bytes, out var p))
            throw new InvalidOperationException("a RistrettoPoint did not decode; its encoding was validated on entry");
        return p;
    }

    /// <summary>
    /// Σ s_i·P_i for the weights fixed in <paramref name="scalars"/> (e.g. the Lagrange
    /// coefficients of one trustee subset, reused for every ballot). Straus' method: one shared
    /// doubling chain, a table of odd multiples per point built per call. Allocation-free for up to
    /// 16 points. VARIABLE TIME: public scalars and points only.
    /// </summary>
    public static RistrettoPoint Combine(VartimeScalars scalars, ReadOnlySpan<RistrettoPoint> points)
    {
        ArgumentNullException.ThrowIfNull(scalars);
        if (scalars.Count != points.Length) throw new ArgumentException("one point per scalar", nameof(points));
        var sum = Straus(scalars.Digits, scalars.Top, points);
        return ToRistrettoPoint(sum);
    }

    /// <summary>
    /// Σ s_i·P_i for scalars used once (recodes them on every call; prefer <see cref="Combine"/>
    /// when the scalars repeat). VARIABLE TIME: public scalars and points only.
    /// </summary>
    public static RistrettoPoint MultiScalarMultiply(ReadOnlySpan<RistrettoScalar> scalars, ReadOnlySpan<RistrettoPoint> points)
    {
        if (scalars.Length != points.Length) throw new ArgumentException("one point per scalar", nameof(points));
        int n = scalars.Length;
        sbyte[]? rented = null;
        Span<sbyte> digits = n <= MaxStackPoints
            ? stackalloc sbyte[n * DigitCount]
            : (rented = ArrayPool<sbyte>.Shared.Rent(n * DigitCount)).AsSpan(0, n * DigitCount);
        try
        {
            int top = -1;
            for (int i = 0; i < n; i++) top = Math.Max(top, ComputeWnaf(scalars[i].Bytes, digits.Slice(i * DigitCount, DigitCount)));
            return ToRistrettoPoint(Straus(digits, top, points));
        }
        finally
        {
            if (rented is not null) ArrayPool<sbyte>.Shared.Return(rented);
        }
    }

    private static EdwardsPoint Straus(ReadOnlySpan<sbyte> digits, int top, ReadOnlySpan<RistrettoPoint> points)
    {
        int n = points.Length;
        ProjectiveNiels[]? rented = null;
        Span<ProjectiveNiels> tables = n <= MaxStackPoints
            ? stackalloc ProjectiveNiels[n * TableSize]
            : (rented = ArrayPool<ProjectiveNiels>.Shared.Rent(n * TableSize)).AsSpan(0, n * TableSize);
        try
        {
            for (int i = 0; i < n; i++) BuildOddMultiples(ToEdwards(points[i]), tables.Slice(i * TableSize, TableSize));
            return Interleave(digits, top, tables, n);
        }
        finally
        {
            if (rented is not null) ArrayPool<ProjectiveNiels>.Shared.Return(rented);
        }
    }

    /// <summary>table[k] = (2k + 1)·P, k = 0 … 2^(w−2) − 1.</summary>
    private static void BuildOddMultiples(in EdwardsPoint p, Span<ProjectiveNiels> table)
    {
        table[0] = ProjectiveNiels.From(p);
        var twoP = EdwardsPoint.Double(p);
        for (int k = 1; k < table.Length; k++)
        {
            var next = EdwardsPoint.AddNiels(twoP, table[k - 1]).ToExtended();
            table[k] = ProjectiveNiels.From(next);
        }
    }

    /// <summary>
    /// Horner over digit positions from the top: double once, then add each point's digit at that
    /// position. Stays in projective coordinates between doublings and converts to extended only
    /// in front of an addition (the doubling never reads T).
    /// </summary>
    private static EdwardsPoint Interleave(ReadOnlySpan<sbyte> digits, int top, ReadOnlySpan<ProjectiveNiels> tables, int n)
    {
        if (top < 0) return EdwardsPoint.Identity;
        var acc = ProjectivePoint.Identity;
        CompletedPoint c = default;
        for (int pos = top; pos >= 0; pos--)
        {
            c = EdwardsPoint.DoubleProjective(acc);
            for (int i = 0; i < n; i++)
            {
                int d = digits[i * DigitCount + pos];
                if (d > 0) c = EdwardsPoint.AddNiels(c.ToExtended(), tables[i * TableSize + (d >> 1)]);
                else if (d < 0) c = EdwardsPoint.SubNiels(c.ToExtended(), tables[i * TableSize + (-d >> 1)]);
            }
            if (pos != 0) acc = c.ToProjective();
        }
        return c.ToExtended();
    }

    /// <summary>
    /// Width-w NAF of a canonical scalar into <paramref name="digits"/> (256 entries, least
    /// significant first): Σ digits[i]·2^i = s, each digit 0 or odd in (−2^(w−1), 2^(w−1)), and
    /// any nonzero digit followed by at least w − 1 zeros. Returns the highest nonzero position, or −1 for 0.
    /// </summary>
    internal static int ComputeWnaf(ReadOnlySpan<byte> scalar32, Span<sbyte> digits)
    {
        const ulong windowMask = (1UL << Width) - 1;
        const ulong half = 1UL << (Width - 1);
        Span<ulong> words = stackalloc ulong[5];
        for (int i = 0; i < 4; i++) words[i] = BinaryPrimitives.ReadUInt64LittleEndian(scalar32[(8 * i)..]);
        words[4] = 0;
        digits[..DigitCount].Clear();

        int top = -1;
        ulong carry = 0;
        int pos = 0;
        while (pos < DigitCount)
        {
            int word = pos >> 6, bit = pos & 63;
            ulong bits = words[word] >> bit;
            if (bit > 64 - Width) bits |= words[word + 1] << (64 - bit);
            // The value still to recode is (scalar >> pos) + carry; its low w bits decide the digit.
            ulong window = (bits & windowMask) + carry;
            if ((window & 1) == 0)
            {
                // Even: digit 0 here; a pending carry stays pending (1 + 1 carries on).
                pos++;
                continue;
            }
            long digit = window < half ? (long)window : (long)window - (1L << Width);
            carry = window < half ? 0UL : 1UL;
            digits[pos] = (sbyte)digit;
            top = pos;
            pos += Width;
        }
        if (carry != 0) throw new ArgumentException("scalar needs more than 256 wNAF digits; scalars must be canonical", nameof(scalar32));
        return top;
    }
}

/// <summary>
/// Scalars recoded once for <see cref="RistrettoVartime.Combine"/>: the wNAF digits of each, so
/// a tally that applies the same Lagrange weights to millions of ballots recodes them once.
/// PUBLIC scalars only (the recoding and its use are variable time).
/// </summary>
public sealed class VartimeScalars
{
    internal readonly sbyte[] Digits;

    /// <summary>The highest digit position that is nonzero in any of the scalars (−1 if all are 0).</summary>
    internal readonly int Top;

    public int Count { get; }

    public VartimeScalars(ReadOnlySpan<RistrettoScalar> scalars)
    {
        Count = scalars.Length;
        Digits = new sbyte[scalars.Length * RistrettoVartime.DigitCount];
        Top = -1;
        for (int i = 0; i < scalars.Length; i++)
        {
            int top = RistrettoVartime.ComputeWnaf(scalars[i].Bytes, Digits.AsSpan(i * RistrettoVartime.DigitCount, RistrettoVartime.DigitCount));
            Top = Math.Max(Top, top);
        }
    }
}
