using System.Numerics;
using System.Text.Json;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

/// <summary>
/// Karabina's compressed squaring and its decompression, the exponentiation by x and the final
/// exponentiation built on them, against the plain arithmetic they replace. Every input is in
/// the cyclotomic subgroup (EasyPart of a random Fp12), as in the final exponentiation: the
/// compressed formulas are wrong elsewhere by design.
/// </summary>
public class CyclotomicTests
{
    private static readonly Fp2 Xi = new(Fp.FromUInt64(9), Fp.One);

    private static Fp12 RandomCyclotomic(Random rng) => Pairing.EasyPart(FieldTests.RandomFp12(rng));

    [Fact]
    public void CompressedRunsOfSquaringsMatchCyclotomicSquaring()
    {
        var rng = new Random(71);
        for (int trial = 0; trial < 12; trial++)
        {
            var g = RandomCyclotomic(rng);
            var expected = g;
            var compressed = Cyclotomic.Compress(in g);
            var snapshots = new CompressedCyclotomic[40];
            var expectedPowers = new Fp12[40];
            for (int k = 0; k < 40; k++)
            {
                expected = expected.CyclotomicSquared();
                compressed = Cyclotomic.Square(in compressed);
                snapshots[k] = compressed;
                expectedPowers[k] = expected;
                if (k % 7 == trial % 7) Assert.Equal(expected, Cyclotomic.Decompress(in compressed));
            }
            Assert.Equal(expected, g.Pow(BigInteger.Pow(2, 40)));
            Assert.Equal(expectedPowers[39], Cyclotomic.Decompress(Cyclotomic.Square(Cyclotomic.Compress(in g), 40)));

            var batch = new Fp12[40];
            Cyclotomic.DecompressBatch(snapshots, batch, new Fp2[3 * 40]);
            Assert.Equal(expectedPowers, batch);
        }
    }

    [Fact]
    public void DecompressionOfOneAndBatchesContainingOne()
    {
        // g = 1 is the a1 = a4 = 0 case: no fraction, the batch must skip it and still invert the rest.
        var one = Cyclotomic.Compress(Fp12.One);
        Assert.False(Cyclotomic.TryA3Fraction(in one, out _, out _));
        Assert.Equal(Fp12.One, Cyclotomic.Decompress(in one));
        Assert.Equal(Fp12.One, Cyclotomic.Decompress(Cyclotomic.Square(in one, 5)));

        var rng = new Random(72);
        var a = RandomCyclotomic(rng);
        var b = RandomCyclotomic(rng);
        var input = new[] { one, Cyclotomic.Compress(in a), one, Cyclotomic.Compress(in b), one };
        var result = new Fp12[5];
        Cyclotomic.DecompressBatch(input, result, new Fp2[15]);
        Assert.Equal(new[] { Fp12.One, a, Fp12.One, b, Fp12.One }, result);

        var onlyOnes = new Fp12[2];
        Cyclotomic.DecompressBatch(new[] { one, one }, onlyOnes, new Fp2[6]);
        Assert.Equal(new[] { Fp12.One, Fp12.One }, onlyOnes);
        Cyclotomic.DecompressBatch(ReadOnlySpan<CompressedCyclotomic>.Empty, Span<Fp12>.Empty, Span<Fp2>.Empty);

        Assert.Throws<ArgumentException>(() => Cyclotomic.DecompressBatch(input, result, new Fp2[14]));
    }

    /// <summary>
    /// The relations decompression relies on (Cyclotomic's remarks): (R2) is what makes the
    /// a1 = 0 formula a3 = 2·a2·a5/a4 exact, since it holds on the whole subgroup.
    /// </summary>
    [Fact]
    public void SubgroupRelationsHold()
    {
        var rng = new Random(73);
        for (int trial = 0; trial < 20; trial++)
        {
            var g = RandomCyclotomic(rng);
            Fp2 a0 = g.C0.B0, a1 = g.C1.B0, a2 = g.C0.B1, a3 = g.C1.B1, a4 = g.C0.B2, a5 = g.C1.B2;
            var three = Fp2.One.Doubled() + Fp2.One;
            Assert.Equal((a1 * a3).Doubled().Doubled(), Xi * a5.Squared() + three * a2.Squared() - a4.Doubled());
            Assert.Equal(Xi * (a3 * a4 - (a2 * a5).Doubled()), a1 * (Fp2.One - a0));
            Assert.Equal(a0, Xi * (a3.Squared().Doubled() + a1 * a5 - three * (a2 * a4)) + Fp2.One);
            // A non-cyclotomic element breaks them: the formulas are for the subgroup only.
            var f = FieldTests.RandomFp12(rng);
            Assert.NotEqual(f.C0.B0, Xi * (f.C1.B1.Squared().Doubled() + f.C1.B0 * f.C1.B2 - three * (f.C0.B1 * f.C0.B2)) + Fp2.One);
        }
    }

    [Fact]
    public void AlternativeFractionIsTakenWhenTheCoefficientOfWIsZero()
    {
        // Elements of the subgroup with a1 = 0 are too rare to sample (about one in p²); the branch's
        // arithmetic is checked on a hand-made compressed value, its exactness by (R2) above.
        var rng = new Random(74);
        var c = new CompressedCyclotomic { A1 = Fp2.Zero, A2 = FieldTests.RandomFp2(rng), A4 = FieldTests.RandomFp2(rng), A5 = FieldTests.RandomFp2(rng) };
        Assert.True(Cyclotomic.TryA3Fraction(in c, out var numerator, out var denominator));
        Assert.Equal((c.A2 * c.A5).Doubled(), numerator);
        Assert.Equal(c.A4, denominator);

        var g = RandomCyclotomic(rng);
        var d = Cyclotomic.Compress(in g);
        Assert.True(Cyclotomic.TryA3Fraction(in d, out numerator, out denominator));
        Assert.Equal(d.A1.Doubled().Doubled(), denominator);
        Assert.Equal(g.C1.B1, numerator * denominator.Inverse());
    }

    [Fact]
    public void ExponentiationByXMatchesTheGenericPower()
    {
        var rng = new Random(75);
        BigInteger x = Pairing.X;
        Assert.Equal(x, Pairing.XWnaf4.Select((d, i) => d * BigInteger.Pow(2, i)).Aggregate(BigInteger.Zero, (s, t) => s + t));
        for (int trial = 0; trial < 6; trial++)
        {
            var m = RandomCyclotomic(rng);
            var expected = m.Pow(x);
            Assert.Equal(expected, Pairing.ExpByX(in m));
            Assert.Equal(expected, Pairing.ExpByXUncompressed(in m));
            Assert.Equal(expected, ReferenceExpByX(in m));
        }
        Assert.Equal(Fp12.One, Pairing.ExpByX(Fp12.One));
        Assert.Equal(Fp12.One, Pairing.ExpByXUncompressed(Fp12.One));
    }

    [Fact]
    public void FinalExponentiationMatchesTheFormerChainOnRandomInputs()
    {
        var rng = new Random(76);
        for (int trial = 0; trial < 4; trial++)
        {
            var f = FieldTests.RandomFp12(rng);
            Assert.Equal(ReferenceFinalExponentiation(in f), Pairing.FinalExponentiation(in f));
        }
        Assert.Equal(Fp12.One, Pairing.FinalExponentiation(Fp12.One));
    }

    [Fact]
    public void FinalExponentiationMatchesTheFormerChainOnThePairingVectors()
    {
        var vectors = JsonSerializer.Deserialize<EipVectorTests.Vector[]>(
            File.ReadAllText(EipVectorTests.SharedPath("testvectors", "eip196-197", "bn256Pairing.json")))!;
        int checkedCount = 0;
        foreach (var v in vectors)
        {
            var input = Convert.FromHexString(v.Input);
            int n = input.Length / 192;
            var ps = new G1Affine[n];
            var qs = new G2Affine[n];
            bool valid = input.Length % 192 == 0;
            for (int i = 0; i < n && valid; i++)
                valid = PointEncoding.TryReadG1(input.AsSpan(i * 192, 64), out ps[i]) == PointError.None
                     && PointEncoding.TryReadG2(input.AsSpan(i * 192 + 64, 128), out qs[i]) == PointError.None;
            if (!valid) continue;
            var f = Pairing.MillerLoop(ps, qs);
            var fe = Pairing.FinalExponentiation(in f);
            Assert.Equal(ReferenceFinalExponentiation(in f), fe);
            Assert.Equal(Convert.FromHexString(v.Expected)[31] == 1, fe.IsOne);
            checkedCount++;
        }
        Assert.True(checkedCount >= 10, $"only {checkedCount} pairing vectors decoded");
    }

    /// <summary>The exponentiation by x as it was: x's plain NAF, one multiplication per non-zero digit.</summary>
    private static Fp12 ReferenceExpByX(in Fp12 m)
    {
        var naf = new List<int>();
        for (BigInteger k = Pairing.X; k > 0; k /= 2)
        {
            int d = k.IsEven ? 0 : 2 - (int)(k % 4);
            naf.Add(d);
            k -= d;
        }
        var acc = m;
        for (int i = naf.Count - 2; i >= 0; i--)
        {
            acc = acc.CyclotomicSquared();
            if (naf[i] == 1) acc *= m;
            else if (naf[i] == -1) acc *= m.Conjugate();
        }
        return acc;
    }

    /// <summary>
    /// The final exponentiation as it was before issue 15: the easy part with the constant-time
    /// Fermat inversion, the same Fuentes-Castañeda chain over the plain-NAF exponentiation by x.
    /// </summary>
    private static Fp12 ReferenceFinalExponentiation(in Fp12 f)
    {
        var e = f.Conjugate() * f.Inverse();
        var m = e.FrobeniusSquare() * e;
        Assert.Equal(m, Pairing.EasyPart(in f));
        var t0 = ReferenceExpByX(in m).Conjugate().CyclotomicSquared();
        var t1 = t0.CyclotomicSquared() * t0;
        var t2 = ReferenceExpByX(in t1).Conjugate();
        var t3 = t1.Conjugate();
        t1 = t2 * t3;
        t3 = t2.CyclotomicSquared();
        var t4 = ReferenceExpByX(in t3) * t1;
        t3 = t0 * t4;
        t0 = t2 * t4 * m;
        t0 = t3.Frobenius() * t0;
        t0 = t4.FrobeniusSquare() * t0;
        return (m.Conjugate() * t3).FrobeniusCube() * t0;
    }
}

public class VartimeInversionTests
{
    [Fact]
    public void MatchesFermatInversionThroughTheTower()
    {
        var rng = new Random(81);
        var p = Fp.Modulus;
        var edge = new BigInteger[] { 1, 2, 3, p - 1, p - 2, (p - 1) / 2, BigInteger.Pow(2, 64), BigInteger.Pow(2, 253), BigInteger.Pow(2, 128) - 1 };
        foreach (var e in edge)
        {
            var a = Fp.FromBigInteger(e);
            Assert.Equal(a.Inverse(), VartimeInversion.Inverse(in a));
            Assert.True((a * VartimeInversion.Inverse(in a)).IsOne);
        }
        Assert.Equal(Fp.Zero, VartimeInversion.Inverse(Fp.Zero));
        for (int i = 0; i < 200; i++)
        {
            var a = FieldTests.RandomFp2(rng).C0;
            Assert.Equal(a.Inverse(), VartimeInversion.Inverse(in a));
        }
        for (int i = 0; i < 20; i++)
        {
            var a2 = FieldTests.RandomFp2(rng);
            Assert.Equal(a2.Inverse(), VartimeInversion.Inverse(in a2));
            var a6 = FieldTests.RandomFp6(rng);
            Assert.Equal(a6.Inverse(), VartimeInversion.Inverse(in a6));
            var a12 = FieldTests.RandomFp12(rng);
            Assert.Equal(a12.Inverse(), VartimeInversion.Inverse(in a12));
        }
    }
}
