using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

public class FieldTests
{
    private static readonly BigInteger P = Fp.Modulus;
    private static readonly BigInteger R = Fr.Modulus;

    internal static IEnumerable<BigInteger> Samples(BigInteger m, int seed, int count = 200)
    {
        yield return 0;
        yield return 1;
        yield return 2;
        yield return m - 1;
        yield return m - 2;
        yield return (m - 1) / 2;
        yield return (m + 1) / 2;
        yield return BigInteger.Pow(2, 64) - 1;
        yield return BigInteger.Pow(2, 128);
        yield return BigInteger.Pow(2, 253) % m;
        var rng = new Random(seed);
        var buf = new byte[33];
        for (int i = 0; i < count; i++)
        {
            rng.NextBytes(buf);
            buf[32] = 0;
            yield return new BigInteger(buf) % m;
        }
    }

    [Fact]
    public void MontgomeryConstantsMatchBigInteger()
    {
        var two64 = BigInteger.One << 64;
        var two256 = BigInteger.One << 256;
        Assert.Equal(P, Montgomery<FpModulus>.Modulus.ToBigInteger());
        Assert.Equal(R, Montgomery<FrModulus>.Modulus.ToBigInteger());
        Assert.Equal((two64 - ModInverse(P, two64)) % two64, (BigInteger)FpModulus.QInvNeg);
        Assert.Equal((two64 - ModInverse(R, two64)) % two64, (BigInteger)FrModulus.QInvNeg);
        Assert.Equal(two256 % P, FpModulus.RModQ.ToBigInteger());
        Assert.Equal(two256 * two256 % P, FpModulus.R2ModQ.ToBigInteger());
        Assert.Equal(two256 % R, FrModulus.RModQ.ToBigInteger());
        Assert.Equal(two256 * two256 % R, FrModulus.R2ModQ.ToBigInteger());
        // The no-carry CIOS needs a spare top bit in both moduli.
        Assert.True(FpModulus.Q3 < 0x7FFFFFFFFFFFFFFFUL && FrModulus.Q3 < 0x7FFFFFFFFFFFFFFFUL);
    }

    private static BigInteger ModInverse(BigInteger a, BigInteger m) => BigInteger.ModPow(a, Phi2Power(m) - 1, m);

    // m is a power of two here: φ(2^k) = 2^(k−1)
    private static BigInteger Phi2Power(BigInteger m) => m / 2;

    [Fact]
    public void FpOperationsMatchBigInteger()
    {
        var xs = Samples(P, 1).ToArray();
        var ys = Samples(P, 2).ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            BigInteger a = xs[i], b = ys[(i * 7) % ys.Length];
            Fp fa = Fp.FromBigInteger(a), fb = Fp.FromBigInteger(b);
            Assert.Equal(a, fa.ToBigInteger());
            Assert.Equal((a * b) % P, (fa * fb).ToBigInteger());
            Assert.Equal((a + b) % P, (fa + fb).ToBigInteger());
            Assert.Equal(((a - b) % P + P) % P, (fa - fb).ToBigInteger());
            Assert.Equal((P - a) % P, (-fa).ToBigInteger());
            Assert.Equal(a * a % P, fa.Squared().ToBigInteger());
            Assert.Equal(2 * a % P, fa.Doubled().ToBigInteger());
            Fp.Halve(in fa, out var h);
            Assert.Equal(a, h.Doubled().ToBigInteger());
            if (!a.IsZero) Assert.Equal(BigInteger.ModPow(a, P - 2, P), fa.Inverse().ToBigInteger());
        }
    }

    [Fact]
    public void FpAliasedOperands()
    {
        foreach (var a in Samples(P, 3, 50))
        {
            var x = Fp.FromBigInteger(a);
            Fp.Mul(in x, in x, out x);
            Assert.Equal(a * a % P, x.ToBigInteger());
            x = Fp.FromBigInteger(a);
            Fp.Add(in x, in x, out x);
            Assert.Equal(2 * a % P, x.ToBigInteger());
            x = Fp.FromBigInteger(a);
            Fp.Sub(in x, in x, out x);
            Assert.True(x.IsZero);
            x = Fp.FromBigInteger(a);
            Fp.Neg(in x, out x);
            Assert.Equal((P - a) % P, x.ToBigInteger());
        }
    }

    [Fact]
    public void FrOperationsMatchBigInteger()
    {
        var xs = Samples(R, 4).ToArray();
        var ys = Samples(R, 5).ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            BigInteger a = xs[i], b = ys[(i * 3) % ys.Length];
            Fr fa = Fr.FromBigInteger(a), fb = Fr.FromBigInteger(b);
            Assert.Equal((a * b) % R, (fa * fb).ToBigInteger());
            Assert.Equal((a + b) % R, (fa + fb).ToBigInteger());
            Assert.Equal(((a - b) % R + R) % R, (fa - fb).ToBigInteger());
            Fr.Mul(in fa, in fa, out fa);
            Assert.Equal(a * a % R, fa.ToBigInteger());
        }
    }

    [Fact]
    public void CanonicalEncodingIsEnforced()
    {
        Span<byte> be = stackalloc byte[32];
        Limbs4.FromBigInteger(P).WriteBigEndian(be);
        Assert.False(Fp.TryFromBigEndian(be, out _));
        Limbs4.FromBigInteger(P - 1).WriteBigEndian(be);
        Assert.True(Fp.TryFromBigEndian(be, out var pm1));
        Assert.Equal(P - 1, pm1.ToBigInteger());
        Limbs4.FromBigInteger(R).WriteBigEndian(be);
        Assert.False(Fr.TryFromBigEndian(be, out _));
        be.Fill(0xff);
        Assert.False(Fp.TryFromBigEndian(be, out _));
    }

    [Fact]
    public void SqrtInFp()
    {
        foreach (var a in Samples(P, 6, 50))
        {
            var x = Fp.FromBigInteger(a);
            var sq = x.Squared();
            Assert.True(sq.TrySqrt(out var root));
            Assert.True(root == x || root == -x);
        }
        Assert.False(Fp.FromBigInteger(P - 1).TrySqrt(out _)); // −1 is a non-residue since p ≡ 3 mod 4
    }

    internal static Fp2 RandomFp2(Random rng)
    {
        var b = new byte[33];
        rng.NextBytes(b); b[32] = 0;
        var c0 = new BigInteger(b) % P;
        rng.NextBytes(b); b[32] = 0;
        return Fp2.FromBigIntegers(c0, new BigInteger(b) % P);
    }

    internal static Fp6 RandomFp6(Random rng) => new(RandomFp2(rng), RandomFp2(rng), RandomFp2(rng));
    internal static Fp12 RandomFp12(Random rng) => new(RandomFp6(rng), RandomFp6(rng));

    [Fact]
    public void Fp2Laws()
    {
        var rng = new Random(7);
        var u = new Fp2(Fp.Zero, Fp.One);
        Assert.Equal(-Fp2.One, u * u);
        for (int i = 0; i < 100; i++)
        {
            var a = RandomFp2(rng); var b = RandomFp2(rng); var c = RandomFp2(rng);
            Assert.Equal(a * (b * c), (a * b) * c);
            Assert.Equal(a * (b + c), a * b + a * c);
            Assert.Equal(a * a, a.Squared());
            Assert.Equal(Fp2.One, a * a.Inverse());
            Assert.Equal(a * new Fp2(Fp.FromUInt64(9), Fp.One), a.MulByNonResidue());
            // schoolbook against BigInteger
            BigInteger a0 = a.C0.ToBigInteger(), a1 = a.C1.ToBigInteger(), b0 = b.C0.ToBigInteger(), b1 = b.C1.ToBigInteger();
            var m = a * b;
            Assert.Equal(((a0 * b0 - a1 * b1) % P + P) % P, m.C0.ToBigInteger());
            Assert.Equal((a0 * b1 + a1 * b0) % P, m.C1.ToBigInteger());
            var sq = a.Squared();
            Assert.True(sq.TrySqrt(out var root));
            Assert.True(root.Equals(a) || root.Equals(-a));
            Assert.Equal(a.Pow(P), a.Conjugate());
        }
    }

    [Fact]
    public void Fp6Laws()
    {
        var rng = new Random(8);
        for (int i = 0; i < 30; i++)
        {
            var a = RandomFp6(rng); var b = RandomFp6(rng); var c = RandomFp6(rng);
            Assert.Equal(a * (b * c), (a * b) * c);
            Assert.Equal(a * (b + c), a * b + a * c);
            Assert.Equal(a * a, a.Squared());
            Assert.Equal(Fp6.One, a * a.Inverse());
            var v = new Fp6(Fp2.Zero, Fp2.One, Fp2.Zero);
            Assert.Equal(a * v, a.MulByNonResidue());
            var s0 = RandomFp2(rng); var s1 = RandomFp2(rng);
            Assert.Equal(a * new Fp6(s0, s1, Fp2.Zero), a.MulBy01(in s0, in s1));
            // v³ = ξ
            Assert.Equal(new Fp6(new Fp2(Fp.FromUInt64(9), Fp.One), Fp2.Zero, Fp2.Zero), v * v * v);
        }
    }

    [Fact]
    public void Fp12Laws()
    {
        var rng = new Random(9);
        var p = Fp.Modulus;
        for (int i = 0; i < 10; i++)
        {
            var a = RandomFp12(rng); var b = RandomFp12(rng); var c = RandomFp12(rng);
            Assert.Equal(a * (b * c), (a * b) * c);
            Assert.Equal(a * a, a.Squared());
            Assert.Equal(Fp12.One, a * a.Inverse());
            Assert.Equal(a.Pow(p), a.Frobenius());
            Assert.Equal(a.Frobenius().Frobenius(), a.FrobeniusSquare());
            Assert.Equal(a.FrobeniusSquare().Frobenius(), a.FrobeniusCube());
            Assert.Equal(a.Pow(BigInteger.Pow(p, 6)), a.Conjugate());
            var l0 = RandomFp2(rng); var l3 = RandomFp2(rng); var l4 = RandomFp2(rng);
            var line = new Fp12(new Fp6(l0, Fp2.Zero, Fp2.Zero), new Fp6(l3, l4, Fp2.Zero));
            Assert.Equal(a * line, a.MulBy034(in l0, in l3, in l4));
            // Cyclotomic squaring agrees with squaring inside the cyclotomic subgroup.
            var t = a.Conjugate() * a.Inverse();
            var cyc = t.FrobeniusSquare() * t;
            Assert.Equal(cyc.Squared(), cyc.CyclotomicSquared());
            Assert.Equal(Fp12.One, cyc * cyc.Conjugate());
        }
    }
}
