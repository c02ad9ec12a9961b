using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

public class PairingTests
{
    private static readonly BigInteger P = Fp.Modulus;
    private static readonly BigInteger R = Fr.Modulus;

    [Fact]
    public void HardPartDecompositionHolds()
    {
        BigInteger x = Pairing.X;
        Assert.Equal(36 * BigInteger.Pow(x, 4) + 36 * BigInteger.Pow(x, 3) + 24 * x * x + 6 * x + 1, P);
        Assert.Equal(36 * BigInteger.Pow(x, 4) + 36 * BigInteger.Pow(x, 3) + 18 * x * x + 6 * x + 1, R);
        var d = (BigInteger.Pow(P, 4) - P * P + 1) / R;
        var l3 = BigInteger.One;
        var l2 = 6 * x * x + 1;
        var l1 = -36 * x * x * x - 18 * x * x - 12 * x + 1;
        var l0 = -36 * x * x * x - 30 * x * x - 18 * x - 2;
        Assert.Equal(d, l0 + l1 * P + l2 * P * P + l3 * P * P * P);
    }

    [Fact]
    public void FinalExponentiationMatchesGenericPower()
    {
        var rng = new Random(21);
        var f = FieldTests.RandomFp12(rng);
        var expected = f.Pow((BigInteger.Pow(P, 12) - 1) / R);
        Assert.Equal(expected, Pairing.FinalExponentiationExact(f));
    }

    [Fact]
    public void PairingIsBilinearAndNonDegenerate()
    {
        var rng = new Random(22);
        var g1 = G1Affine.Generator;
        var g2 = G2Affine.Generator;
        var e = Pairing.Pair(g1, g2);
        Assert.False(e.IsOne);
        Assert.True(e.Pow(R).IsOne);
        for (int i = 0; i < 3; i++)
        {
            var a = CurveTests.RandomScalar(rng);
            var b = CurveTests.RandomScalar(rng);
            var pa = G1Jac.ScalarMul(g1, a).ToAffine();
            var qb = G2Jac.ScalarMul(g2, b).ToAffine();
            var lhs = Pairing.Pair(pa, qb);
            Assert.Equal(e.Pow(a * b % R), lhs);
            Assert.Equal(Pairing.Pair(G1Jac.ScalarMul(g1, a * b % R).ToAffine(), g2), lhs);
            Assert.True(Pairing.PairingCheck([pa, pa.Negate()], [qb, qb]));
            Assert.False(Pairing.PairingCheck([pa, pa], [qb, qb]));
        }
    }

    [Fact]
    public void PreparedLinesGiveTheSameMillerLoop()
    {
        var rng = new Random(23);
        var pa = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
        var pb = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
        var qa = G2Jac.ScalarMul(G2Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
        var qb = G2Jac.ScalarMul(G2Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
        var direct = Pairing.MillerLoop([pa, pb], [qa, qb]);
        var scratch = new G2Proj[1];
        // Prepared lines are normalised (divided by subfield factors): the values agree after the
        // final exponentiation, not before.
        var mixed = Pairing.MillerLoop([pa], [qa], [pb], [new G2Prepared(qb)], scratch);
        Assert.Equal(Pairing.FinalExponentiationExact(direct), Pairing.FinalExponentiationExact(mixed));
        var prepared = Pairing.MillerLoop(default, default, [pa, pb], [new G2Prepared(qa), new G2Prepared(qb)], default);
        Assert.Equal(Pairing.FinalExponentiationExact(direct), Pairing.FinalExponentiationExact(prepared));
        Assert.NotNull(new G2Prepared(qa).Normalized);
        // A prepared pair with P at infinity contributes 1, with the normalised lines too.
        var withInfinity = Pairing.MillerLoop([pa], [qa], [G1Affine.Infinity, pb], [new G2Prepared(qa), new G2Prepared(qb)], scratch);
        Assert.Equal(Pairing.FinalExponentiationExact(direct), Pairing.FinalExponentiationExact(withInfinity));
    }
}

public class HardPartTests
{
    [Fact]
    public void FuentesCastanedaChainIsAFixedPowerOfTheRealFinalExponentiation()
    {
        var rng = new Random(51);
        var f = FieldTests.RandomFp12(rng);
        var exact = Pairing.FinalExponentiationExact(f);
        var fc = Pairing.FinalExponentiation(f);
        BigInteger x = Pairing.X;
        var r = Fr.Modulus;
        var candidates = new[] { 2 * x * (6 * x * x + 3 * x + 1), -2 * x * (6 * x * x + 3 * x + 1) };
        var matched = candidates.Where(c => exact.Pow(((c % r) + r) % r).Equals(fc)).ToList();
        Assert.Single(matched);
    }
}
