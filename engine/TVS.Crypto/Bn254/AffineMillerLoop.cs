using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>
/// The multi-Miller loop of a batch of on-the-fly pairs (P_j, Q_j) in affine coordinates, every
/// pair at the same step at once, so that each step's slopes share one Fp2 inversion
/// (Montgomery's trick across the pairs), and with every line divided by y_P so that its constant
/// coefficient is 1.
/// </summary>
/// <remarks>
/// <para>Why it is cheaper than <see cref="Pairing.MillerLoop(ReadOnlySpan{G1Affine}, ReadOnlySpan{G2Affine}, ReadOnlySpan{G1Affine}, ReadOnlySpan{G2Prepared}, Span{G2Proj})"/>
/// per pair (Fp2 multiplications M, squarings S): an affine doubling with its line costs 6M + 2S +
/// 4 Fp multiplications, three of the M being the pair's share of the batch inversion, against
/// 4M + 6S + 4 Fp multiplications in homogeneous coordinates; and a line 1 + c₃w + c₄w³
/// multiplies into f with 10M instead of the 13M of a general c₀ + c₃w + c₄w³. Additions gain
/// more (6M + S against 11M + 2S).</para>
/// <para>Why dividing a line by y_P (an Fp element) and the affine slopes change nothing: every
/// factor in a proper subfield of Fp12 — Fp, Fp2, Fp6 — is sent to 1 by the final exponentiation,
/// whose exponent (p¹²−1)/r is a multiple of p⁶−1. The value before the final exponentiation
/// differs from the projective loop's; the paired value does not (tests compare them).</para>
/// <para>Degenerate inputs: a point at infinity, y_P = 0, or a step whose denominators vanish
/// (2y_T = 0, or x_T = x_Q in an addition: T = ±Q) cannot happen for points of the order-r
/// subgroups, but the inputs may come from outside the subgroup checks' reach (tests, other
/// callers). <see cref="TryRun"/> then returns false and the caller uses the projective loop,
/// which handles them.</para>
/// </remarks>
public sealed class AffineMillerLoop
{
    /// <summary>
    /// Below this many on-the-fly pairs the projective loop is cheaper: each step's inversion (a
    /// variable-time binary inversion in Fp, <see cref="VartimeInversion"/>; the inputs are public)
    /// is shared by too few pairs to pay for itself (docs/bn254.md, "Affine batch Miller loop";
    /// measured by <c>bench/TVS.Bench -- --thread-cpu-time-groth16</c>).
    /// </summary>
    public const int MinimumPairs = 8;

    private Fp2[] _tx = [], _ty = [], _den = [];
    private Fp[] _yInv = [], _xOverY = [], _fpPrefix = [], _norm = [];

    public AffineMillerLoop(int capacity = 0) => Grow(capacity);

    private void Grow(int n)
    {
        if (_tx.Length >= n) return;
        _tx = new Fp2[n];
        _ty = new Fp2[n];
        _den = new Fp2[n];
        _yInv = new Fp[n];
        _xOverY = new Fp[n];
        _fpPrefix = new Fp[n];
        _norm = new Fp[n];
    }

    /// <summary>
    /// Π e'(P_j, Q_j) · Π e'(pFixed_k, qFixed_k) up to factors the final exponentiation removes, for
    /// on-the-fly pairs (p, q) and prepared pairs (pFixed, qFixed). False (and f undefined) on a
    /// degenerate input (see remarks): use the projective loop then.
    /// </summary>
    public bool TryRun(ReadOnlySpan<G1Affine> p, ReadOnlySpan<G2Affine> q,
        ReadOnlySpan<G1Affine> pFixed, ReadOnlySpan<G2Prepared> qFixed, out Fp12 f)
    {
        if (p.Length != q.Length || pFixed.Length != qFixed.Length)
            throw new ArgumentException("mismatched pairing inputs");
        f = Fp12.One;
        int n = p.Length;
        Grow(n);
        for (int j = 0; j < n; j++)
        {
            if (p[j].IsInfinity || q[j].IsInfinity || p[j].Y.IsZero) return false;
            _tx[j] = q[j].X;
            _ty[j] = q[j].Y;
        }
        if (!PrepareP(p)) return false;

        Span<Fp> fixedScratch = pFixed.Length <= 8 ? stackalloc Fp[16] : new Fp[2 * pFixed.Length];
        var fixedLines = new Pairing.FixedLines(pFixed, qFixed, fixedScratch);
        var naf = Pairing.LoopNaf;
        int k = 0;
        bool first = true;
        for (int i = naf.Length - 2; i >= 0; i--)
        {
            if (!first) f = f.Squared();
            first = false;
            if (!DoubleAll(ref f, n)) return false;
            fixedLines.Mul(ref f, k++);
            if (naf[i] != 0)
            {
                if (!AddAll(ref f, q, n, naf[i] == -1 ? QForm.Negated : QForm.AsIs)) return false;
                fixedLines.Mul(ref f, k++);
            }
        }
        if (!AddAll(ref f, q, n, QForm.Psi)) return false;
        if (!AddAll(ref f, q, n, QForm.NegatedPsi2)) return false;
        fixedLines.Mul(ref f, k);
        fixedLines.Mul(ref f, k + 1);
        return true;
    }

    /// <summary>1/y_P and x_P/y_P of every P, with one Fp inversion; false if some y_P is 0.</summary>
    private bool PrepareP(ReadOnlySpan<G1Affine> p)
    {
        int n = p.Length;
        for (int j = 0; j < n; j++)
        {
            if (p[j].Y.IsZero) return false;
            _yInv[j] = p[j].Y;
        }
        VartimeInversion.InvertNonZero(_yInv.AsSpan(0, n), _fpPrefix.AsSpan(0, n));
        for (int j = 0; j < n; j++) _xOverY[j] = p[j].X * _yInv[j];
        return true;
    }

    private enum QForm { AsIs, Negated, Psi, NegatedPsi2 }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static G2Affine Addend(in G2Affine q, QForm form) => form switch
    {
        QForm.AsIs => q,
        QForm.Negated => q.Negate(),
        QForm.Psi => q.Psi(),
        _ => q.Psi2().Negate(),
    };

    /// <summary>
    /// Inverts every _den[j] in place with one Fp inversion: 1/(a + bu) = (a − bu)/(a² + b²), the
    /// norms a² + b² (in Fp) inverted together. Seven Fp multiplications per element instead of
    /// the nine of three Fp2 multiplications. False if any denominator is 0.
    /// </summary>
    private bool InvertDenominators(int n)
    {
        for (int j = 0; j < n; j++)
        {
            ref readonly var d = ref _den[j];
            var norm = d.C0.Squared() + d.C1.Squared();
            if (norm.IsZero) return false;
            _norm[j] = norm;
        }
        VartimeInversion.InvertNonZero(_norm.AsSpan(0, n), _fpPrefix.AsSpan(0, n));
        for (int j = 0; j < n; j++)
        {
            ref var d = ref _den[j];
            d = new Fp2(d.C0 * _norm[j], -(d.C1 * _norm[j]));
        }
        return true;
    }

    /// <summary>T_j ← 2T_j for every pair; f ← f · (tangent at T_j)(P_j)/y_P.</summary>
    private bool DoubleAll(ref Fp12 f, int n)
    {
        for (int j = 0; j < n; j++) _den[j] = _ty[j].Doubled();
        if (!InvertDenominators(n)) return false;
        for (int j = 0; j < n; j++)
        {
            var x = _tx[j];
            var y = _ty[j];
            var x2 = x.Squared();
            var lambda = (x2.Doubled() + x2) * _den[j];     // 3x²/(2y)
            var x3 = lambda.Squared() - x.Doubled();
            _ty[j] = lambda * (x - x3) - y;
            _tx[j] = x3;
            MulLine(ref f, in lambda, in x, in y, j);
        }
        return true;
    }

    /// <summary>T_j ← T_j + Q'_j for every pair (Q' = Q, −Q, ψ(Q) or −ψ²(Q)); f ← f · (line)(P_j)/y_P.</summary>
    private bool AddAll(ref Fp12 f, ReadOnlySpan<G2Affine> q, int n, QForm form)
    {
        for (int j = 0; j < n; j++)
        {
            var qj = Addend(in q[j], form);
            _den[j] = qj.X - _tx[j];
        }
        if (!InvertDenominators(n)) return false;
        for (int j = 0; j < n; j++)
        {
            var qj = Addend(in q[j], form);
            var x = _tx[j];
            var y = _ty[j];
            var lambda = (qj.Y - y) * _den[j];               // (y_Q − y_T)/(x_Q − x_T)
            var x3 = lambda.Squared() - x - qj.X;
            _ty[j] = lambda * (x - x3) - y;
            _tx[j] = x3;
            MulLine(ref f, in lambda, in x, in y, j);
        }
        return true;
    }

    /// <summary>
    /// The line of slope λ through (x_T, y_T), evaluated at P and divided by y_P:
    /// 1 − λ·(x_P/y_P)·w + (λ·x_T − y_T)/y_P·w³ (docs/bn254.md, "Affine batch Miller loop").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MulLine(ref Fp12 f, in Fp2 lambda, in Fp2 xT, in Fp2 yT, int j)
    {
        var c3 = -(lambda * _xOverY[j]);
        var c4 = (lambda * xT - yT) * _yInv[j];
        f = MulBy34(in f, in c3, in c4);
    }

    /// <summary>
    /// f · (1 + c₃w + c₄w³). With f = f₀ + f₁w and the line 1 + ℓw, ℓ = c₃ + c₄v:
    /// (f₀ + f₁ℓ·v) + (f₀ℓ + f₁)w; two sparse Fp6 multiplications, 10 Fp2 multiplications.
    /// </summary>
    internal static Fp12 MulBy34(in Fp12 f, in Fp2 c3, in Fp2 c4)
    {
        var a = f.C0.MulBy01(in c3, in c4);
        var b = f.C1.MulBy01(in c3, in c4);
        return new Fp12(b.MulByNonResidue() + f.C0, a + f.C1);
    }

}
