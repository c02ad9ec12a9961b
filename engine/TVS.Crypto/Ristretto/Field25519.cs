using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace TVS.Crypto.Ristretto;

/// <summary>
/// An element of GF(2²⁵⁵ − 19) as five 51-bit limbs (radix 2⁵¹), for the variable-time
/// ristretto255 arithmetic of <see cref="RistrettoVartime"/>. The representation is not unique:
/// limbs may exceed 2⁵¹ and the value may exceed p until <see cref="ToBytes"/> reduces it fully.
/// <para>
/// Limb bounds (what keeps the 128-bit column sums of <see cref="Mul"/> from overflowing):
/// <see cref="Mul"/>, <see cref="Square"/>, <see cref="Sub"/>, <see cref="Negate"/> and
/// <see cref="Reduce"/> return limbs &lt; 2⁵²; <see cref="Add"/> does not carry, so the sum of two
/// such values has limbs &lt; 2⁵³ and of three &lt; 2⁵⁴. <see cref="Mul"/> and <see cref="Square"/>
/// accept limbs &lt; 2⁵⁴; <see cref="Sub"/> accepts a subtrahend with limbs &lt; 2⁵⁵.
/// </para>
/// <para>
/// Variable time where it says so (<see cref="IsZero"/>, equality, canonical decoding branch on
/// the value): this type serves public inputs only, never secrets. Every method reads all of its
/// inputs before it writes, so operands may alias.
/// </para>
/// </summary>
internal readonly struct Field25519
{
    private const ulong LowMask = (1UL << 51) - 1;

    internal readonly ulong L0, L1, L2, L3, L4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Field25519(ulong l0, ulong l1, ulong l2, ulong l3, ulong l4)
    {
        L0 = l0;
        L1 = l1;
        L2 = l2;
        L3 = l3;
        L4 = l4;
    }

    /// <summary>p = 2²⁵⁵ − 19.</summary>
    internal static readonly BigInteger Modulus = (BigInteger.One << 255) - 19;

    internal static Field25519 Zero => default;
    internal static Field25519 One => new(1, 0, 0, 0, 0);

    /// <summary>d = −121665/121666, the Edwards curve constant (RFC 9496 §4.1, RFC 7748).</summary>
    internal static readonly Field25519 EdwardsD = FromDecimal("37095705934669439343138083508754565189542113879843219016388785533085940283555");

    /// <summary>2d, premultiplied into table entries so an addition saves a multiplication.</summary>
    internal static readonly Field25519 EdwardsD2 = Reduce(Add(EdwardsD, EdwardsD));

    /// <summary>SQRT_M1, the non-negative square root of −1 (RFC 9496 §4.1).</summary>
    internal static readonly Field25519 SqrtM1 = FromDecimal("19681161376707505956807079304988542015446066515923890162744021073123829784752");

    /// <summary>INVSQRT_A_MINUS_D = 1/√(a − d) with a = −1 (RFC 9496 §4.1), used by the encoder's rotation.</summary>
    internal static readonly Field25519 InvSqrtAMinusD = FromDecimal("54469307008909316920995813868745141605393597292927456921205312896311721017578");

    /// <summary>1/2 = (p + 1)/2, for recovering x and y from y ± x.</summary>
    internal static readonly Field25519 Half = FromBigInteger((Modulus + 1) / 2);

    private static Field25519 FromDecimal(string value) => FromBigInteger(BigInteger.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

    // ---- conversions ---------------------------------------------------------------------

    /// <summary>
    /// Reads 32 little-endian bytes. With <paramref name="canonical"/> the value must be &lt; p
    /// (so the top bit must be clear, as RFC 9496 requires of s); otherwise the top bit is ignored
    /// and values in [p, 2²⁵⁵) are accepted as their residues. Variable time in the value.
    /// </summary>
    internal static bool TryFromBytes(ReadOnlySpan<byte> bytes32, bool canonical, out Field25519 result)
    {
        ulong w0 = BinaryPrimitives.ReadUInt64LittleEndian(bytes32);
        ulong w1 = BinaryPrimitives.ReadUInt64LittleEndian(bytes32[8..]);
        ulong w2 = BinaryPrimitives.ReadUInt64LittleEndian(bytes32[16..]);
        ulong w3 = BinaryPrimitives.ReadUInt64LittleEndian(bytes32[24..]);
        // The only 256-bit integers ≥ p are those with the top bit set and 2²⁵⁵ − 19 … 2²⁵⁵ − 1,
        // whose words are all ones except the lowest, which is ≥ 2⁶⁴ − 19.
        if (canonical && (w3 >> 63 != 0 || (w3 == long.MaxValue && w2 == ulong.MaxValue && w1 == ulong.MaxValue && w0 >= ulong.MaxValue - 18)))
        {
            result = default;
            return false;
        }
        result = new Field25519(
            w0 & LowMask,
            (w0 >> 51 | w1 << 13) & LowMask,
            (w1 >> 38 | w2 << 26) & LowMask,
            (w2 >> 25 | w3 << 39) & LowMask,
            w3 >> 12 & LowMask);
        return true;
    }

    /// <summary>The canonical (fully reduced, &lt; p) 32-byte little-endian encoding.</summary>
    internal void ToBytes(Span<byte> destination32)
    {
        Canonical(out ulong l0, out ulong l1, out ulong l2, out ulong l3, out ulong l4);
        BinaryPrimitives.WriteUInt64LittleEndian(destination32, l0 | l1 << 51);
        BinaryPrimitives.WriteUInt64LittleEndian(destination32[8..], l1 >> 13 | l2 << 38);
        BinaryPrimitives.WriteUInt64LittleEndian(destination32[16..], l2 >> 26 | l3 << 25);
        BinaryPrimitives.WriteUInt64LittleEndian(destination32[24..], l3 >> 39 | l4 << 12);
    }

    /// <summary>The limbs of the unique representative in [0, p), each &lt; 2⁵¹.</summary>
    private void Canonical(out ulong l0, out ulong l1, out ulong l2, out ulong l3, out ulong l4)
    {
        var r = Reduce(this);
        // Now r < 2p (limbs < 2⁵¹ except a small excess in limb 0). r ≥ p iff r + 19 ≥ 2²⁵⁵, which
        // the carry out of the top limb of r + 19 says; then subtracting p is adding 19 and
        // dropping bit 255.
        ulong q = (r.L0 + 19) >> 51;
        q = (r.L1 + q) >> 51;
        q = (r.L2 + q) >> 51;
        q = (r.L3 + q) >> 51;
        q = (r.L4 + q) >> 51;
        l0 = r.L0 + 19 * q;
        l1 = r.L1 + (l0 >> 51);
        l0 &= LowMask;
        l2 = r.L2 + (l1 >> 51);
        l1 &= LowMask;
        l3 = r.L3 + (l2 >> 51);
        l2 &= LowMask;
        l4 = r.L4 + (l3 >> 51);
        l3 &= LowMask;
        l4 &= LowMask;
    }

    internal static Field25519 FromBigInteger(BigInteger value)
    {
        value %= Modulus;
        if (value.Sign < 0) value += Modulus;
        Span<byte> b = stackalloc byte[32];
        b.Clear();
        value.TryWriteBytes(b, out _, isUnsigned: true, isBigEndian: false);
        TryFromBytes(b, canonical: true, out var r);
        return r;
    }

    internal BigInteger ToBigInteger()
    {
        Span<byte> b = stackalloc byte[32];
        ToBytes(b);
        return new BigInteger(b, isUnsigned: true, isBigEndian: false);
    }

    // ---- predicates ----------------------------------------------------------------------

    /// <summary>RFC 9496 IS_NEGATIVE: the low bit of the canonical encoding.</summary>
    internal bool IsNegative
    {
        get
        {
            Canonical(out ulong l0, out _, out _, out _, out _);
            return (l0 & 1) != 0;
        }
    }

    /// <summary>Whether the value is 0 mod p. Variable time.</summary>
    internal bool IsZero
    {
        get
        {
            Canonical(out ulong l0, out ulong l1, out ulong l2, out ulong l3, out ulong l4);
            return (l0 | l1 | l2 | l3 | l4) == 0;
        }
    }

    /// <summary>Equality mod p. Variable time.</summary>
    internal static bool Equal(in Field25519 a, in Field25519 b) => Sub(a, b).IsZero;

    /// <summary>RFC 9496 CT_SELECT: <paramref name="ifTrue"/> when <paramref name="choice"/>, else <paramref name="ifFalse"/>, without a branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Field25519 Select(in Field25519 ifTrue, in Field25519 ifFalse, bool choice)
    {
        ulong m = 0UL - (choice ? 1UL : 0UL);
        return new Field25519(
            ifFalse.L0 ^ (m & (ifFalse.L0 ^ ifTrue.L0)),
            ifFalse.L1 ^ (m & (ifFalse.L1 ^ ifTrue.L1)),
            ifFalse.L2 ^ (m & (ifFalse.L2 ^ ifTrue.L2)),
            ifFalse.L3 ^ (m & (ifFalse.L3 ^ ifTrue.L3)),
            ifFalse.L4 ^ (m & (ifFalse.L4 ^ ifTrue.L4)));
    }

    /// <summary>RFC 9496 CT_ABS: the non-negative one of ±a.</summary>
    internal static Field25519 Abs(in Field25519 a) => Select(Negate(a), a, a.IsNegative);

    // ---- arithmetic ----------------------------------------------------------------------

    /// <summary>a + b without carrying (see the limb bounds on the type).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Field25519 Add(in Field25519 a, in Field25519 b) =>
        new(a.L0 + b.L0, a.L1 + b.L1, a.L2 + b.L2, a.L3 + b.L3, a.L4 + b.L4);

    /// <summary>a − b, computed as (a + 16p) − b so no limb goes negative, then carried.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Field25519 Sub(in Field25519 a, in Field25519 b)
    {
        // 16p in radix 2⁵¹: 16·(2⁵¹ − 19) for limb 0, 16·(2⁵¹ − 1) for the others.
        const ulong P16Low = 16 * ((1UL << 51) - 19);
        const ulong P16 = 16 * ((1UL << 51) - 1);
        return Carry(a.L0 + P16Low - b.L0, a.L1 + P16 - b.L1, a.L2 + P16 - b.L2, a.L3 + P16 - b.L3, a.L4 + P16 - b.L4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Field25519 Negate(in Field25519 a) => Sub(default, a);

    /// <summary>The same value with limbs &lt; 2⁵² (one carry pass; the top carry wraps as ×19).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Field25519 Reduce(in Field25519 a) => Carry(a.L0, a.L1, a.L2, a.L3, a.L4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Field25519 Carry(ulong l0, ulong l1, ulong l2, ulong l3, ulong l4)
    {
        // All carries are taken from the inputs before any is added, so they run in parallel;
        // 2⁶⁴ >> 51 = 2¹³, so limb 0 ends below 2⁵¹ + 19·2¹³ and the others below 2⁵¹ + 2¹³.
        ulong c0 = l0 >> 51, c1 = l1 >> 51, c2 = l2 >> 51, c3 = l3 >> 51, c4 = l4 >> 51;
        return new Field25519(
            (l0 & LowMask) + c4 * 19,
            (l1 & LowMask) + c0,
            (l2 & LowMask) + c1,
            (l3 & LowMask) + c2,
            (l4 & LowMask) + c3);
    }

    /// <summary>
    /// Adds a product to a column kept as low + high·2⁵¹, for operands pre-shifted so that
    /// <paramref name="aShl8"/>·<paramref name="bShl5"/> = a·b·2¹³: then the high word of the
    /// 128-bit product is a·b &gt;&gt; 51 and the low word, shifted down 13, is a·b mod 2⁵¹. That
    /// takes a mulx, an imul, a shift and two adds per product, with no add-with-carry and only two
    /// ulongs per column (UInt128 column sums put every partial sum on the stack: a 536-byte frame).
    /// The operands fit: a &lt; 2⁵⁴ gives a·2⁸ &lt; 2⁶², and 19·b·2⁵ &lt; 2^63.3 for b &lt; 2⁵⁴.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAdd(ref ulong low, ref ulong high, ulong aShl8, ulong bShl5)
    {
        // mulx rather than Math.BigMul: the latter's out parameter spills the low half through
        // memory (as in the BN254 code, Montgomery.MulHiLo; docs/PERFORMANCE.md, "Why the targets are missed").
        high += Bmi2.X64.IsSupported ? Bmi2.X64.MultiplyNoFlags(aShl8, bShl5) : Math.BigMul(aShl8, bShl5, out _);
        low += aShl8 * bShl5 >> 13;
    }

    internal static Field25519 Mul(in Field25519 a, in Field25519 b)
    {
        // 2²⁵⁵ ≡ 19: a product that would land at 2^(51·(5+k)) lands at 2^(51·k) times 19.
        // With limbs < 2⁵⁴ a column is at most (1 + 4·19)·2¹⁰⁸ < 2^114.3, so its high part (the
        // column >> 51) is < 2^63.3 and its low part, five terms < 2⁵¹ plus the previous column's
        // carry, fits a ulong too. The limbs are read where used rather than copied to locals:
        // fourteen long-lived locals spilled the accumulators instead.
        const ulong x19Shl5 = 19 << 5;
        ulong a0 = a.L0 << 8, a1 = a.L1 << 8, a2 = a.L2 << 8, a3 = a.L3 << 8, a4 = a.L4 << 8;

        ulong lo = 0, hi = 0;
        MulAdd(ref lo, ref hi, a0, b.L0 << 5);
        MulAdd(ref lo, ref hi, a1, b.L4 * x19Shl5);
        MulAdd(ref lo, ref hi, a2, b.L3 * x19Shl5);
        MulAdd(ref lo, ref hi, a3, b.L2 * x19Shl5);
        MulAdd(ref lo, ref hi, a4, b.L1 * x19Shl5);
        (ulong r0, ulong carry) = Settle(lo, hi, 0);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a0, b.L1 << 5);
        MulAdd(ref lo, ref hi, a1, b.L0 << 5);
        MulAdd(ref lo, ref hi, a2, b.L4 * x19Shl5);
        MulAdd(ref lo, ref hi, a3, b.L3 * x19Shl5);
        MulAdd(ref lo, ref hi, a4, b.L2 * x19Shl5);
        (ulong r1, carry) = Settle(lo, hi, carry);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a0, b.L2 << 5);
        MulAdd(ref lo, ref hi, a1, b.L1 << 5);
        MulAdd(ref lo, ref hi, a2, b.L0 << 5);
        MulAdd(ref lo, ref hi, a3, b.L4 * x19Shl5);
        MulAdd(ref lo, ref hi, a4, b.L3 * x19Shl5);
        (ulong r2, carry) = Settle(lo, hi, carry);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a0, b.L3 << 5);
        MulAdd(ref lo, ref hi, a1, b.L2 << 5);
        MulAdd(ref lo, ref hi, a2, b.L1 << 5);
        MulAdd(ref lo, ref hi, a3, b.L0 << 5);
        MulAdd(ref lo, ref hi, a4, b.L4 * x19Shl5);
        (ulong r3, carry) = Settle(lo, hi, carry);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a0, b.L4 << 5);
        MulAdd(ref lo, ref hi, a1, b.L3 << 5);
        MulAdd(ref lo, ref hi, a2, b.L2 << 5);
        MulAdd(ref lo, ref hi, a3, b.L1 << 5);
        MulAdd(ref lo, ref hi, a4, b.L0 << 5);
        (ulong r4, carry) = Settle(lo, hi, carry);
        return FinishCarry(r0, r1, r2, r3, r4, carry);
    }

    internal static Field25519 Square(in Field25519 a)
    {
        // Cross terms a_i·a_j (i ≠ j) appear twice: the doubling goes into the left operand's
        // shift (2a·2⁸ = a·2⁹ < 2⁶³). The columns are bounded as in Mul ((1 + 2·2·19)·2¹⁰⁸ at most).
        const ulong x19Shl5 = 19 << 5;
        ulong a0 = a.L0, a1 = a.L1, a2 = a.L2, a3 = a.L3, a4 = a.L4;
        ulong a3x19 = a3 * x19Shl5, a4x19 = a4 * x19Shl5;

        ulong lo = 0, hi = 0;
        MulAdd(ref lo, ref hi, a0 << 8, a0 << 5);
        MulAdd(ref lo, ref hi, a1 << 9, a4x19);
        MulAdd(ref lo, ref hi, a2 << 9, a3x19);
        (ulong r0, ulong carry) = Settle(lo, hi, 0);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a3 << 8, a3x19);
        MulAdd(ref lo, ref hi, a0 << 9, a1 << 5);
        MulAdd(ref lo, ref hi, a2 << 9, a4x19);
        (ulong r1, carry) = Settle(lo, hi, carry);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a1 << 8, a1 << 5);
        MulAdd(ref lo, ref hi, a0 << 9, a2 << 5);
        MulAdd(ref lo, ref hi, a3 << 9, a4x19);
        (ulong r2, carry) = Settle(lo, hi, carry);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a4 << 8, a4x19);
        MulAdd(ref lo, ref hi, a0 << 9, a3 << 5);
        MulAdd(ref lo, ref hi, a1 << 9, a2 << 5);
        (ulong r3, carry) = Settle(lo, hi, carry);

        lo = 0; hi = 0;
        MulAdd(ref lo, ref hi, a2 << 8, a2 << 5);
        MulAdd(ref lo, ref hi, a0 << 9, a4 << 5);
        MulAdd(ref lo, ref hi, a1 << 9, a3 << 5);
        (ulong r4, carry) = Settle(lo, hi, carry);
        return FinishCarry(r0, r1, r2, r3, r4, carry);
    }

    /// <summary>A column (low + high·2⁵¹) plus the carry into it: its 51-bit limb and its carry out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Limb, ulong Carry) Settle(ulong low, ulong high, ulong carryIn)
    {
        low += carryIn;
        return (low & LowMask, high + (low >> 51));
    }

    /// <summary>Wraps the top column's carry around (×19) and settles limb 0's overflow into limb 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Field25519 FinishCarry(ulong r0, ulong r1, ulong r2, ulong r3, ulong r4, ulong carry)
    {
        // The top column has no ×19 terms: < 5·2¹⁰⁸ + 2⁶⁴, so its carry is < 2^59.4 and 19 times
        // it fits a ulong.
        r0 += carry * 19;
        r1 += r0 >> 51;
        r0 &= LowMask;
        return new Field25519(r0, r1, r2, r3, r4);
    }

    /// <summary>a^(2^n): n successive squarings.</summary>
    internal static Field25519 SquareTimes(in Field25519 a, int n)
    {
        var r = Square(a);
        for (int i = 1; i < n; i++) r = Square(r);
        return r;
    }

    /// <summary>(x^(2²⁵⁰ − 1), x¹¹): the shared prefix of the inversion and square-root chains.</summary>
    private static (Field25519 Pow2p250m1, Field25519 Pow11) Pow22501(in Field25519 x)
    {
        var x2 = Square(x);
        var x9 = Mul(x, SquareTimes(x2, 2));
        var x11 = Mul(x2, x9);
        var e5 = Mul(x9, Square(x11));               // x^(2⁵ − 1) = x^31 = x^9 · x^22
        var e10 = Mul(SquareTimes(e5, 5), e5);       // x^(2¹⁰ − 1)
        var e20 = Mul(SquareTimes(e10, 10), e10);    // x^(2²⁰ − 1)
        var e40 = Mul(SquareTimes(e20, 20), e20);    // x^(2⁴⁰ − 1)
        var e50 = Mul(SquareTimes(e40, 10), e10);    // x^(2⁵⁰ − 1)
        var e100 = Mul(SquareTimes(e50, 50), e50);   // x^(2¹⁰⁰ − 1)
        var e200 = Mul(SquareTimes(e100, 100), e100); // x^(2²⁰⁰ − 1)
        var e250 = Mul(SquareTimes(e200, 50), e50);  // x^(2²⁵⁰ − 1)
        return (e250, x11);
    }

    /// <summary>x⁻¹ = x^(p − 2) (Fermat); 0 maps to 0.</summary>
    internal static Field25519 Invert(in Field25519 x)
    {
        var (e250, x11) = Pow22501(x);
        return Mul(SquareTimes(e250, 5), x11);       // x^(2²⁵⁵ − 32 + 11) = x^(p − 2)
    }

    /// <summary>x^((p − 5)/8) = x^(2²⁵² − 3).</summary>
    internal static Field25519 PowP58(in Field25519 x)
    {
        var (e250, _) = Pow22501(x);
        return Mul(SquareTimes(e250, 2), x);         // x^(2²⁵² − 4 + 1)
    }

    /// <summary>
    /// RFC 9496 §4.2 SQRT_RATIO_M1(u, v): (true, +√(u/v)) when u/v is a square, (true, 0) when
    /// u = 0, (false, 0) when v = 0 and u ≠ 0, otherwise (false, +√(SQRT_M1·u/v)). The root
    /// returned is always the non-negative one.
    /// </summary>
    internal static bool SqrtRatioM1(in Field25519 u, in Field25519 v, out Field25519 root)
    {
        var v3 = Mul(Square(v), v);
        var v7 = Mul(Square(v3), v);
        var r = Mul(Mul(u, v3), PowP58(Mul(u, v7)));
        var check = Mul(v, Square(r));

        var minusU = Negate(u);
        bool correctSignSqrt = Equal(check, u);
        bool flippedSignSqrt = Equal(check, minusU);
        bool flippedSignSqrtI = Equal(check, Mul(minusU, SqrtM1));

        r = Select(Mul(SqrtM1, r), r, flippedSignSqrt | flippedSignSqrtI);
        root = Abs(r);
        return correctSignSqrt | flippedSignSqrt;
    }
}
