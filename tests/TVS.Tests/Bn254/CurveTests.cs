using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

public class CurveTests
{
    private static readonly BigInteger R = Fr.Modulus;

    internal static BigInteger RandomScalar(Random rng)
    {
        var b = new byte[33];
        rng.NextBytes(b); b[32] = 0;
        return new BigInteger(b) % R;
    }

    [Fact]
    public void GeneratorsAreOnCurveAndHaveOrderR()
    {
        Assert.True(G1Affine.Generator.IsOnCurve());
        Assert.True(G2Affine.Generator.IsOnCurve());
        Assert.True(G1Jac.ScalarMul(G1Affine.Generator, R).IsInfinity);
        Assert.True(G2Jac.ScalarMul(G2Affine.Generator, R).IsInfinity);
        Assert.True(G2Affine.Generator.IsInSubgroup());
        Assert.False(G1Jac.ScalarMul(G1Affine.Generator, R - 1).IsInfinity);
    }

    [Fact]
    public void G1GroupLaw()
    {
        var rng = new Random(11);
        var g = G1Affine.Generator;
        for (int i = 0; i < 20; i++)
        {
            var a = RandomScalar(rng); var b = RandomScalar(rng);
            var pa = G1Jac.ScalarMul(g, a);
            var pb = G1Jac.ScalarMul(g, b);
            var sum = G1Jac.ScalarMul(g, (a + b) % R);
            Assert.True(pa.Add(pb).EqualsPoint(sum));
            Assert.True(pa.AddMixed(pb.ToAffine()).EqualsPoint(sum));
            Assert.True(pa.Add(pa).EqualsPoint(pa.Double()));
            Assert.True(pa.Add(pa.Negate()).IsInfinity);
            Assert.True(pa.ToAffine().IsOnCurve());
            Assert.True(G1Jac.ScalarMul(pa.ToAffine(), b).EqualsPoint(G1Jac.ScalarMul(g, a * b % R)));
        }
    }

    [Fact]
    public void G2GroupLawAndEndomorphism()
    {
        var rng = new Random(12);
        var g = G2Affine.Generator;
        var p = Fp.Modulus;
        for (int i = 0; i < 8; i++)
        {
            var a = RandomScalar(rng); var b = RandomScalar(rng);
            var qa = G2Jac.ScalarMul(g, a);
            var qb = G2Jac.ScalarMul(g, b);
            Assert.True(qa.Add(qb).EqualsPoint(G2Jac.ScalarMul(g, (a + b) % R)));
            Assert.True(qa.AddMixed(qb.ToAffine()).EqualsPoint(G2Jac.ScalarMul(g, (a + b) % R)));
            Assert.True(qa.Add(qa).EqualsPoint(qa.Double()));
            var aff = qa.ToAffine();
            Assert.True(aff.IsOnCurve());
            Assert.True(aff.IsInSubgroup());
            // ψ acts as [p] on G2, ψ² as [p²]
            Assert.True(G2Jac.FromAffine(aff.Psi()).EqualsPoint(G2Jac.ScalarMul(aff, p % R)));
            Assert.True(G2Jac.FromAffine(aff.Psi2()).EqualsPoint(G2Jac.ScalarMul(aff, p * p % R)));
        }
    }

    /// <summary>A random point of the twist, almost surely outside the order-r subgroup.</summary>
    internal static G2Affine RandomTwistPoint(Random rng)
    {
        while (true)
        {
            var x = FieldTests.RandomFp2(rng);
            var rhs = x.Squared() * x + G2Affine.TwistB;
            if (rhs.TrySqrt(out var y)) return new G2Affine(x, y);
        }
    }

    [Fact]
    public void FastSubgroupCheckAgreesWithOrderCheck()
    {
        var rng = new Random(13);
        int outside = 0;
        for (int i = 0; i < 12; i++)
        {
            var q = RandomTwistPoint(rng);
            Assert.True(q.IsOnCurve());
            bool slow = q.IsInSubgroupSlow();
            Assert.Equal(slow, q.IsInSubgroup());
            if (!slow) outside++;
            // Clear the r-part: [r]Q lies in the cofactor part only; and [cofactor]Q lies in G2.
            var cof = G2Jac.ScalarMul(q, R).ToAffine();
            Assert.Equal(cof.IsInSubgroupSlow(), cof.IsInSubgroup());
            var h = 2 * Fp.Modulus - R;
            var cleared = G2Jac.ScalarMul(q, h).ToAffine();
            Assert.True(cleared.IsInSubgroupSlow());
            Assert.True(cleared.IsInSubgroup());
            // A subgroup point plus a cofactor-part point is outside.
            var mixed = G2Jac.FromAffine(cleared).AddMixed(cof).ToAffine();
            if (!cof.IsInfinity) Assert.False(mixed.IsInSubgroup());
        }
        Assert.True(outside >= 10);
    }

    [Fact]
    public void BatchToAffineMatchesSingle()
    {
        var rng = new Random(14);
        var pts = new G1Jac[9];
        for (int i = 0; i < pts.Length; i++) pts[i] = i == 4 ? G1Jac.Infinity : G1Jac.ScalarMul(G1Affine.Generator, RandomScalar(rng));
        var aff = new G1Affine[pts.Length];
        G1Jac.BatchToAffine(pts, aff);
        for (int i = 0; i < pts.Length; i++) Assert.Equal(pts[i].ToAffine(), aff[i]);
    }
}

public class GlvTests
{
    [Fact]
    public void EndomorphismIsMultiplicationByLambda()
    {
        var rng = new Random(31);
        for (int i = 0; i < 10; i++)
        {
            var p = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
            Assert.Equal(G1Jac.ScalarMul(p, Glv.Lambda).ToAffine(), Glv.Endomorphism(p));
            ulong k1 = (ulong)rng.NextInt64(), k2 = (ulong)rng.NextInt64() | (1UL << 63);
            var expected = G1Jac.ScalarMul(p, Glv.Combine(k1, k2).ToCanonical());
            Assert.True(Glv.Mul(p, k1, k2).EqualsPoint(expected));
        }
        Assert.Equal(System.Numerics.BigInteger.One, System.Numerics.BigInteger.ModPow(Glv.Lambda, 3, Fr.Modulus));
    }

    [Fact]
    public void MsmMatchesSumOfProducts()
    {
        var rng = new Random(32);
        foreach (int n in new[] { 1, 2, 5, 17, 70 })
        {
            var pts = new G1Affine[n];
            var ks = new Limbs4[n];
            var expected = G1Jac.Infinity;
            for (int i = 0; i < n; i++)
            {
                pts[i] = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
                ks[i] = Limbs4.FromBigInteger(i % 7 == 3 ? 0 : CurveTests.RandomScalar(rng) >> (i % 3 * 60));
                expected = expected.Add(G1Jac.ScalarMul(pts[i], ks[i]));
            }
            Assert.True(Msm.G1(pts, ks).EqualsPoint(expected));
        }
    }
}

public class EndomorphismScalarMulTests
{
    [Fact]
    public void DecompositionsAreShortAndCorrect()
    {
        var rng = new Random(41);
        var r = Fr.Modulus;
        foreach (var d in new[] { ScalarDecomposition.G1, ScalarDecomposition.G2 })
        {
            for (int i = 0; i < 200; i++)
            {
                var k = i switch { 0 => 0, 1 => 1, 2 => r - 1, _ => CurveTests.RandomScalar(rng) };
                d.Decompose(k, out var k1, out var k2);
                Assert.Equal(k % r, ((k1 + k2 * d.Eigenvalue) % r + r) % r);
                Assert.True(System.Numerics.BigInteger.Abs(k1).GetBitLength() <= 128, $"k1 has {System.Numerics.BigInteger.Abs(k1).GetBitLength()} bits");
                Assert.True(System.Numerics.BigInteger.Abs(k2).GetBitLength() <= 128, $"k2 has {System.Numerics.BigInteger.Abs(k2).GetBitLength()} bits");
            }
        }
    }

    [Fact]
    public void GlvAndGlsAgreeWithPlainScalarMultiplication()
    {
        var rng = new Random(42);
        var r = Fr.Modulus;
        for (int i = 0; i < 12; i++)
        {
            var k = i switch { 0 => 0, 1 => 1, 2 => r - 1, 3 => r, _ => CurveTests.RandomScalar(rng) };
            var p = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
            Assert.True(G1Jac.ScalarMulGlv(p, k).EqualsPoint(G1Jac.ScalarMul(p, k)));
            var q = G2Jac.ScalarMul(G2Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
            Assert.True(G2Jac.ScalarMulGls(q, k).EqualsPoint(G2Jac.ScalarMul(q, k)));
        }
    }
}
