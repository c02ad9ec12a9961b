using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

/// <summary>
/// The Jacobian formulas are written once for G1 and G2 (<see cref="ShortWeierstrass{F}"/>):
/// each exceptional case (infinity on either side, P + P, P + (−P), aliased operands, different Z
/// for one point) is checked on both groups, and G1 against textbook affine arithmetic in
/// BigInteger.
/// </summary>
public class CurveEdgeCaseTests
{
    private static readonly BigInteger P = Fp.Modulus;

    /// <summary>One group's operations, so that the same checks run on G1 and G2.</summary>
    private sealed record Group<J, A>(
        A Generator,
        Func<A, BigInteger, J> Mul,
        Func<J, J, bool> Same,
        Func<J, A> ToAffine,
        Func<J, J> Negate,
        Func<J, J> Rescale,
        Func<A, bool> IsOnCurve)
        where J : unmanaged, IJacobianPoint<J, A> where A : struct, IAffinePoint<A>, IEquatable<A>;

    private static readonly Group<G1Jac, G1Affine> G1 = new(
        G1Affine.Generator, (a, k) => G1Jac.ScalarMul(a, k), (x, y) => x.EqualsPoint(y), x => x.ToAffine(), x => x.Negate(),
        x => { var s = Fp.FromUInt64(7); var s2 = s.Squared(); return new G1Jac { X = x.X * s2, Y = x.Y * s2 * s, Z = x.Z * s }; },
        a => a.IsOnCurve());

    private static readonly Group<G2Jac, G2Affine> G2 = new(
        G2Affine.Generator, (a, k) => G2Jac.ScalarMul(a, k), (x, y) => x.EqualsPoint(y), x => x.ToAffine(),
        x => new G2Jac { X = x.X, Y = -x.Y, Z = x.Z },
        x => { var s = new Fp2(Fp.FromUInt64(5), Fp.FromUInt64(11)); var s2 = s.Squared(); return new G2Jac { X = x.X * s2, Y = x.Y * s2 * s, Z = x.Z * s }; },
        a => a.IsOnCurve());

    [Fact]
    public void G1ExceptionalCases() => CheckExceptionalCases(G1, seed: 41);

    [Fact]
    public void G2ExceptionalCases() => CheckExceptionalCases(G2, seed: 42);

    private static void CheckExceptionalCases<J, A>(Group<J, A> g, int seed)
        where J : unmanaged, IJacobianPoint<J, A> where A : struct, IAffinePoint<A>, IEquatable<A>
    {
        var rng = new Random(seed);
        var inf = J.Infinity;
        var infAffine = default(A);
        Assert.True(infAffine.IsInfinity);
        Assert.True(g.IsOnCurve(infAffine));
        Assert.Equal(infAffine, g.ToAffine(inf));
        Assert.True(g.Same(inf, inf.Double()));
        Assert.True(g.Same(inf, inf.Add(in inf)));
        Assert.True(g.Same(inf, inf.AddMixed(in infAffine)));
        Assert.True(g.Same(inf, J.FromAffine(in infAffine)));
        for (int i = 0; i < 6; i++)
        {
            var k = CurveTests.RandomScalar(rng);
            var p = g.Mul(g.Generator, k);
            var pa = g.ToAffine(p);
            var scaled = g.Rescale(p);
            Assert.True(g.IsOnCurve(pa));
            Assert.False(g.Same(p, inf));
            Assert.False(g.Same(inf, p));
            Assert.True(g.Same(p, scaled));
            Assert.Equal(pa, g.ToAffine(scaled));
            // infinity on either side
            Assert.True(g.Same(p, p.Add(in inf)));
            Assert.True(g.Same(p, inf.Add(in p)));
            Assert.True(g.Same(p, p.AddMixed(in infAffine)));
            Assert.True(g.Same(p, inf.AddMixed(in pa)));
            // P + P is the doubling, whatever the Z of either operand
            var twice = g.Mul(g.Generator, 2 * k);
            Assert.True(g.Same(twice, p.Double()));
            Assert.True(g.Same(twice, p.Add(in p)));
            Assert.True(g.Same(twice, p.Add(in scaled)));
            Assert.True(g.Same(twice, scaled.AddMixed(in pa)));
            // P + (−P) is infinity
            var neg = g.Negate(p);
            Assert.True(g.Same(inf, neg.Add(in p)));
            Assert.True(g.Same(inf, g.Rescale(neg).Add(in p)));
            Assert.True(g.Same(inf, p.AddMixed(pa.Negate())));
            Assert.True(g.Same(inf, neg.AddMixed(in pa)));
            // aliased: the result replaces an operand
            var acc = p;
            acc = acc.Add(in acc);
            Assert.True(g.Same(twice, acc));
            acc = p;
            acc = acc.Double();
            Assert.True(g.Same(twice, acc));
            // distinct points against scalar multiplication, both addition forms
            var k2 = CurveTests.RandomScalar(rng);
            var q = g.Mul(g.Generator, k2);
            var sum = g.Mul(g.Generator, (k + k2) % Fr.Modulus);
            Assert.True(g.Same(sum, p.Add(in q)));
            Assert.True(g.Same(sum, g.Rescale(q).Add(in p)));
            Assert.True(g.Same(sum, p.AddMixed(g.ToAffine(q))));
        }
    }

    [Fact]
    public void G1MatchesAffineArithmeticInBigInteger()
    {
        var rng = new Random(43);
        for (int i = 0; i < 20; i++)
        {
            var a = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
            var b = G1Jac.ScalarMul(G1Affine.Generator, CurveTests.RandomScalar(rng)).ToAffine();
            var (sx, sy) = AffineAdd(a, b);
            var sum = G1Jac.FromAffine(a).AddMixed(in b).ToAffine();
            Assert.Equal(sx, sum.X.ToBigInteger());
            Assert.Equal(sy, sum.Y.ToBigInteger());
            Assert.Equal(sum, G1Jac.FromAffine(a).Add(G1Jac.FromAffine(b)).ToAffine());
            var (dx, dy) = AffineAdd(a, a);
            var twice = G1Jac.FromAffine(a).Double().ToAffine();
            Assert.Equal(dx, twice.X.ToBigInteger());
            Assert.Equal(dy, twice.Y.ToBigInteger());
            BigInteger x = a.X.ToBigInteger(), y = a.Y.ToBigInteger();
            Assert.Equal(BigInteger.Zero, (y * y - x * x * x - 3) % P);
            Assert.False(new G1Affine(a.X, a.Y + Fp.One).IsOnCurve());
        }
    }

    /// <summary>Textbook affine addition and doubling on y² = x³ + 3 over the integers mod p.</summary>
    private static (BigInteger X, BigInteger Y) AffineAdd(G1Affine a, G1Affine b)
    {
        BigInteger x1 = a.X.ToBigInteger(), y1 = a.Y.ToBigInteger(), x2 = b.X.ToBigInteger(), y2 = b.Y.ToBigInteger();
        BigInteger Mod(BigInteger v) => ((v % P) + P) % P;
        BigInteger Inv(BigInteger v) => BigInteger.ModPow(Mod(v), P - 2, P);
        var lambda = x1 == x2 ? Mod(3 * x1 * x1 * Inv(2 * y1)) : Mod((y2 - y1) * Inv(x2 - x1));
        var x3 = Mod(lambda * lambda - x1 - x2);
        return (x3, Mod(lambda * (x1 - x3) - y1));
    }
}
