namespace TVS.Crypto.Bn254;

/// <summary>
/// An element of the cyclotomic subgroup (order p⁴ − p² + 1, where the final exponentiation's
/// easy part lands) in Karabina's compressed form: only the coefficients of w, w², w⁴ and w⁵
/// (<c>C1.B0</c>, <c>C0.B1</c>, <c>C0.B2</c>, <c>C1.B2</c> of <see cref="Fp12"/>). Squaring stays
/// in this form; the coefficients of 1 and w³ are recovered by <see cref="Cyclotomic.Decompress"/>.
/// </summary>
internal struct CompressedCyclotomic
{
    public Fp2 A1, A2, A4, A5;
}

/// <summary>
/// Karabina's compressed squaring in the cyclotomic subgroup (eprint 2010/542, written for this
/// tower after gnark-crypto's <c>CyclotomicSquareCompressed</c>) and its decompression, single and
/// batched with Montgomery's trick so that several values share one inversion.
/// </summary>
/// <remarks>
/// <para>
/// Inputs must lie in the cyclotomic subgroup (the output of <see cref="Pairing.EasyPart"/> or
/// products and powers of such values): the formulas use its relations between coefficients and
/// give wrong values for any other element of Fp12. Nothing outside the final exponentiation
/// calls them, and no caller passes anything else. Decompression inverts in variable time
/// (<see cref="VartimeInversion"/>): the values are public there.
/// </para>
/// <para>
/// Writing g = Σ aᵢwⁱ (w⁶ = ξ), the relations used, which hold for every g in the subgroup (the
/// tests check each on random elements):
/// (R1) 4·a1·a3 = ξ·a5² + 3·a2² − 2·a4,
/// (R2) ξ·(a3·a4 − 2·a2·a5) = a1·(1 − a0),
/// (R3) a0 = ξ·(2·a3² + a1·a5 − 3·a2·a4) + 1.
/// Decompression takes a3 from (R1) when a1 ≠ 0. When a1 = 0, (R2) reads a3·a4 = 2·a2·a5, so
/// a3 = 2·a2·a5 / a4 if a4 ≠ 0: Karabina's alternative formula, exact on that whole locus because
/// (R2) is an identity on the subgroup, not an approximation. (gnark-crypto's
/// <c>DecompressKarabina</c> tests <c>C1.B2</c>, the coefficient of w⁵, for this case while it
/// divides by the coefficient of w; here the test is on the divisor itself.) When a1 = a4 = 0,
/// g = 1: the relation a5² = (…)·a4 + (…)·a0·a4 + (…)·a1·a3 on the subgroup forces a5 = 0,
/// then a2·a3 = a5·(1 − a0) = 0 puts g in Fp4 = Fp2[w³] or Fp6 = Fp2[w²], and the subgroup meets
/// each only in 1 (gcd(p⁴ − 1, p⁴ − p² + 1) = gcd(p⁶ − 1, p⁴ − p² + 1) = 1 for BN254). (R3) holds
/// everywhere, a1 = 0 included. Elements with a1 = 0 are about one in p² of the subgroup, too
/// rare to reach by sampling; the tests check (R2) and the branch's arithmetic instead.
/// </para>
/// </remarks>
internal static class Cyclotomic
{
    public static CompressedCyclotomic Compress(in Fp12 g)
        => new() { A1 = g.C1.B0, A2 = g.C0.B1, A4 = g.C0.B2, A5 = g.C1.B2 };

    /// <summary>
    /// g² in compressed form: six Fp2 squarings (Granger–Scott's uncompressed squaring takes nine).
    /// a1' = 6ξ·a2·a5 + 2·a1, a2' = 3(a1² + ξ·a4²) − 2·a2, a4' = 3(a2² + ξ·a5²) − 2·a4,
    /// a5' = 6·a1·a4 + 2·a5 (the same coefficients as <see cref="Fp12.CyclotomicSquared"/>).
    /// </summary>
    public static CompressedCyclotomic Square(in CompressedCyclotomic g)
    {
        var s1 = g.A1.Squared();
        var s2 = g.A2.Squared();
        var s4 = g.A4.Squared();
        var s5 = g.A5.Squared();
        var twoA2A5 = (g.A2 + g.A5).Squared() - s2 - s5;
        var twoA1A4 = (g.A1 + g.A4).Squared() - s1 - s4;

        CompressedCyclotomic z;
        var t = twoA2A5.MulByNonResidue();
        z.A1 = (t + g.A1).Doubled() + t;
        t = s4.MulByNonResidue() + s1;
        z.A2 = (t - g.A2).Doubled() + t;
        t = s5.MulByNonResidue() + s2;
        z.A4 = (t - g.A4).Doubled() + t;
        z.A5 = (twoA1A4 + g.A5).Doubled() + twoA1A4;
        return z;
    }

    /// <summary>Squares <paramref name="g"/> <paramref name="n"/> times in compressed form.</summary>
    public static CompressedCyclotomic Square(in CompressedCyclotomic g, int n)
    {
        var z = g;
        for (int i = 0; i < n; i++) z = Square(in z);
        return z;
    }

    /// <summary>
    /// a3 as numerator / denominator (see the class remarks for the cases); false when g = 1
    /// (a1 = a4 = 0), which has no fraction.
    /// </summary>
    internal static bool TryA3Fraction(in CompressedCyclotomic g, out Fp2 numerator, out Fp2 denominator)
    {
        if (!g.A1.IsZero)
        {
            // (R1): a3 = (ξ·a5² + 3·a2² − 2·a4) / (4·a1)
            var s2 = g.A2.Squared();
            numerator = g.A5.Squared().MulByNonResidue() + (s2 - g.A4).Doubled() + s2;
            denominator = g.A1.Doubled().Doubled();
            return true;
        }
        if (!g.A4.IsZero)
        {
            // (R2) with a1 = 0: a3 = 2·a2·a5 / a4
            numerator = (g.A2 * g.A5).Doubled();
            denominator = g.A4;
            return true;
        }
        numerator = default;
        denominator = default;
        return false;
    }

    /// <summary>The full element from its compressed form and a3, by (R3).</summary>
    internal static Fp12 Complete(in CompressedCyclotomic g, in Fp2 a3)
    {
        var a2a4 = g.A2 * g.A4;
        var s = a3.Squared().Doubled() + g.A1 * g.A5 - a2a4.Doubled() - a2a4;
        Fp12 z;
        z.C0.B0 = s.MulByNonResidue() + Fp2.One;
        z.C0.B1 = g.A2;
        z.C0.B2 = g.A4;
        z.C1.B0 = g.A1;
        z.C1.B1 = a3;
        z.C1.B2 = g.A5;
        return z;
    }

    /// <summary>The full element (one Fp2 inversion).</summary>
    public static Fp12 Decompress(in CompressedCyclotomic g)
    {
        if (!TryA3Fraction(in g, out var numerator, out var denominator)) return Fp12.One;
        return Complete(in g, numerator * VartimeInversion.Inverse(in denominator));
    }

    /// <summary>
    /// Decompresses every element of <paramref name="g"/> into <paramref name="result"/> with one
    /// Fp2 inversion for all of them (Montgomery's trick: three Fp2 multiplications per element
    /// instead of an inversion each). <paramref name="scratch"/> needs 3·<c>g.Length</c> slots;
    /// nothing is allocated.
    /// </summary>
    public static void DecompressBatch(ReadOnlySpan<CompressedCyclotomic> g, Span<Fp12> result, Span<Fp2> scratch)
    {
        int n = g.Length;
        if (result.Length < n || scratch.Length < 3 * n)
            throw new ArgumentException("Cyclotomic.DecompressBatch: result needs g.Length slots and scratch 3·g.Length");
        var numerators = scratch[..n];
        var denominators = scratch.Slice(n, n); // zero marks g = 1: a real denominator never is
        for (int i = 0; i < n; i++)
        {
            if (!TryA3Fraction(in g[i], out numerators[i], out denominators[i])) denominators[i] = Fp2.Zero;
        }
        VartimeInversion.InvertNonZero(denominators, scratch.Slice(2 * n, n));
        for (int i = 0; i < n; i++)
        {
            result[i] = denominators[i].IsZero ? Fp12.One : Complete(in g[i], numerators[i] * denominators[i]);
        }
    }
}
