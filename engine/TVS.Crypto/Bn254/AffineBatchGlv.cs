namespace TVS.Crypto.Bn254;

/// <summary>
/// [k₁ⱼ]Aⱼ + [k₂ⱼ]φ(Aⱼ) for a batch of G1 points (the batch verifier's rⱼ·Aⱼ), every point at the
/// same bit at once, in affine coordinates with one Fp inversion per step shared by the batch
/// (Montgomery's trick), as <see cref="AffineMillerLoop"/> does for the Miller loop.
/// </summary>
/// <remarks>
/// <para>Per point and bit: a doubling of 7 Fp multiplications (3 of them its share of the
/// inversion) against ~9.5 for a Jacobian doubling, and for 3 bits in 4 an addition of 6 against
/// ~14 for a mixed Jacobian addition; the result is affine, so the batch conversion of the
/// Jacobian results goes too. The addend of bit pair (b₁, b₂) is A, φ(A) = (βx, y), or
/// A + φ(A) = −φ²(A) = (β²x, −y) (as 1 + φ + φ² = 0 on G1), none of which costs an inversion.</para>
/// <para>Degenerate steps: with k₂ ≥ 2⁶³ (required) the running point is [m]A + [n]φ(A) with
/// n ≥ 1 and m, n &lt; 2⁶⁴, and it equals ± an addend only if (m ∓ a) + (n ∓ b)·λ ≡ 0 (mod r) for a
/// vector shorter than any of the GLV lattice's (~2¹²⁷), which is impossible; a doubling needs
/// y = 0, a point of order 2, which G1 has not. A vanishing denominator therefore means an input
/// outside G1: <see cref="TryRun"/> returns false and the caller uses <see cref="Glv.Mul"/>.</para>
/// <para>Variable time (<see cref="VartimeInversion"/>, branches on the scalar bits): for public
/// points and batch-verification weights that are used once and never revealed.</para>
/// </remarks>
public sealed class AffineBatchGlv
{
    private Fp[] _x = [], _y = [], _bx = [], _den = [], _prefix = [];
    private byte[] _addend = [];

    public AffineBatchGlv(int capacity = 0) => Grow(capacity);

    private void Grow(int n)
    {
        if (_x.Length >= n) return;
        _x = new Fp[n];
        _y = new Fp[n];
        _bx = new Fp[n];
        _den = new Fp[n];
        _prefix = new Fp[n];
        _addend = new byte[n];
    }

    /// <summary>
    /// result[j] = −([k1[j]]a[j] + [k2[j]]φ(a[j])), affine. False (result undefined) if some
    /// k2[j] &lt; 2⁶³, some a[j] is infinity, or a denominator vanishes (see remarks).
    /// </summary>
    public bool TryRunNegated(ReadOnlySpan<G1Affine> a, ReadOnlySpan<ulong> k1, ReadOnlySpan<ulong> k2, Span<G1Affine> result)
    {
        int n = a.Length;
        if (k1.Length < n || k2.Length < n || result.Length < n) throw new ArgumentException("mismatched lengths");
        Grow(n);
        for (int j = 0; j < n; j++)
        {
            if (a[j].IsInfinity || (k2[j] >> 63) == 0) return false;
            _bx[j] = Glv.Beta * a[j].X;
            // Top bit pair: k₂'s bit is 1, so φ(A) or A + φ(A).
            Addend(in a[j], _bx[j], (k1[j] >> 63) == 0 ? (byte)2 : (byte)3, out _x[j], out _y[j]);
        }
        for (int bit = 62; bit >= 0; bit--)
        {
            if (!DoubleAll(n)) return false;
            int active = 0;
            for (int j = 0; j < n; j++)
            {
                byte d = (byte)(((k1[j] >> bit) & 1) | (((k2[j] >> bit) & 1) << 1));
                _addend[j] = d;
                if (d != 0) active++;
            }
            if (active > 0 && !AddAll(a, n)) return false;
        }
        for (int j = 0; j < n; j++) result[j] = new G1Affine(_x[j], -_y[j]);
        return true;
    }

    private static void Addend(in G1Affine a, in Fp bx, byte d, out Fp x, out Fp y)
    {
        switch (d)
        {
            case 1: x = a.X; y = a.Y; break;
            case 2: x = bx; y = a.Y; break;
            default: x = -(a.X + bx); y = -a.Y; break; // β²x = (−1 − β)x
        }
    }

    /// <summary>
    /// Inverts _den[j] in place for the lanes in <paramref name="lanes"/> (all if null) with one
    /// inversion; the other lanes' slots are set to 0 and left alone. False if a lane's denominator is 0.
    /// </summary>
    private bool InvertDenominators(int n, byte[]? lanes)
    {
        for (int j = 0; j < n; j++)
        {
            if (lanes != null && lanes[j] == 0) _den[j] = Fp.Zero;
            else if (_den[j].IsZero) return false;
        }
        VartimeInversion.InvertNonZero(_den.AsSpan(0, n), _prefix.AsSpan(0, n));
        return true;
    }

    private bool DoubleAll(int n)
    {
        for (int j = 0; j < n; j++) _den[j] = _y[j].Doubled();
        if (!InvertDenominators(n, null)) return false;
        for (int j = 0; j < n; j++)
        {
            var x = _x[j];
            var x2 = x.Squared();
            var lambda = (x2.Doubled() + x2) * _den[j];   // 3x²/(2y)
            var x3 = lambda.Squared() - x.Doubled();
            _y[j] = lambda * (x - x3) - _y[j];
            _x[j] = x3;
        }
        return true;
    }

    private bool AddAll(ReadOnlySpan<G1Affine> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            if (_addend[j] == 0) continue;
            Addend(in a[j], _bx[j], _addend[j], out var xd, out _);
            _den[j] = xd - _x[j];
        }
        if (!InvertDenominators(n, _addend)) return false;
        for (int j = 0; j < n; j++)
        {
            if (_addend[j] == 0) continue;
            Addend(in a[j], _bx[j], _addend[j], out var xd, out var yd);
            var x = _x[j];
            var lambda = (yd - _y[j]) * _den[j];          // (y_D − y_T)/(x_D − x_T)
            var x3 = lambda.Squared() - x - xd;
            _y[j] = lambda * (x - x3) - _y[j];
            _x[j] = x3;
        }
        return true;
    }
}
