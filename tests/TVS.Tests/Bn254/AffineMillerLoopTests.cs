using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

/// <summary>
/// The batch's affine Miller loop against the projective one: the values before the final
/// exponentiation differ by subfield factors, the paired values must not.
/// </summary>
public class AffineMillerLoopTests
{
    private static G1Affine RandomG1(Random rng) => G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
    private static G2Affine RandomG2(Random rng) => G2Jac.ScalarMul(G2Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(5, 3)]
    [InlineData(17, 6)]
    [InlineData(0, 3)]
    public void Paired_value_equals_the_projective_loops(int variable, int fixedPairs)
    {
        var rng = new Random(31 + variable * 7 + fixedPairs);
        var p = new G1Affine[variable];
        var q = new G2Affine[variable];
        for (int j = 0; j < variable; j++) { p[j] = RandomG1(rng); q[j] = RandomG2(rng); }
        var pf = new G1Affine[fixedPairs];
        var qf = new G2Prepared[fixedPairs];
        for (int j = 0; j < fixedPairs; j++) { pf[j] = RandomG1(rng); qf[j] = new G2Prepared(RandomG2(rng)); }

        var loop = new AffineMillerLoop();
        Assert.True(loop.TryRun(p, q, pf, qf, out var affine));
        var projective = Pairing.MillerLoop(p, q, pf, qf, new G2Proj[variable]);
        Assert.Equal(Pairing.FinalExponentiation(projective), Pairing.FinalExponentiation(affine));
        Assert.Equal(Pairing.FinalExponentiationExact(projective), Pairing.FinalExponentiationExact(affine));
        // The scratch is reused: a second, smaller run on the same instance gives its own value.
        if (variable > 1)
        {
            Assert.True(loop.TryRun(p.AsSpan(1), q.AsSpan(1), pf, qf, out var smaller));
            var expected = Pairing.MillerLoop(p.AsSpan(1), q.AsSpan(1), pf, qf, new G2Proj[variable - 1]);
            Assert.Equal(Pairing.FinalExponentiation(expected), Pairing.FinalExponentiation(smaller));
        }
    }

    [Fact]
    public void A_product_of_pairings_that_is_one_is_one_and_a_wrong_one_is_not()
    {
        var rng = new Random(41);
        var loop = new AffineMillerLoop();
        var a = CurveTests.RandomScalar(rng);
        var p = RandomG1(rng);
        var q = RandomG2(rng);
        var pa = G1Jac.ScalarMul(p, a).ToAffine();
        var qa = G2Jac.ScalarMul(q, a).ToAffine();
        // e(aP, Q) · e(−P, aQ) = 1, with the same points twice more to fill a batch.
        Assert.True(loop.TryRun([pa, p.Negate(), p, p.Negate()], [q, qa, q, q], [], [], out var f));
        Assert.True(Pairing.FinalExponentiation(f).IsOne);
        Assert.True(loop.TryRun([pa, p], [q, qa], [], [], out var g));
        Assert.False(Pairing.FinalExponentiation(g).IsOne);
    }

    [Fact]
    public void Lines_with_constant_term_one_multiply_like_the_general_sparse_product()
    {
        var rng = new Random(43);
        var f = FieldTests.RandomFp12(rng);
        var c3 = new Fp2(Fp.FromBigInteger(CurveTests.RandomScalar(rng)), Fp.FromBigInteger(CurveTests.RandomScalar(rng)));
        var c4 = new Fp2(Fp.FromBigInteger(CurveTests.RandomScalar(rng)), Fp.FromBigInteger(CurveTests.RandomScalar(rng)));
        Assert.Equal(f.MulBy034(Fp2.One, c3, c4), AffineMillerLoop.MulBy34(f, c3, c4));
        var aliased = f;
        aliased = AffineMillerLoop.MulBy34(aliased, c3, c4);
        Assert.Equal(f.MulBy034(Fp2.One, c3, c4), aliased);
    }

    [Fact]
    public void Degenerate_inputs_are_refused_so_the_caller_falls_back()
    {
        var rng = new Random(47);
        var loop = new AffineMillerLoop();
        var p = RandomG1(rng);
        var q = RandomG2(rng);
        Assert.False(loop.TryRun([p, G1Affine.Infinity], [q, q], [], [], out _));
        Assert.False(loop.TryRun([p, p], [q, G2Affine.Infinity], [], [], out _));
        // The instance stays usable after a refusal.
        Assert.True(loop.TryRun([p], [q], [], [], out var ok));
        Assert.Equal(Pairing.FinalExponentiation(Pairing.MillerLoop([p], [q])), Pairing.FinalExponentiation(ok));
    }
}

/// <summary>The batch's lock-step affine r·A against <see cref="Glv.Mul"/>, one point at a time.</summary>
public class AffineBatchGlvTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(64)]
    public void Every_lane_equals_the_jacobian_glv_multiplication(int n)
    {
        var rng = new Random(53 + n);
        var a = new G1Affine[n];
        var k1 = new ulong[n];
        var k2 = new ulong[n];
        for (int j = 0; j < n; j++)
        {
            a[j] = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
            k1[j] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
            k2[j] = (ulong)rng.NextInt64() | (1UL << 63);
        }
        // Edge scalars: k1 = 0, k1 = 2^64 − 1 (every bit pair 1 or 3), k2 = 2^63 (one bit).
        if (n > 3) { k1[0] = 0; k1[1] = ulong.MaxValue; k2[2] = 1UL << 63; k2[3] = ulong.MaxValue; }
        var result = new G1Affine[n];
        var glv = new AffineBatchGlv();
        Assert.True(glv.TryRunNegated(a, k1, k2, result));
        for (int j = 0; j < n; j++)
            Assert.Equal(Glv.Mul(in a[j], k1[j], k2[j]).Negate().ToAffine(), result[j]);
        // Reused for a smaller batch.
        Assert.True(glv.TryRunNegated(a.AsSpan(1), k1.AsSpan(1), k2.AsSpan(1), result));
        if (n > 1) Assert.Equal(Glv.Mul(in a[1], k1[1], k2[1]).Negate().ToAffine(), result[0]);
    }

    [Fact]
    public void A_k2_without_its_top_bit_or_a_point_at_infinity_is_refused()
    {
        var glv = new AffineBatchGlv();
        var result = new G1Affine[2];
        var g = G1Affine.Generator;
        Assert.False(glv.TryRunNegated([g, g], [1UL, 2UL], [1UL << 63, 5UL], result));
        Assert.False(glv.TryRunNegated([g, G1Affine.Infinity], [1UL, 2UL], [1UL << 63, 1UL << 63], result));
        Assert.True(glv.TryRunNegated([g, g], [1UL, 2UL], [1UL << 63, 1UL << 63], result));
    }
}
