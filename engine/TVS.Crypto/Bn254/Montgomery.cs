using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace TVS.Crypto.Bn254;

/// <summary>Four 64-bit limbs, little-endian (L0 least significant).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Limbs4
{
    public ulong L0, L1, L2, L3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Limbs4(ulong l0, ulong l1, ulong l2, ulong l3)
    {
        L0 = l0; L1 = l1; L2 = l2; L3 = l3;
    }

    public readonly BigInteger ToBigInteger()
    {
        Span<byte> le = stackalloc byte[33];
        MemoryMarshal.Write(le, in L0);
        MemoryMarshal.Write(le[8..], in L1);
        MemoryMarshal.Write(le[16..], in L2);
        MemoryMarshal.Write(le[24..], in L3);
        le[32] = 0;
        return new BigInteger(le, isUnsigned: true, isBigEndian: false);
    }

    /// <summary>Reads 32 big-endian bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Limbs4 FromBigEndian(ReadOnlySpan<byte> be32)
    {
        return new Limbs4(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(be32[24..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(be32[16..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(be32[8..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(be32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void WriteBigEndian(Span<byte> be32)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(be32, L3);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(be32[8..], L2);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(be32[16..], L1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(be32[24..], L0);
    }

    /// <summary>Limbs of a non-negative integer below 2^256.</summary>
    public static Limbs4 FromBigInteger(BigInteger v)
    {
        if (v.Sign < 0 || v.GetBitLength() > 256)
            throw new ArgumentOutOfRangeException(nameof(v));
        Span<byte> le = stackalloc byte[32];
        le.Clear();
        v.TryWriteBytes(le, out _, isUnsigned: true, isBigEndian: false);
        return new Limbs4(
            MemoryMarshal.Read<ulong>(le), MemoryMarshal.Read<ulong>(le[8..]),
            MemoryMarshal.Read<ulong>(le[16..]), MemoryMarshal.Read<ulong>(le[24..]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool IsZero() => (L0 | L1 | L2 | L3) == 0;

    /// <summary>Bit i (0 = least significant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Bit(int i) => (int)((i switch { < 64 => L0, < 128 => L1, < 192 => L2, _ => L3 }) >> (i & 63)) & 1;

    /// <summary>Bits [4w, 4w+4), the w-th 4-bit window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Nibble(int w)
    {
        int bit = w * 4;
        ulong limb = (bit >> 6) switch { 0 => L0, 1 => L1, 2 => L2, _ => L3 };
        return (int)(limb >> (bit & 63)) & 15;
    }

    public readonly int BitLength()
    {
        if (L3 != 0) return 256 - BitOperations.LeadingZeroCount(L3);
        if (L2 != 0) return 192 - BitOperations.LeadingZeroCount(L2);
        if (L1 != 0) return 128 - BitOperations.LeadingZeroCount(L1);
        return 64 - BitOperations.LeadingZeroCount(L0);
    }

    /// <summary>this &lt; m, as unsigned 256-bit integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool LessThan(in Limbs4 m)
    {
        if (L3 != m.L3) return L3 < m.L3;
        if (L2 != m.L2) return L2 < m.L2;
        if (L1 != m.L1) return L1 < m.L1;
        return L0 < m.L0;
    }
}

/// <summary>
/// The constants of a 4-limb Montgomery field. Implemented by empty structs so that
/// <see cref="Montgomery{M}"/> is specialised per field and the constants fold into the code.
/// </summary>
public interface IModulus4
{
    static abstract ulong Q0 { get; }
    static abstract ulong Q1 { get; }
    static abstract ulong Q2 { get; }
    static abstract ulong Q3 { get; }
    /// <summary>−q⁻¹ mod 2⁶⁴.</summary>
    static abstract ulong QInvNeg { get; }
    /// <summary>R mod q (Montgomery form of 1), R = 2²⁵⁶.</summary>
    static abstract Limbs4 RModQ { get; }
    /// <summary>R² mod q, to enter Montgomery form.</summary>
    static abstract Limbs4 R2ModQ { get; }
}

/// <summary>
/// Montgomery arithmetic on 4×64-bit limbs for moduli whose top limb leaves room for the
/// "no-carry" CIOS variant (q₃ &lt; 2⁶³ − 1), as gnark-crypto does for BN254's p and r.
/// Every method reads all its inputs before it writes its output, so operands may alias.
/// </summary>
public static class Montgomery<M> where M : struct, IModulus4
{
    /// <summary>
    /// High and low halves of a·b. With BMI2 the high half comes from mulx and the low half from
    /// a separate imul: Math.BigMul's out parameter makes the JIT store and reload the low half
    /// through the stack, a slower multiplication chain (docs/PERFORMANCE.md, "Why the targets are missed").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MulHiLo(ulong a, ulong b, out ulong lo)
    {
        if (Bmi2.X64.IsSupported)
        {
            lo = a * b;
            return Bmi2.X64.MultiplyNoFlags(a, b);
        }
        return Math.BigMul(a, b, out lo);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Madd0(ulong a, ulong b, ulong c)
    {
        ulong hi = MulHiLo(a, b, out ulong lo);
        lo += c;
        return hi + (lo < c ? 1UL : 0UL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Madd1(ulong a, ulong b, ulong c, out ulong lo)
    {
        ulong hi = MulHiLo(a, b, out lo);
        lo += c;
        return hi + (lo < c ? 1UL : 0UL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Madd2(ulong a, ulong b, ulong c, ulong d, out ulong lo)
    {
        ulong hi = MulHiLo(a, b, out lo);
        c += d;
        hi += c < d ? 1UL : 0UL;
        lo += c;
        return hi + (lo < c ? 1UL : 0UL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Madd3(ulong a, ulong b, ulong c, ulong d, ulong e, out ulong lo)
    {
        ulong hi = MulHiLo(a, b, out lo);
        c += d;
        hi += c < d ? 1UL : 0UL;
        lo += c;
        hi += lo < c ? 1UL : 0UL;
        return hi + e;
    }

    /// <summary>z = x·y·R⁻¹ mod q (CIOS, no-carry variant), fully reduced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mul(in Limbs4 x, in Limbs4 y, out Limbs4 z)
    {
        ulong y0 = y.L0, y1 = y.L1, y2 = y.L2, y3 = y.L3;
        ulong x1 = x.L1, x2 = x.L2, x3 = x.L3;
        ulong t0, t1, t2, t3, c0, c1, c2, m, v;

        v = x.L0;
        c1 = MulHiLo(v, y0, out c0);
        m = c0 * M.QInvNeg;
        c2 = Madd0(m, M.Q0, c0);
        c1 = Madd1(v, y1, c1, out c0);
        c2 = Madd2(m, M.Q1, c2, c0, out t0);
        c1 = Madd1(v, y2, c1, out c0);
        c2 = Madd2(m, M.Q2, c2, c0, out t1);
        c1 = Madd1(v, y3, c1, out c0);
        t3 = Madd3(m, M.Q3, c0, c2, c1, out t2);

        v = x1;
        c1 = Madd1(v, y0, t0, out c0);
        m = c0 * M.QInvNeg;
        c2 = Madd0(m, M.Q0, c0);
        c1 = Madd2(v, y1, c1, t1, out c0);
        c2 = Madd2(m, M.Q1, c2, c0, out t0);
        c1 = Madd2(v, y2, c1, t2, out c0);
        c2 = Madd2(m, M.Q2, c2, c0, out t1);
        c1 = Madd2(v, y3, c1, t3, out c0);
        t3 = Madd3(m, M.Q3, c0, c2, c1, out t2);

        v = x2;
        c1 = Madd1(v, y0, t0, out c0);
        m = c0 * M.QInvNeg;
        c2 = Madd0(m, M.Q0, c0);
        c1 = Madd2(v, y1, c1, t1, out c0);
        c2 = Madd2(m, M.Q1, c2, c0, out t0);
        c1 = Madd2(v, y2, c1, t2, out c0);
        c2 = Madd2(m, M.Q2, c2, c0, out t1);
        c1 = Madd2(v, y3, c1, t3, out c0);
        t3 = Madd3(m, M.Q3, c0, c2, c1, out t2);

        v = x3;
        c1 = Madd1(v, y0, t0, out c0);
        m = c0 * M.QInvNeg;
        c2 = Madd0(m, M.Q0, c0);
        c1 = Madd2(v, y1, c1, t1, out c0);
        c2 = Madd2(m, M.Q1, c2, c0, out t0);
        c1 = Madd2(v, y2, c1, t2, out c0);
        c2 = Madd2(m, M.Q2, c2, c0, out t1);
        c1 = Madd2(v, y3, c1, t3, out c0);
        t3 = Madd3(m, M.Q3, c0, c2, c1, out t2);

        ReduceOnce(t0, t1, t2, t3, out z);
    }

    // Carry and borrow out of the top bit without flags (Hacker's Delight 2-13): .NET has no
    // add-with-carry intrinsic, and the compare chains these replace cost twice the instructions.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddC(ulong x, ulong y, ulong carryIn, out ulong carryOut)
    {
        ulong s = x + y + carryIn;
        carryOut = ((x & y) | ((x | y) & ~s)) >> 63;
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SubB(ulong x, ulong y, ulong borrowIn, out ulong borrowOut)
    {
        ulong d = x - y - borrowIn;
        borrowOut = ((~x & y) | (~(x ^ y) & d)) >> 63;
        return d;
    }

    /// <summary>z = t − q if t ≥ q, else t; for t &lt; 2q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReduceOnce(ulong t0, ulong t1, ulong t2, ulong t3, out Limbs4 z)
    {
        ulong s0 = SubB(t0, M.Q0, 0, out ulong b);
        ulong s1 = SubB(t1, M.Q1, b, out b);
        ulong s2 = SubB(t2, M.Q2, b, out b);
        ulong s3 = SubB(t3, M.Q3, b, out b);
        // b == 1: t < q, keep t. Branch-free select.
        ulong keep = 0UL - b;
        z.L0 = (t0 & keep) | (s0 & ~keep);
        z.L1 = (t1 & keep) | (s1 & ~keep);
        z.L2 = (t2 & keep) | (s2 & ~keep);
        z.L3 = (t3 & keep) | (s3 & ~keep);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Square(in Limbs4 x, out Limbs4 z) => Mul(in x, in x, out z);

    // ---- Lazy reduction for the extension tower (Fp2 = Fp[u]/(u² + 1)) ----
    //
    // Bounds the code below relies on, for q < 2²⁵⁴ (both BN254 moduli: q₃ < 2⁶²), R = 2²⁵⁶:
    // - a sum of two reduced values is < 2q < 2²⁵⁵: it fits in four limbs without a carry out;
    // - the CIOS Mul above accepts an unreduced left operand x < R as long as y < q: each outer
    //   step takes one 64-bit digit of x, whatever its value, and the running value stays below
    //   2q (t' = (t + xᵢ·y + m·q)/2⁶⁴ < (2q + (2⁶⁴−1)q + (2⁶⁴−1)q)/2⁶⁴ < 2q), which is all the
    //   no-carry shortcut needs besides y < q and q₃'s spare top bit; the result (xy + M·q)/R is
    //   below 2q when xy < qR, so the final ReduceOnce still ends below q;
    // - a product of two values below 2q is < 4q² < 2⁵¹⁰: it fits in eight limbs;
    // - RedcWide needs T < q·R, then (T + M·q)/R < 2q with M < R: c1 = a0b1 + a1b0 < 2q² < qR
    //   since 2q < R, and c0 = a0b0 − a1b1, plus qR when negative, lies in (qR − q², qR).

    /// <summary>The 512-bit product x·y as low and high four limbs (schoolbook, operand scanning).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulWide(in Limbs4 x, in Limbs4 y, out Limbs4 lo, out Limbs4 hi)
    {
        ulong y0 = y.L0, y1 = y.L1, y2 = y.L2, y3 = y.L3;
        ulong r0, r1, r2, r3, r4, r5, r6, r7, c, v;

        v = x.L0;
        c = MulHiLo(v, y0, out r0);
        c = Madd1(v, y1, c, out r1);
        c = Madd1(v, y2, c, out r2);
        r4 = Madd1(v, y3, c, out r3);

        v = x.L1;
        c = Madd1(v, y0, r1, out r1);
        c = Madd2(v, y1, r2, c, out r2);
        c = Madd2(v, y2, r3, c, out r3);
        r5 = Madd2(v, y3, r4, c, out r4);

        v = x.L2;
        c = Madd1(v, y0, r2, out r2);
        c = Madd2(v, y1, r3, c, out r3);
        c = Madd2(v, y2, r4, c, out r4);
        r6 = Madd2(v, y3, r5, c, out r5);

        v = x.L3;
        c = Madd1(v, y0, r3, out r3);
        c = Madd2(v, y1, r4, c, out r4);
        c = Madd2(v, y2, r5, c, out r5);
        r7 = Madd2(v, y3, r6, c, out r6);

        lo = new Limbs4(r0, r1, r2, r3);
        hi = new Limbs4(r4, r5, r6, r7);
    }

    /// <summary>
    /// z = T·R⁻¹ mod q for a 512-bit T = hi·2²⁵⁶ + lo below q·R (Montgomery reduction, four
    /// word steps): T + M·q &lt; 2qR &lt; 2⁵¹¹ never carries out of the eighth limb, and the
    /// result before the final subtraction is below 2q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RedcWide(in Limbs4 lo, in Limbs4 hi, out Limbs4 z)
    {
        ulong t0 = lo.L0, t1 = lo.L1, t2 = lo.L2, t3 = lo.L3;
        ulong t4 = hi.L0, t5 = hi.L1, t6 = hi.L2, t7 = hi.L3;
        ulong m, c, carry;

        m = t0 * M.QInvNeg;
        c = Madd0(m, M.Q0, t0);
        c = Madd2(m, M.Q1, t1, c, out t1);
        c = Madd2(m, M.Q2, t2, c, out t2);
        c = Madd2(m, M.Q3, t3, c, out t3);
        t4 = AddC(t4, c, 0, out carry);

        m = t1 * M.QInvNeg;
        c = Madd0(m, M.Q0, t1);
        c = Madd2(m, M.Q1, t2, c, out t2);
        c = Madd2(m, M.Q2, t3, c, out t3);
        c = Madd2(m, M.Q3, t4, c, out t4);
        t5 = AddC(t5, c, carry, out carry);

        m = t2 * M.QInvNeg;
        c = Madd0(m, M.Q0, t2);
        c = Madd2(m, M.Q1, t3, c, out t3);
        c = Madd2(m, M.Q2, t4, c, out t4);
        c = Madd2(m, M.Q3, t5, c, out t5);
        t6 = AddC(t6, c, carry, out carry);

        m = t3 * M.QInvNeg;
        c = Madd0(m, M.Q0, t3);
        c = Madd2(m, M.Q1, t4, c, out t4);
        c = Madd2(m, M.Q2, t5, c, out t5);
        c = Madd2(m, M.Q3, t6, c, out t6);
        t7 = t7 + c + carry;

        ReduceOnce(t4, t5, t6, t7, out z);
    }

    /// <summary>x + y without reduction (inputs below 2²⁵⁵, as reduced values are: no carry out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Limbs4 AddNoReduce(in Limbs4 x, in Limbs4 y)
    {
        ulong t0 = AddC(x.L0, y.L0, 0, out ulong c);
        ulong t1 = AddC(x.L1, y.L1, c, out c);
        ulong t2 = AddC(x.L2, y.L2, c, out c);
        return new Limbs4(t0, t1, t2, x.L3 + y.L3 + c);
    }

    /// <summary>
    /// (c0 + c1·u) = (a0 + a1·u)(b0 + b1·u) with u² = −1, all in Montgomery form, reducing once
    /// per coefficient: three 512-bit products (Karatsuba, on the unreduced sums a0 + a1 and
    /// b0 + b1, each &lt; 2q), c1 = (a0 + a1)(b0 + b1) − a0b0 − a1b1 = a0b1 + a1b0 &lt; 2q² and
    /// c0 = a0b0 − a1b1, plus q·R when that is negative; both are below q·R, so RedcWide applies.
    /// Inputs reduced; outputs may alias inputs (all read first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MulComplex(in Limbs4 a0, in Limbs4 a1, in Limbs4 b0, in Limbs4 b1, out Limbs4 c0, out Limbs4 c1)
    {
        Limbs4 sa = AddNoReduce(in a0, in a1);
        Limbs4 sb = AddNoReduce(in b0, in b1);
        MulWide(in a0, in b0, out var p0lo, out var p0hi);
        MulWide(in a1, in b1, out var p1lo, out var p1hi);
        MulWide(in sa, in sb, out var mlo, out var mhi);

        // m − p0 − p1 (never negative)
        ulong s0 = SubB(mlo.L0, p0lo.L0, 0, out ulong b);
        ulong s1 = SubB(mlo.L1, p0lo.L1, b, out b);
        ulong s2 = SubB(mlo.L2, p0lo.L2, b, out b);
        ulong s3 = SubB(mlo.L3, p0lo.L3, b, out b);
        ulong s4 = SubB(mhi.L0, p0hi.L0, b, out b);
        ulong s5 = SubB(mhi.L1, p0hi.L1, b, out b);
        ulong s6 = SubB(mhi.L2, p0hi.L2, b, out b);
        ulong s7 = mhi.L3 - p0hi.L3 - b;
        s0 = SubB(s0, p1lo.L0, 0, out b);
        s1 = SubB(s1, p1lo.L1, b, out b);
        s2 = SubB(s2, p1lo.L2, b, out b);
        s3 = SubB(s3, p1lo.L3, b, out b);
        s4 = SubB(s4, p1hi.L0, b, out b);
        s5 = SubB(s5, p1hi.L1, b, out b);
        s6 = SubB(s6, p1hi.L2, b, out b);
        s7 = s7 - p1hi.L3 - b;

        // p0 − p1, plus q·2²⁵⁶ on a borrow
        ulong d0 = SubB(p0lo.L0, p1lo.L0, 0, out b);
        ulong d1 = SubB(p0lo.L1, p1lo.L1, b, out b);
        ulong d2 = SubB(p0lo.L2, p1lo.L2, b, out b);
        ulong d3 = SubB(p0lo.L3, p1lo.L3, b, out b);
        ulong d4 = SubB(p0hi.L0, p1hi.L0, b, out b);
        ulong d5 = SubB(p0hi.L1, p1hi.L1, b, out b);
        ulong d6 = SubB(p0hi.L2, p1hi.L2, b, out b);
        ulong d7 = SubB(p0hi.L3, p1hi.L3, b, out b);
        ulong mask = 0UL - b;
        d4 = AddC(d4, M.Q0 & mask, 0, out ulong c);
        d5 = AddC(d5, M.Q1 & mask, c, out c);
        d6 = AddC(d6, M.Q2 & mask, c, out c);
        d7 = d7 + (M.Q3 & mask) + c;

        RedcWide(new Limbs4(d0, d1, d2, d3), new Limbs4(d4, d5, d6, d7), out c0);
        RedcWide(new Limbs4(s0, s1, s2, s3), new Limbs4(s4, s5, s6, s7), out c1);
    }

    /// <summary>
    /// The same product as <see cref="MulComplex"/> by three fused multiplications (Karatsuba),
    /// the left sum a0 + a1 left unreduced (the CIOS bound above): the alternative to lazy reduction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MulComplexFused(in Limbs4 a0, in Limbs4 a1, in Limbs4 b0, in Limbs4 b1, out Limbs4 c0, out Limbs4 c1)
    {
        Limbs4 sa = AddNoReduce(in a0, in a1);
        Add(in b0, in b1, out var sb);
        Mul(in a0, in b0, out var t0);
        Mul(in a1, in b1, out var t1);
        Mul(in sa, in sb, out var m);
        Sub(in m, in t0, out m);
        Sub(in t0, in t1, out c0);
        Sub(in m, in t1, out c1);
    }

    /// <summary>
    /// (c0 + c1·u) = (a0 + a1·u)² with u² = −1: c0 = (a0 + a1)(a0 − a1), c1 = 2a0·a1, two fused
    /// multiplications whose left operands (a0 + a1 and 2a0, each &lt; 2q) are left unreduced
    /// (the CIOS bound above). Inputs reduced; outputs may alias inputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SquareComplex(in Limbs4 a0, in Limbs4 a1, out Limbs4 c0, out Limbs4 c1)
    {
        Limbs4 s = AddNoReduce(in a0, in a1);
        Limbs4 twice = AddNoReduce(in a0, in a0);
        Sub(in a0, in a1, out var d);
        Limbs4 y = a1;
        Mul(in s, in d, out c0);
        Mul(in twice, in y, out c1);
    }

    /// <summary>z = 9x + y mod q (x, y reduced), one small reduction instead of a chain of modular additions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mul9Add(in Limbs4 x, in Limbs4 y, out Limbs4 z)
        => Mul9AddBelow(x.L0, x.L1, x.L2, x.L3, y.L0, y.L1, y.L2, y.L3, out z);

    /// <summary>z = 9x − y mod q (x, y reduced), computed as 9x + (q − y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mul9Sub(in Limbs4 x, in Limbs4 y, out Limbs4 z)
    {
        // q − y ∈ [1, q] for y < q: no borrow out.
        ulong n0 = SubB(M.Q0, y.L0, 0, out ulong b);
        ulong n1 = SubB(M.Q1, y.L1, b, out b);
        ulong n2 = SubB(M.Q2, y.L2, b, out b);
        ulong n3 = M.Q3 - y.L3 - b;
        Mul9AddBelow(x.L0, x.L1, x.L2, x.L3, n0, n1, n2, n3, out z);
    }

    /// <summary>
    /// z = (9x + y) mod q for x &lt; q, y ≤ q. The sum t &lt; 10q &lt; 2²⁵⁸ takes five limbs; the
    /// quotient estimate k = ⌊(t ≫ 194) / ((q ≫ 194) + 1)⌋ (a division by a constant, which the
    /// JIT turns into a multiplication) never exceeds ⌊t/q⌋ and falls short of it by at most one,
    /// so t − k·q &lt; 2q and one conditional subtraction finishes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mul9AddBelow(ulong x0, ulong x1, ulong x2, ulong x3, ulong y0, ulong y1, ulong y2, ulong y3, out Limbs4 z)
    {
        // 8x by shifts (x < 2²⁵⁴: the top limb of 8x is below 4), then + x + y.
        ulong e0 = x0 << 3;
        ulong e1 = (x1 << 3) | (x0 >> 61);
        ulong e2 = (x2 << 3) | (x1 >> 61);
        ulong e3 = (x3 << 3) | (x2 >> 61);
        ulong e4 = x3 >> 61;
        ulong t0 = AddC(e0, x0, 0, out ulong c);
        ulong t1 = AddC(e1, x1, c, out c);
        ulong t2 = AddC(e2, x2, c, out c);
        ulong t3 = AddC(e3, x3, c, out c);
        ulong t4 = e4 + c;
        t0 = AddC(t0, y0, 0, out c);
        t1 = AddC(t1, y1, c, out c);
        t2 = AddC(t2, y2, c, out c);
        t3 = AddC(t3, y3, c, out c);
        t4 += c;

        ulong k = ((t4 << 62) | (t3 >> 2)) / ((M.Q3 >> 2) + 1);
        // t − k·q (k < 16, so k·q fits in five limbs; the difference is in [0, 2q))
        ulong h0 = MulHiLo(k, M.Q0, out ulong l0);
        ulong h1 = MulHiLo(k, M.Q1, out ulong l1);
        ulong h2 = MulHiLo(k, M.Q2, out ulong l2);
        ulong h3 = MulHiLo(k, M.Q3, out ulong l3);
        l1 = AddC(l1, h0, 0, out c);
        l2 = AddC(l2, h1, c, out c);
        l3 = AddC(l3, h2, c, out c);
        ulong l4 = h3 + c;
        t0 = SubB(t0, l0, 0, out ulong b);
        t1 = SubB(t1, l1, b, out b);
        t2 = SubB(t2, l2, b, out b);
        t3 = SubB(t3, l3, b, out b);
        _ = t4 - l4 - b; // zero: the difference is below 2q < 2²⁵⁶
        ReduceOnce(t0, t1, t2, t3, out z);
    }

    /// <summary>z = x + y mod q (inputs reduced; q &lt; 2²⁵⁵ so the sum fits in 256 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(in Limbs4 x, in Limbs4 y, out Limbs4 z)
    {
        ulong t0 = AddC(x.L0, y.L0, 0, out ulong c);
        ulong t1 = AddC(x.L1, y.L1, c, out c);
        ulong t2 = AddC(x.L2, y.L2, c, out c);
        ulong t3 = x.L3 + y.L3 + c;
        ReduceOnce(t0, t1, t2, t3, out z);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double(in Limbs4 x, out Limbs4 z)
    {
        ulong t0 = x.L0 << 1;
        ulong t1 = (x.L1 << 1) | (x.L0 >> 63);
        ulong t2 = (x.L2 << 1) | (x.L1 >> 63);
        ulong t3 = (x.L3 << 1) | (x.L2 >> 63);
        ReduceOnce(t0, t1, t2, t3, out z);
    }

    /// <summary>z = x − y mod q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sub(in Limbs4 x, in Limbs4 y, out Limbs4 z)
    {
        ulong t0 = SubB(x.L0, y.L0, 0, out ulong b);
        ulong t1 = SubB(x.L1, y.L1, b, out b);
        ulong t2 = SubB(x.L2, y.L2, b, out b);
        ulong t3 = SubB(x.L3, y.L3, b, out b);
        // On borrow add q back (mask instead of a branch).
        ulong mask = 0UL - b;
        ulong r0 = AddC(t0, M.Q0 & mask, 0, out ulong c);
        ulong r1 = AddC(t1, M.Q1 & mask, c, out c);
        ulong r2 = AddC(t2, M.Q2 & mask, c, out c);
        z.L0 = r0; z.L1 = r1; z.L2 = r2; z.L3 = t3 + (M.Q3 & mask) + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Neg(in Limbs4 x, out Limbs4 z)
    {
        // q − x, or 0 for x = 0 (mask instead of a branch)
        ulong nz = 0UL - (((x.L0 | x.L1 | x.L2 | x.L3) | (0UL - (x.L0 | x.L1 | x.L2 | x.L3))) >> 63);
        ulong t0 = SubB(M.Q0, x.L0, 0, out ulong b);
        ulong t1 = SubB(M.Q1, x.L1, b, out b);
        ulong t2 = SubB(M.Q2, x.L2, b, out b);
        z.L0 = t0 & nz; z.L1 = t1 & nz; z.L2 = t2 & nz; z.L3 = (M.Q3 - x.L3 - b) & nz;
    }

    /// <summary>z = x/2 mod q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Halve(in Limbs4 x, out Limbs4 z)
    {
        // x + q when x is odd (the sum is even and fits in 256 bits because q < 2^255)
        ulong mask = 0UL - (x.L0 & 1);
        ulong t0 = AddC(x.L0, M.Q0 & mask, 0, out ulong c);
        ulong t1 = AddC(x.L1, M.Q1 & mask, c, out c);
        ulong t2 = AddC(x.L2, M.Q2 & mask, c, out c);
        ulong t3 = x.L3 + (M.Q3 & mask) + c;
        z.L0 = (t0 >> 1) | (t1 << 63);
        z.L1 = (t1 >> 1) | (t2 << 63);
        z.L2 = (t2 >> 1) | (t3 << 63);
        z.L3 = t3 >> 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Equal(in Limbs4 x, in Limbs4 y)
        => ((x.L0 ^ y.L0) | (x.L1 ^ y.L1) | (x.L2 ^ y.L2) | (x.L3 ^ y.L3)) == 0;

    /// <summary>Canonical integer (&lt; q) into Montgomery form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ToMont(in Limbs4 x, out Limbs4 z)
    {
        Limbs4 r2 = M.R2ModQ;
        Mul(in x, in r2, out z);
    }

    /// <summary>Montgomery form back to the canonical integer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FromMont(in Limbs4 x, out Limbs4 z)
    {
        Limbs4 one = new(1, 0, 0, 0);
        Mul(in x, in one, out z);
    }

    public static Limbs4 Modulus => new(M.Q0, M.Q1, M.Q2, M.Q3);

    /// <summary>True when the integer is a canonical field element (&lt; q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsCanonical(in Limbs4 x)
    {
        Limbs4 q = Modulus;
        return x.LessThan(in q);
    }

    /// <summary>z = x^e (Montgomery in and out), e a plain integer; square-and-multiply, not constant time.</summary>
    public static void Pow(in Limbs4 x, in Limbs4 e, out Limbs4 z)
    {
        Limbs4 acc = M.RModQ;
        Limbs4 b = x;
        int n = e.BitLength();
        for (int i = n - 1; i >= 0; i--)
        {
            Square(in acc, out acc);
            if (e.Bit(i) != 0) Mul(in acc, in b, out acc);
        }
        z = acc;
    }

    /// <summary>z = x⁻¹ (0 maps to 0), by Fermat: x^(q−2).</summary>
    public static void Inverse(in Limbs4 x, out Limbs4 z)
    {
        Limbs4 e = new(M.Q0 - 2, M.Q1, M.Q2, M.Q3); // q is odd and > 2: no borrow
        Pow(in x, in e, out z);
    }
}
