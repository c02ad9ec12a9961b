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
