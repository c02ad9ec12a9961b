using System.Numerics;
using System.Runtime.CompilerServices;

namespace TVS.Crypto.Bn254;

/// <summary>
/// Inversion in Fp and its tower by the binary extended Euclidean algorithm (Kaliski's almost
/// Montgomery inverse) instead of Fermat's x^(p−2): a few hundred word-sized shifts and
/// subtractions instead of about 380 Montgomery multiplications.
/// </summary>
/// <remarks>
/// Variable time: its branches and running time depend on the value inverted. It is for public
/// values only: the final exponentiation of a pairing check (the Miller loop's output over public
/// proofs and keys, and powers of it), the affine batch Miller loop's slopes and 1/y_P of proof
/// and key points, and the normalisation of a verification key's prepared lines. Everything else keeps the constant-time Fermat inversion
/// of <see cref="Fp.Inverse"/>, <see cref="Fp2.Inverse"/>, <see cref="Fp6.Inverse"/> and
/// <see cref="Fp12.Inverse"/>, whose tower formulas the methods here repeat over this Fp inversion.
/// </remarks>
internal static class VartimeInversion
{
    /// <summary>
    /// Kaliski's loop ends with y = x⁻¹·2^k for the Montgomery representative x = a·R, k ≤ 2·254;
    /// a⁻¹·R = y·2^(−k)·R² is one Montgomery multiplication of y by 2^(768−k) mod p (R = 2²⁵⁶).
    /// </summary>
    private static readonly Limbs4[] Correction = MakeCorrection();

    private static Limbs4[] MakeCorrection()
    {
        var table = new Limbs4[2 * 256 + 1];
        for (int k = 0; k < table.Length; k++)
            table[k] = Limbs4.FromBigInteger(BigInteger.ModPow(2, 768 - k, Fp.Modulus));
        return table;
    }

    public static Fp Inverse(in Fp a)
    {
        if (a.IsZero) return Fp.Zero;
        var u = Montgomery<FpModulus>.Modulus;
        var v = a.V;
        var r = default(Limbs4);
        var s = new Limbs4(1, 0, 0, 0);
        int k = 0;
        // Invariants (Kaliski): p = u·s + v·r, 0 < r, s < 2p < 2²⁵⁵. A run of t halvings is done
        // as one t-bit shift, exactly as t single steps of the textbook loop would.
        while (!v.IsZero())
        {
            int t;
            if ((u.L0 & 1) == 0)
            {
                t = TrailingZeros(in u);
                ShiftRight(ref u, t);
                ShiftLeft(ref s, t);
            }
            else if ((v.L0 & 1) == 0)
            {
                t = TrailingZeros(in v);
                ShiftRight(ref v, t);
                ShiftLeft(ref r, t);
            }
            else if (GreaterThan(in u, in v))
            {
                Sub(ref u, in v);
                Add(ref r, in s);
                t = TrailingZeros(in u);
                ShiftRight(ref u, t);
                ShiftLeft(ref s, t);
            }
            else
            {
                Sub(ref v, in u);
                Add(ref s, in r);
                t = v.IsZero() ? 1 : TrailingZeros(in v); // u = v = 1: the last step
                ShiftRight(ref v, t);
                ShiftLeft(ref r, t);
            }
            k += t;
        }
        var p = Montgomery<FpModulus>.Modulus;
        if (!r.LessThan(in p)) Sub(ref r, in p);
        Sub(ref p, in r); // p − r = x⁻¹·2^k mod p, in (0, p)
        Montgomery<FpModulus>.Mul(in p, in Correction[k], out var z);
        return new Fp(z);
    }

    /// <summary>
    /// Inverts every non-zero element of <paramref name="values"/> in place with one inversion
    /// (Montgomery's trick: three multiplications per element); zeros stay zero, so a caller can
    /// mark the slots to leave alone with 0 and must check its real values for 0 itself.
    /// <paramref name="prefix"/> needs <c>values.Length</c> slots; nothing is allocated.
    /// </summary>
    public static void InvertNonZero(Span<Fp> values, Span<Fp> prefix)
    {
        var acc = Fp.One;
        for (int i = 0; i < values.Length; i++)
        {
            prefix[i] = acc;
            if (!values[i].IsZero) acc *= values[i];
        }
        var inv = Inverse(in acc);
        for (int i = values.Length - 1; i >= 0; i--)
        {
            if (values[i].IsZero) continue;
            var v = values[i];
            values[i] = inv * prefix[i];
            inv *= v;
        }
    }

    /// <summary><see cref="InvertNonZero(Span{Fp}, Span{Fp})"/> in Fp2.</summary>
    public static void InvertNonZero(Span<Fp2> values, Span<Fp2> prefix)
    {
        var acc = Fp2.One;
        for (int i = 0; i < values.Length; i++)
        {
            prefix[i] = acc;
            if (!values[i].IsZero) acc *= values[i];
        }
        var inv = Inverse(in acc);
        for (int i = values.Length - 1; i >= 0; i--)
        {
            if (values[i].IsZero) continue;
            var v = values[i];
            values[i] = inv * prefix[i];
            inv *= v;
        }
    }

    /// <summary>1/(c0 + c1·u) = (c0 − c1·u)/(c0² + c1²).</summary>
    public static Fp2 Inverse(in Fp2 a)
    {
        var inv = Inverse(a.C0.Squared() + a.C1.Squared());
        return new Fp2(a.C0 * inv, -(a.C1 * inv));
    }

    /// <summary>The formula of <see cref="Fp6.Inverse"/>.</summary>
    public static Fp6 Inverse(in Fp6 a)
    {
        var t0 = a.B0.Squared() - (a.B1 * a.B2).MulByNonResidue();
        var t1 = a.B2.Squared().MulByNonResidue() - a.B0 * a.B1;
        var t2 = a.B1.Squared() - a.B0 * a.B2;
        var det = a.B0 * t0 + (a.B2 * t1 + a.B1 * t2).MulByNonResidue();
        var inv = Inverse(in det);
        return new Fp6(t0 * inv, t1 * inv, t2 * inv);
    }

    /// <summary>The formula of <see cref="Fp12.Inverse"/>: 1/(a + bw) = (a − bw)/(a² − v·b²).</summary>
    public static Fp12 Inverse(in Fp12 a)
    {
        var t = Inverse(a.C0.Squared() - a.C1.Squared().MulByNonResidue());
        return new Fp12(a.C0 * t, -(a.C1 * t));
    }

    /// <summary>Trailing zero bits of a non-zero even value, at most 63 (a longer run takes two steps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TrailingZeros(in Limbs4 x) => Math.Min(BitOperations.TrailingZeroCount(x.L0), 63);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool GreaterThan(in Limbs4 x, in Limbs4 y)
    {
        if (x.L3 != y.L3) return x.L3 > y.L3;
        if (x.L2 != y.L2) return x.L2 > y.L2;
        if (x.L1 != y.L1) return x.L1 > y.L1;
        return x.L0 > y.L0;
    }

    /// <summary>x ← x − y, for x ≥ y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sub(ref Limbs4 x, in Limbs4 y)
    {
        ulong borrow = 0;
        x.L0 = SubWithBorrow(x.L0, y.L0, ref borrow);
        x.L1 = SubWithBorrow(x.L1, y.L1, ref borrow);
        x.L2 = SubWithBorrow(x.L2, y.L2, ref borrow);
        x.L3 = SubWithBorrow(x.L3, y.L3, ref borrow);
    }

    /// <summary>x ← x + y, for sums below 2²⁵⁶.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref Limbs4 x, in Limbs4 y)
    {
        ulong carry = 0;
        x.L0 = AddWithCarry(x.L0, y.L0, ref carry);
        x.L1 = AddWithCarry(x.L1, y.L1, ref carry);
        x.L2 = AddWithCarry(x.L2, y.L2, ref carry);
        x.L3 = AddWithCarry(x.L3, y.L3, ref carry);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SubWithBorrow(ulong a, ulong b, ref ulong borrow)
    {
        ulong d = a - b - borrow;
        borrow = ((~a & b) | (~(a ^ b) & d)) >> 63;
        return d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddWithCarry(ulong a, ulong b, ref ulong carry)
    {
        ulong s = a + b + carry;
        carry = ((a & b) | ((a | b) & ~s)) >> 63;
        return s;
    }

    /// <summary>x ← x / 2^t, 0 &lt; t &lt; 64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftRight(ref Limbs4 x, int t)
    {
        x.L0 = (x.L0 >> t) | (x.L1 << (64 - t));
        x.L1 = (x.L1 >> t) | (x.L2 << (64 - t));
        x.L2 = (x.L2 >> t) | (x.L3 << (64 - t));
        x.L3 >>= t;
    }

    /// <summary>x ← x·2^t, 0 &lt; t &lt; 64, for results below 2²⁵⁶.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftLeft(ref Limbs4 x, int t)
    {
        x.L3 = (x.L3 << t) | (x.L2 >> (64 - t));
        x.L2 = (x.L2 << t) | (x.L1 >> (64 - t));
        x.L1 = (x.L1 << t) | (x.L0 >> (64 - t));
        x.L0 <<= t;
    }
}
