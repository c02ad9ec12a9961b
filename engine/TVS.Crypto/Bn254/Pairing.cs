using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>A G2 point in homogeneous projective coordinates (x = X/Z, y = Y/Z), the Miller loop's running point.</summary>
public struct G2Proj
{
    public Fp2 X, Y, Z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static G2Proj FromAffine(in G2Affine a) => new() { X = a.X, Y = a.Y, Z = Fp2.One };
}

/// <summary>
/// A line through the Miller loop's running point, as the three Fp2 coefficients that
/// multiply y_P (at 1), x_P (at w) and 1 (at w³). Derivation in docs/bn254.md.
/// </summary>
public struct LineCoefficients
{
    public Fp2 R0, R1, R2;
}

/// <summary>
/// The fixed G2 point of a verification key with all its Miller-loop lines precomputed, so the
/// loop for it costs only the sparse multiplications.
/// </summary>
public sealed class G2Prepared
{
    internal readonly LineCoefficients[] Lines;
    public G2Affine Point { get; }
    public bool IsInfinity => Point.IsInfinity;

    public G2Prepared(in G2Affine q)
    {
        Point = q;
        Lines = new LineCoefficients[Pairing.LineCount];
        if (q.IsInfinity) return;
        var t = G2Proj.FromAffine(q);
        var negQ = q.Negate();
        int k = 0;
        var naf = Pairing.LoopNaf;
        for (int i = naf.Length - 2; i >= 0; i--)
        {
            Pairing.DoubleStep(ref t, out Lines[k++]);
            if (naf[i] == 1) Pairing.AddStep(ref t, in q, out Lines[k++]);
            else if (naf[i] == -1) Pairing.AddStep(ref t, in negQ, out Lines[k++]);
        }
        Pairing.FinalSteps(ref t, in q, out Lines[k], out Lines[k + 1]);
        Normalized = Normalize(Lines);
    }

    /// <summary>
    /// Every line divided by its y_P coefficient R0, as (R1/R0, R2/R0) per line, so that a line
    /// evaluated at P and divided by y_P is 1 + (R1/R0)·(x_P/y_P)·w + (R2/R0)·(1/y_P)·w³ and
    /// multiplies into f with 10 Fp2 multiplications instead of 13 (both divisions are by subfield
    /// elements, which the final exponentiation removes). Null if some R0 is zero, which a point
    /// of the order-r subgroup never gives: the general lines are used then.
    /// </summary>
    internal readonly Fp2[]? Normalized;

    private static Fp2[]? Normalize(LineCoefficients[] lines)
    {
        var r0Inv = new Fp2[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].R0.IsZero) return null;
            r0Inv[i] = lines[i].R0;
        }
        VartimeInversion.InvertNonZero(r0Inv, new Fp2[lines.Length]);
        var normalized = new Fp2[2 * lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            normalized[2 * i] = lines[i].R1 * r0Inv[i];
            normalized[2 * i + 1] = lines[i].R2 * r0Inv[i];
        }
        return normalized;
    }
}

/// <summary>
/// The optimal ate pairing on BN254: a multi-Miller loop over 6x+2 in non-adjacent form with
/// shared squarings, sparse line multiplication, and the final exponentiation with cyclotomic
/// squaring and the hard part split by the BN parameter x.
/// </summary>
public static class Pairing
{
    /// <summary>The BN parameter x (positive for BN254).</summary>
    public const ulong X = 4965661367192848881UL;

    /// <summary>6x+2 in non-adjacent form, least significant digit first.</summary>
    internal static readonly sbyte[] LoopNaf = ComputeNaf(6 * new BigInteger(X) + 2);

    internal static readonly int LineCount = CountLines();

    private static sbyte[] ComputeNaf(BigInteger k)
    {
        var digits = new List<sbyte>();
        while (k > 0)
        {
            if (!k.IsEven)
            {
                int d = 2 - (int)(k % 4);
                digits.Add((sbyte)d);
                k -= d;
            }
            else digits.Add(0);
            k /= 2;
        }
        return digits.ToArray();
    }

    private static int CountLines()
    {
        int n = 2;
        for (int i = LoopNaf.Length - 2; i >= 0; i--) n += LoopNaf[i] == 0 ? 1 : 2;
        return n;
    }

    /// <summary>T ← 2T and the tangent line at T (Costello–Lange–Naehrig formulas, homogeneous coordinates).</summary>
    internal static void DoubleStep(ref G2Proj t, out LineCoefficients l)
    {
        var a = (t.X * t.Y).Halved();
        var b = t.Y.Squared();
        var c = t.Z.Squared();
        var e = (c.Doubled() + c) * G2Affine.TwistB;   // 3b'Z²
        var f = e.Doubled() + e;                          // 9b'Z²
        var g = (b + f).Halved();
        var h = (t.Y + t.Z).Squared() - (b + c);          // 2YZ
        var j = t.X.Squared();
        var ee = e.Squared();
        t.X = a * (b - f);
        t.Y = g.Squared() - (ee.Doubled() + ee);
        t.Z = b * h;
        l.R0 = -h;
        l.R1 = j.Doubled() + j;
        l.R2 = e - b;
    }

    /// <summary>T ← T + Q and the line through T and Q (Q affine).</summary>
    internal static void AddStep(ref G2Proj t, in G2Affine q, out LineCoefficients l)
    {
        var o = t.Y - q.Y * t.Z;
        var lam = t.X - q.X * t.Z;
        var c = o.Squared();
        var d = lam.Squared();
        var e = lam * d;
        var f = t.Z * c;
        var g = t.X * d;
        var h = e + f - g.Doubled();
        var t1 = t.Y * e;
        t.X = lam * h;
        t.Y = (g - h) * o - t1;
        t.Z = e * t.Z;
        l.R0 = lam;
        l.R1 = -o;
        l.R2 = q.X * o - lam * q.Y;
    }

    /// <summary>The two closing additions of the optimal ate loop: with Q1 = ψ(Q) and −Q2 = −ψ²(Q).</summary>
    internal static void FinalSteps(ref G2Proj t, in G2Affine q, out LineCoefficients l1, out LineCoefficients l2)
    {
        var q1 = q.Psi();
        var q2 = q.Psi2().Negate();
        AddStep(ref t, in q1, out l1);
        AddStep(ref t, in q2, out l2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MulLine(ref Fp12 f, in LineCoefficients l, in G1Affine p)
    {
        var c0 = l.R0 * p.Y;
        var c3 = l.R1 * p.X;
        f = f.MulBy034(in c0, in c3, in l.R2);
    }

    /// <summary>
    /// Π e'(P_i, Q_i) before the final exponentiation, for on-the-fly pairs (p, q) and prepared
    /// pairs (pFixed, qFixed). Pairs with a point at infinity contribute 1. <paramref name="scratch"/>
    /// needs one slot per on-the-fly pair (no allocation here).
    /// </summary>
    public static Fp12 MillerLoop(ReadOnlySpan<G1Affine> p, ReadOnlySpan<G2Affine> q,
        ReadOnlySpan<G1Affine> pFixed, ReadOnlySpan<G2Prepared> qFixed, Span<G2Proj> scratch)
    {
        if (p.Length != q.Length || pFixed.Length != qFixed.Length || scratch.Length < p.Length)
            throw new ArgumentException("mismatched pairing inputs");
        for (int j = 0; j < p.Length; j++) scratch[j] = G2Proj.FromAffine(q[j]);
        Span<Fp> fixedScratch = pFixed.Length <= 8 ? stackalloc Fp[16] : new Fp[2 * pFixed.Length];
        var fixedLines = new FixedLines(pFixed, qFixed, fixedScratch);
        var f = Fp12.One;
        var naf = LoopNaf;
        int k = 0;
        bool first = true;
        for (int i = naf.Length - 2; i >= 0; i--)
        {
            if (!first) f = f.Squared();
            first = false;
            for (int j = 0; j < p.Length; j++)
            {
                if (p[j].IsInfinity || q[j].IsInfinity) continue;
                DoubleStep(ref scratch[j], out var l);
                MulLine(ref f, in l, in p[j]);
            }
            fixedLines.Mul(ref f, k);
            k++;
            if (naf[i] != 0)
            {
                for (int j = 0; j < p.Length; j++)
                {
                    if (p[j].IsInfinity || q[j].IsInfinity) continue;
                    var qq = naf[i] == 1 ? q[j] : q[j].Negate();
                    AddStep(ref scratch[j], in qq, out var l);
                    MulLine(ref f, in l, in p[j]);
                }
                fixedLines.Mul(ref f, k);
                k++;
            }
        }
        for (int j = 0; j < p.Length; j++)
        {
            if (p[j].IsInfinity || q[j].IsInfinity) continue;
            FinalSteps(ref scratch[j], in q[j], out var l1, out var l2);
            MulLine(ref f, in l1, in p[j]);
            MulLine(ref f, in l2, in p[j]);
        }
        fixedLines.Mul(ref f, k);
        fixedLines.Mul(ref f, k + 1);
        return f;
    }

    /// <summary>
    /// The prepared pairs of a Miller loop: with every line normalised (<see cref="G2Prepared.Normalized"/>)
    /// and 1/y_P, x_P/y_P of every P from one Fp inversion, each line costs a 10-multiplication
    /// sparse product; otherwise (a line or y_P of zero, never for subgroup points) the general
    /// lines. Pairs with a point at infinity contribute 1.
    /// </summary>
    internal readonly ref struct FixedLines
    {
        private readonly ReadOnlySpan<G1Affine> _p;
        private readonly ReadOnlySpan<G2Prepared> _q;
        private readonly Span<Fp> _yInv, _xOverY;
        private readonly bool _normalized;

        public FixedLines(ReadOnlySpan<G1Affine> p, ReadOnlySpan<G2Prepared> q, Span<Fp> scratch)
        {
            _p = p;
            _q = q;
            _yInv = scratch[..p.Length];
            _xOverY = scratch.Slice(p.Length, p.Length);
            _normalized = Prepare(p, q, _yInv, _xOverY);
        }

        private static bool Prepare(ReadOnlySpan<G1Affine> p, ReadOnlySpan<G2Prepared> q, Span<Fp> yInv, Span<Fp> xOverY)
        {
            // Infinity pairs are skipped (their slot stays 0 through the inversion).
            for (int j = 0; j < p.Length; j++)
            {
                yInv[j] = Fp.Zero;
                if (p[j].IsInfinity || q[j].IsInfinity) continue;
                if (q[j].Normalized is null || p[j].Y.IsZero) return false;
                yInv[j] = p[j].Y;
            }
            VartimeInversion.InvertNonZero(yInv, xOverY);
            for (int j = 0; j < p.Length; j++) xOverY[j] = p[j].X * yInv[j];
            return true;
        }

        public void Mul(ref Fp12 f, int line)
        {
            for (int j = 0; j < _p.Length; j++)
            {
                if (_p[j].IsInfinity || _q[j].IsInfinity) continue;
                if (_normalized)
                {
                    var n = _q[j].Normalized!;
                    var c3 = n[2 * line] * _xOverY[j];
                    var c4 = n[2 * line + 1] * _yInv[j];
                    f = AffineMillerLoop.MulBy34(in f, in c3, in c4);
                }
                else
                {
                    MulLine(ref f, in _q[j].Lines[line], in _p[j]);
                }
            }
        }
    }

    public static Fp12 MillerLoop(ReadOnlySpan<G1Affine> p, ReadOnlySpan<G2Affine> q)
    {
        Span<G2Proj> scratch = p.Length <= 16 ? stackalloc G2Proj[p.Length] : new G2Proj[p.Length];
        return MillerLoop(p, q, default, default, scratch);
    }

    /// <summary>
    /// The final exponentiation the verifiers use: f^(c·(p¹²−1)/r) with the Fuentes-Castañeda hard
    /// part (c = ±2x(6x²+3x+1), coprime to r; a test pins it down). Any fixed power coprime to r
    /// keeps "product of pairings = 1" exact and GT a bilinear, non-degenerate target.
    /// </summary>
    public static Fp12 FinalExponentiation(in Fp12 f) => HardPartFuentesCastaneda(EasyPart(in f));

    /// <summary>
    /// f^((p⁶−1)(p²+1)): lands in the cyclotomic subgroup, where inversion is conjugation. f is
    /// public (a Miller loop over public points), so its inversion may take variable time.
    /// </summary>
    internal static Fp12 EasyPart(in Fp12 f)
    {
        var t = f.Conjugate() * VartimeInversion.Inverse(in f);
        return t.FrobeniusSquare() * t;
    }

    /// <summary>Exactly f^((p¹²−1)/r), the textbook value (tests and interop with other libraries' GT).</summary>
    public static Fp12 FinalExponentiationExact(in Fp12 f)
    {
        var m = EasyPart(in f);

        // Hard part: (p⁴ − p² + 1)/r = λ0 + λ1·p + λ2·p² + λ3·p³ with
        //   λ3 = 1, λ2 = 6x² + 1, λ1 = −36x³ − 18x² − 12x + 1, λ0 = −36x³ − 30x² − 18x − 2
        // (checked against BigInteger in the tests).
        var a = ExpByX(in m);        // m^x
        var b = ExpByX(in a);        // m^(x²)
        var c = ExpByX(in b);        // m^(x³)

        var a2 = a.CyclotomicSquared();
        var a4 = a2.CyclotomicSquared();
        var a6 = a4 * a2;
        var a12 = a6.CyclotomicSquared();
        var a18 = a12 * a6;

        var b2 = b.CyclotomicSquared();
        var b4 = b2.CyclotomicSquared();
        var b6 = b4 * b2;
        var b12 = b6.CyclotomicSquared();
        var b18 = b12 * b6;
        var b24 = b12.CyclotomicSquared();
        var b30 = b24 * b6;

        var c4 = c.CyclotomicSquared().CyclotomicSquared();
        var c32 = c4.CyclotomicSquared().CyclotomicSquared().CyclotomicSquared();
        var c36 = c32 * c4;

        var y2 = b6 * m;                                   // m^λ2
        var y1 = (c36 * b18 * a12).Conjugate() * m;        // m^λ1
        var y0 = (c36 * b30 * a18 * m.CyclotomicSquared()).Conjugate(); // m^λ0

        return y0 * y1.Frobenius() * y2.FrobeniusSquare() * m.FrobeniusCube();
    }

    /// <summary>
    /// The hard part by Fuentes-Castañeda et al.'s chain (as Duquesne–Ghammam and gnark-crypto use
    /// it): computes m^(c·(p⁴−p²+1)/r) for a fixed c coprime to r, so it is a different but equally
    /// valid final exponentiation (a pairing check "= 1" is unaffected; the tests pin down c).
    /// </summary>
    internal static Fp12 HardPartFuentesCastaneda(in Fp12 m)
    {
        var t0 = ExpByX(in m).Conjugate().CyclotomicSquared();
        var t1 = t0.CyclotomicSquared() * t0;
        var t2 = ExpByX(in t1).Conjugate();
        var t3 = t1.Conjugate();
        t1 = t2 * t3;
        t3 = t2.CyclotomicSquared();
        var t4 = ExpByX(in t3) * t1;
        t3 = t0 * t4;
        t0 = t2 * t4 * m;
        t0 = t3.Frobenius() * t0;
        t0 = t4.FrobeniusSquare() * t0;
        return (m.Conjugate() * t3).FrobeniusCube() * t0;
    }

    /// <summary>
    /// x in width-4 non-adjacent form, least significant digit first: 14 non-zero digits, all in
    /// {±1, ±3, ±5, ±7} and at least four places apart (the plain NAF has 24).
    /// </summary>
    internal static readonly sbyte[] XWnaf4 = ComputeWnaf(new BigInteger(X), 4);

    private static sbyte[] ComputeWnaf(BigInteger k, int width)
    {
        var digits = new List<sbyte>();
        int window = 1 << width;
        while (k > 0)
        {
            if (!k.IsEven)
            {
                int d = (int)(k % window);
                if (d >= window / 2) d -= window;
                digits.Add((sbyte)d);
                k -= d;
            }
            else digits.Add(0);
            k /= 2;
        }
        return digits.ToArray();
    }

    /// <summary>
    /// m^x for m in the cyclotomic subgroup, by x's width-4 NAF with Granger–Scott squarings: m³,
    /// m⁵, m⁷ precomputed, the top digit (1, six places above the next) entered as m⁸ = m⁷·m to
    /// skip three squarings, the negative digits multiplied as conjugates (the inverse there).
    /// 60 cyclotomic squarings and 17 multiplications, where the plain NAF took 62 and 23
    /// (gnark-crypto's add-sub chain for this x has the same counts). <see cref="ExpByX"/> is
    /// faster; this stays for the measurements in docs/PERFORMANCE.md and as a second
    /// implementation for the tests.
    /// </summary>
    internal static Fp12 ExpByXUncompressed(in Fp12 m)
    {
        var digits = XWnaf4;
        var m2 = m.CyclotomicSquared();
        Span<Fp12> odd = stackalloc Fp12[4]; // m, m³, m⁵, m⁷
        odd[0] = m;
        for (int j = 1; j < 4; j++) odd[j] = odd[j - 1] * m2;

        int i = digits.Length - 1; // the top digit is 1
        var acc = m;
        int next = i - 1;
        while (digits[next] == 0) next--;
        if (i - next > 3)
        {
            acc = odd[3] * m; // m⁸: three squarings of m
            i -= 3;
        }
        for (i--; i >= 0; i--)
        {
            acc = acc.CyclotomicSquared();
            int d = digits[i];
            if (d > 0) acc *= odd[d >> 1];
            else if (d < 0) acc *= odd[-d >> 1].Conjugate();
        }
        return acc;
    }

    /// <summary>
    /// m^x for m in the cyclotomic subgroup, with Karabina's compressed squaring: one run of 62
    /// compressed squarings of m (six Fp2 squarings each instead of nine), the powers m^(2^k) at
    /// the 13 positions k &gt; 0 of non-zero digits of x's width-4 NAF decompressed together (one
    /// variable-time Fp2 inversion for all), then grouped by digit value, negative digits as
    /// conjugates, and combined by Yao's method: 16 multiplications and one cyclotomic squaring.
    /// </summary>
    internal static Fp12 ExpByX(in Fp12 m)
    {
        var digits = XWnaf4;
        Span<CompressedCyclotomic> snapshots = stackalloc CompressedCyclotomic[XWnaf4NonZeroAbove0];
        Span<Fp12> powers = stackalloc Fp12[XWnaf4NonZeroAbove0];
        Span<Fp2> scratch = stackalloc Fp2[3 * XWnaf4NonZeroAbove0];
        var c = Cyclotomic.Compress(in m);
        int n = 0;
        for (int k = 1; k < digits.Length; k++)
        {
            c = Cyclotomic.Square(in c);
            if (digits[k] != 0) snapshots[n++] = c;
        }
        Cyclotomic.DecompressBatch(snapshots, powers, scratch);

        // byDigit[j] = Π over the positions k with |digit| = 2j+1 of m^(±2^k)
        Span<Fp12> byDigit = stackalloc Fp12[4];
        Span<bool> present = stackalloc bool[4];
        n = 0;
        for (int k = 0; k < digits.Length; k++)
        {
            int d = digits[k];
            if (d == 0) continue;
            var power = k == 0 ? m : powers[n++];
            if (d < 0) power = power.Conjugate();
            int j = Math.Abs(d) >> 1;
            if (present[j]) byDigit[j] *= power;
            else { byDigit[j] = power; present[j] = true; }
        }
        // Π_j byDigit[j]^(2j+1) = s0·(s1·s2·s3)² with s_j = Π_{i ≥ j} byDigit[i] (Yao)
        Fp12 suffix = default, squaredPart = default;
        bool hasSuffix = false, hasSquaredPart = false;
        for (int j = 3; j >= 0; j--)
        {
            if (present[j])
            {
                suffix = hasSuffix ? suffix * byDigit[j] : byDigit[j];
                hasSuffix = true;
            }
            if (j == 0 || !hasSuffix) continue;
            squaredPart = hasSquaredPart ? squaredPart * suffix : suffix;
            hasSquaredPart = true;
        }
        return hasSquaredPart ? squaredPart.CyclotomicSquared() * suffix : suffix;
    }

    private static readonly int XWnaf4NonZeroAbove0 = XWnaf4.Skip(1).Count(d => d != 0);

    public static Fp12 Pair(in G1Affine p, in G2Affine q)
        => FinalExponentiation(MillerLoop([p], [q]));

    /// <summary>Π e(P_i, Q_i) == 1.</summary>
    public static bool PairingCheck(ReadOnlySpan<G1Affine> p, ReadOnlySpan<G2Affine> q)
        => FinalExponentiation(MillerLoop(p, q)).IsOne;
}
