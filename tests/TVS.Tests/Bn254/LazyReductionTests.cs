using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

/// <summary>
/// The tower's lazily reduced kernels (issue 15): the Montgomery-level primitives on raw limbs
/// against BigInteger for both moduli, at the values where their bounds are tight (the largest
/// representatives, products that cancel exactly, sums that land on multiples of the modulus),
/// and the Fp2/Fp6/Fp12 operations built on them against the previous implementations.
/// </summary>
public class LazyReductionTests
{
    private static readonly BigInteger TwoTo256 = BigInteger.One << 256;

    /// <summary>Raw limb values (Montgomery representatives, not canonical integers) below q where the bounds are tight.</summary>
    private static IEnumerable<BigInteger> RawEdges(BigInteger q, int seed, int random)
    {
        BigInteger[] fixedValues =
        [
            0, 1, 2, q - 1, q - 2, q / 2, q / 2 + 1, (BigInteger.One << 64) - 1, BigInteger.One << 64,
            (BigInteger.One << 192) - 1, BigInteger.One << 253, (BigInteger.One << 253) - 1, q - (BigInteger.One << 64),
            TwoTo256 % q, q - TwoTo256 % q, (BigInteger.One << 253) + (BigInteger.One << 252),
        ];
        foreach (var v in fixedValues) yield return v;
        foreach (var v in FieldTests.Samples(q, seed, random).Skip(10)) yield return v;
    }

    private static BigInteger RInverse(BigInteger q) => BigInteger.ModPow(TwoTo256 % q, q - 2, q);

    private static Limbs4 L(BigInteger v) => Limbs4.FromBigInteger(v);

    [Fact]
    public void MulComplexMatchesBigIntegerFp() => CheckMulComplex<FpModulus>(Fp.Modulus, 11);

    [Fact]
    public void MulComplexMatchesBigIntegerFr() => CheckMulComplex<FrModulus>(Fr.Modulus, 12);

    private static void CheckMulComplex<M>(BigInteger q, int seed) where M : struct, IModulus4
    {
        var rInv = RInverse(q);
        BigInteger Mod(BigInteger v) => ((v % q) + q) % q;
        var values = RawEdges(q, seed, 24).ToArray();
        var rng = new Random(seed);
        foreach (var a0 in values)
        {
            foreach (var a1 in values)
            {
                // b: the same element (squares, c0 = a0² − a1²), a fixed edge, a random one
                BigInteger[][] bs = [[a0, a1], [a1, a0], [values[rng.Next(values.Length)], values[rng.Next(values.Length)]]];
                foreach (var b in bs)
                {
                    Montgomery<M>.MulComplex(L(a0), L(a1), L(b[0]), L(b[1]), out var c0, out var c1);
                    Assert.Equal(Mod((a0 * b[0] - a1 * b[1]) * rInv), c0.ToBigInteger());
                    Assert.Equal(Mod((a0 * b[1] + a1 * b[0]) * rInv), c1.ToBigInteger());
                }
                Montgomery<M>.SquareComplex(L(a0), L(a1), out var s0, out var s1);
                Assert.Equal(Mod((a0 * a0 - a1 * a1) * rInv), s0.ToBigInteger());
                Assert.Equal(Mod(2 * a0 * a1 * rInv), s1.ToBigInteger());
            }
        }
        // The widest inputs of the reduction: c0 = 0·x − 1·1 gives T = q·R − 1 (the borrow case's
        // maximum); c1 = 2(q − 1)² its largest non-negative value.
        foreach (var x in values)
        {
            Montgomery<M>.MulComplex(L(0), L(1), L(x), L(1), out var c0, out _);
            Assert.Equal(Mod(-rInv), c0.ToBigInteger());
        }
        Montgomery<M>.MulComplex(L(q - 1), L(q - 1), L(q - 1), L(q - 1), out var m0, out var m1);
        Assert.Equal(BigInteger.Zero, m0.ToBigInteger());
        Assert.Equal(Mod(2 * (q - 1) * (q - 1) * rInv), m1.ToBigInteger());
    }

    [Fact]
    public void MulComplexAndSquareComplexAcceptAliasedOperands()
    {
        var q = Fp.Modulus;
        foreach (var v in RawEdges(q, 13, 20))
        {
            var w = (v * 7 + 3) % q;
            Montgomery<FpModulus>.MulComplex(L(v), L(w), L(v), L(w), out var e0, out var e1);
            Limbs4 x0 = L(v), x1 = L(w);
            Montgomery<FpModulus>.MulComplex(in x0, in x1, in x0, in x1, out x0, out x1);
            Assert.Equal(e0.ToBigInteger(), x0.ToBigInteger());
            Assert.Equal(e1.ToBigInteger(), x1.ToBigInteger());
            x0 = L(v); x1 = L(w);
            Montgomery<FpModulus>.SquareComplex(in x0, in x1, out x0, out x1);
            Assert.Equal(e0.ToBigInteger(), x0.ToBigInteger());
            Assert.Equal(e1.ToBigInteger(), x1.ToBigInteger());
            // outputs swapped onto the inputs
            x0 = L(v); x1 = L(w);
            Montgomery<FpModulus>.SquareComplex(in x0, in x1, out x1, out x0);
            Assert.Equal(e0.ToBigInteger(), x1.ToBigInteger());
            Assert.Equal(e1.ToBigInteger(), x0.ToBigInteger());
        }
    }

    [Fact]
    public void MulByNineMatchesBigIntegerFp() => CheckMulByNine<FpModulus>(Fp.Modulus, 14);

    [Fact]
    public void MulByNineMatchesBigIntegerFr() => CheckMulByNine<FrModulus>(Fr.Modulus, 15);

    private static void CheckMulByNine<M>(BigInteger q, int seed) where M : struct, IModulus4
    {
        BigInteger Mod(BigInteger v) => ((v % q) + q) % q;
        var values = RawEdges(q, seed, 40).ToArray();
        foreach (var x in values)
        {
            foreach (var y in values)
            {
                Montgomery<M>.Mul9Add(L(x), L(y), out var s);
                Assert.Equal(Mod(9 * x + y), s.ToBigInteger());
                Montgomery<M>.Mul9Sub(L(x), L(y), out var d);
                Assert.Equal(Mod(9 * x - y), d.ToBigInteger());
            }
        }
        // 9x + y landing on, just below and just above every multiple k·q the sum can reach,
        // where the quotient estimate is most likely to be off by one.
        for (int k = 0; k <= 10; k++)
        {
            for (int dx = 0; dx < 3; dx++)
            {
                var x = BigInteger.Max(0, BigInteger.Min(q - 1, k * q / 9 - dx));
                for (int dy = -2; dy <= 2; dy++)
                {
                    var y = k * q - 9 * x + dy;
                    if (y < 0 || y >= q) continue;
                    Montgomery<M>.Mul9Add(L(x), L(y), out var s);
                    Assert.Equal(Mod(9 * x + y), s.ToBigInteger());
                    var n = q - y; // 9x − n = 9x + y − q
                    if (n < q)
                    {
                        Montgomery<M>.Mul9Sub(L(x), L(n), out var d);
                        Assert.Equal(Mod(9 * x - n), d.ToBigInteger());
                    }
                }
            }
        }
        var a = L(q - 1);
        Montgomery<M>.Mul9Add(in a, in a, out a);
        Assert.Equal(Mod(10 * (q - 1)), a.ToBigInteger());
        a = L(q - 1);
        Montgomery<M>.Mul9Sub(in a, in a, out a);
        Assert.Equal(Mod(8 * (q - 1)), a.ToBigInteger());
    }

    [Fact]
    public void FusedMulAcceptsAnUnreducedLeftOperand()
    {
        // SquareComplex relies on it: x < 2q (and any x < 2²⁵⁶) times a reduced y.
        foreach (var (q, rInv) in new[] { (Fp.Modulus, RInverse(Fp.Modulus)), (Fr.Modulus, RInverse(Fr.Modulus)) })
        {
            foreach (var y in RawEdges(q, 16, 10))
            {
                foreach (var x in new[] { q, q + 1, 2 * q - 2, 2 * q - 1, TwoTo256 - 1, TwoTo256 - q })
                {
                    Limbs4 z;
                    if (q == Fp.Modulus) Montgomery<FpModulus>.Mul(L(x), L(y), out z);
                    else Montgomery<FrModulus>.Mul(L(x), L(y), out z);
                    Assert.Equal(x * y * rInv % q, z.ToBigInteger());
                }
            }
        }
    }

    private static IEnumerable<Fp> FpEdges()
    {
        foreach (var v in RawEdges(Fp.Modulus, 17, 12)) yield return new Fp(L(v));
    }

    [Fact]
    public void Fp2AgreesWithBigIntegerAndThePreviousCode()
    {
        var p = Fp.Modulus;
        BigInteger Mod(BigInteger v) => ((v % p) + p) % p;
        var xs = FpEdges().ToArray();
        var rng = new Random(18);
        foreach (var a0 in xs)
        {
            foreach (var a1 in xs)
            {
                var a = new Fp2(a0, a1);
                var b = new Fp2(xs[rng.Next(xs.Length)], xs[rng.Next(xs.Length)]);
                BigInteger x0 = a0.ToBigInteger(), x1 = a1.ToBigInteger(), y0 = b.C0.ToBigInteger(), y1 = b.C1.ToBigInteger();
                var m = a * b;
                Assert.Equal(Mod(x0 * y0 - x1 * y1), m.C0.ToBigInteger());
                Assert.Equal(Mod(x0 * y1 + x1 * y0), m.C1.ToBigInteger());
                Assert.Equal(Fp2.MulFused(in a, in b), m);
                Assert.Equal(Fp2.MulFused(in a, in a), a * a);
                var s = a.Squared();
                Assert.Equal(Mod(x0 * x0 - x1 * x1), s.C0.ToBigInteger());
                Assert.Equal(Mod(2 * x0 * x1), s.C1.ToBigInteger());
                Assert.Equal(a.SquaredFused(), s);
                var xi = a.MulByNonResidue();
                Assert.Equal(Mod(9 * x0 - x1), xi.C0.ToBigInteger());
                Assert.Equal(Mod(x0 + 9 * x1), xi.C1.ToBigInteger());
                Assert.Equal(a.MulByNonResidueChained(), xi);
                // aliased: in and out the same variable
                var t = a; t *= t; Assert.Equal(s, t);
                t = a; t = t.Squared(); Assert.Equal(s, t);
                t = a; t = t.MulByNonResidue(); Assert.Equal(xi, t);
            }
        }
    }

    [Fact]
    public void TowerAgreesWithThePreviousCode()
    {
        var rng = new Random(19);
        var edges = FpEdges().ToArray();
        Fp2 Pick() => rng.Next(3) == 0
            ? new Fp2(edges[rng.Next(edges.Length)], edges[rng.Next(edges.Length)])
            : FieldTests.RandomFp2(rng);
        Fp6 Pick6() => new(Pick(), Pick(), Pick());
        for (int i = 0; i < 40; i++)
        {
            var a = Pick6(); var b = Pick6();
            Assert.Equal(Fp6Reference.Mul(in a, in b), a * b);
            Assert.Equal(Fp6Reference.Square(in a), a.Squared());
            Assert.Equal(Fp6Reference.Mul(in a, in a), a * a);
            Fp2 s0 = Pick(), s1 = Pick();
            Assert.Equal(Fp6Reference.Mul(in a, new Fp6(s0, s1, Fp2.Zero)), a.MulBy01(in s0, in s1));
            var f = new Fp12(a, b); var g = new Fp12(Pick6(), Pick6());
            var fg = Fp12Reference.Mul(in f, in g);
            Assert.Equal(fg, f * g);
            Assert.Equal(Fp12Reference.Mul(in f, in f), f.Squared());
            Fp2 l0 = Pick(), l3 = Pick(), l4 = Pick();
            var line = new Fp12(new Fp6(l0, Fp2.Zero, Fp2.Zero), new Fp6(l3, l4, Fp2.Zero));
            Assert.Equal(Fp12Reference.Mul(in f, in line), f.MulBy034(in l0, in l3, in l4));
            var h = f; h = h.MulBy034(in l0, in l3, in l4); Assert.Equal(Fp12Reference.Mul(in f, in line), h);
            h = f; h *= h; Assert.Equal(Fp12Reference.Mul(in f, in f), h);
        }
    }

    /// <summary>The tower's multiplications written with the previous Fp2 kernels only (fused Fp multiplications, chained ξ).</summary>
    private static class Fp6Reference
    {
        public static Fp6 Mul(in Fp6 a, in Fp6 b)
        {
            var t0 = Fp2.MulFused(a.B0, b.B0);
            var t1 = Fp2.MulFused(a.B1, b.B1);
            var t2 = Fp2.MulFused(a.B2, b.B2);
            var c0 = (Fp2.MulFused(a.B1 + a.B2, b.B1 + b.B2) - t1 - t2).MulByNonResidueChained() + t0;
            var c1 = Fp2.MulFused(a.B0 + a.B1, b.B0 + b.B1) - t0 - t1 + t2.MulByNonResidueChained();
            var c2 = Fp2.MulFused(a.B0 + a.B2, b.B0 + b.B2) - t0 - t2 + t1;
            return new Fp6(c0, c1, c2);
        }

        public static Fp6 Square(in Fp6 a) => Mul(in a, in a);

        public static Fp6 MulByV(in Fp6 a) => new(a.B2.MulByNonResidueChained(), a.B0, a.B1);
    }

    private static class Fp12Reference
    {
        public static Fp12 Mul(in Fp12 a, in Fp12 b)
        {
            var t0 = Fp6Reference.Mul(a.C0, b.C0);
            var t1 = Fp6Reference.Mul(a.C1, b.C1);
            var c1 = Fp6Reference.Mul(a.C0 + a.C1, b.C0 + b.C1) - t0 - t1;
            return new Fp12(Fp6Reference.MulByV(t1) + t0, c1);
        }
    }
}
