using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Tests.Bn254;

/// <summary>
/// Fp and Fr come from one template (tools/bn254-fields): the committed files must be what the
/// generator writes, and every operation is checked on both fields against BigInteger, at the edge
/// values and with aliased operands, so neither field relies on the other's tests.
/// </summary>
public class PrimeFieldTests
{
    [Fact]
    public void GeneratedFieldsMatchTemplate()
    {
        string root = ExternalTools.RepoRoot();
        string outDir = Directory.CreateTempSubdirectory("tvs-fields-").FullName;
        try
        {
            var (exit, _, stderr) = ExternalTools.Run("bash", $"tools/bn254-fields/generate.sh \"{outDir}\"", root, TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, stderr);
            foreach (var name in new[] { "Fp.g.cs", "Fr.g.cs" })
            {
                string committed = File.ReadAllText(Path.Combine(root, "engine", "TVS.Crypto", "Bn254", name));
                Assert.True(committed == File.ReadAllText(Path.Combine(outDir, name)),
                    $"{name} differs from the template: run tools/bn254-fields/generate.sh");
            }
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    /// <summary>The operations of one prime field, so that one check covers Fp and Fr.</summary>
    private sealed record FieldOps<F>(
        BigInteger Modulus,
        Func<BigInteger, F> FromBigInteger,
        Func<F, BigInteger> ToBigInteger,
        Func<Limbs4, (bool, F)> TryFromCanonical,
        Func<F, F, F> Mul, Func<F, F> Square, Func<F, F, F> Add, Func<F, F, F> Sub,
        Func<F, F> Double, Func<F, F> Neg, Func<F, F> Halve, Func<F, Limbs4, F> Pow,
        Action<F> CheckAliased) where F : struct, IField<F>;

    private static readonly FieldOps<Fp> FpOps = new(
        Fp.Modulus, Fp.FromBigInteger, x => x.ToBigInteger(),
        l => (Fp.TryFromCanonical(in l, out var r), r),
        (a, b) => { Fp.Mul(in a, in b, out var r); return r; },
        a => { Fp.Square(in a, out var r); return r; },
        (a, b) => { Fp.Add(in a, in b, out var r); return r; },
        (a, b) => { Fp.Sub(in a, in b, out var r); return r; },
        a => { Fp.Double(in a, out var r); return r; },
        a => { Fp.Neg(in a, out var r); return r; },
        a => { Fp.Halve(in a, out var r); return r; },
        (a, e) => a.Pow(in e),
        a => CheckAliasedFp(a));

    private static readonly FieldOps<Fr> FrOps = new(
        Fr.Modulus, Fr.FromBigInteger, x => x.ToBigInteger(),
        l => (Fr.TryFromCanonical(in l, out var r), r),
        (a, b) => { Fr.Mul(in a, in b, out var r); return r; },
        a => { Fr.Square(in a, out var r); return r; },
        (a, b) => { Fr.Add(in a, in b, out var r); return r; },
        (a, b) => { Fr.Sub(in a, in b, out var r); return r; },
        a => { Fr.Double(in a, out var r); return r; },
        a => { Fr.Neg(in a, out var r); return r; },
        a => { Fr.Halve(in a, out var r); return r; },
        (a, e) => a.Pow(in e),
        a => CheckAliasedFr(a));

    [Fact]
    public void FpMatchesBigInteger() => CheckAgainstBigInteger(FpOps, seed: 101);

    [Fact]
    public void FrMatchesBigInteger() => CheckAgainstBigInteger(FrOps, seed: 102);

    private static void CheckAgainstBigInteger<F>(FieldOps<F> ops, int seed) where F : struct, IField<F>
    {
        var q = ops.Modulus;
        var xs = FieldTests.Samples(q, seed, 60).ToArray();
        var ys = FieldTests.Samples(q, seed + 1000, 60).ToArray();
        BigInteger Mod(BigInteger v) => ((v % q) + q) % q;
        Assert.True(F.Zero.IsZero);
        Assert.Equal(BigInteger.Zero, ops.ToBigInteger(F.Zero));
        Assert.Equal(BigInteger.One, ops.ToBigInteger(F.One));
        Assert.Equal(q - 1, ops.ToBigInteger(ops.FromBigInteger(-1)));
        // every pair of edge values, then random pairs
        foreach (var a in xs)
        {
            foreach (var b in a < 11 || a == q - 1 || a == q - 2 ? xs.Take(10).Concat(ys) : ys.Take(12))
            {
                F fa = ops.FromBigInteger(a), fb = ops.FromBigInteger(b);
                Assert.Equal(a, ops.ToBigInteger(fa));
                Assert.Equal(Mod(a * b), ops.ToBigInteger(ops.Mul(fa, fb)));
                Assert.Equal(Mod(a * b), ops.ToBigInteger(fa * fb));
                Assert.Equal(Mod(a + b), ops.ToBigInteger(ops.Add(fa, fb)));
                Assert.Equal(Mod(a + b), ops.ToBigInteger(fa + fb));
                Assert.Equal(Mod(a - b), ops.ToBigInteger(ops.Sub(fa, fb)));
                Assert.Equal(Mod(a - b), ops.ToBigInteger(fa - fb));
                Assert.Equal(a == b, fa.Equals(fb));
            }
            F f = ops.FromBigInteger(a);
            Assert.Equal(Mod(a * a), ops.ToBigInteger(ops.Square(f)));
            Assert.Equal(Mod(a * a), ops.ToBigInteger(f.Squared()));
            Assert.Equal(Mod(2 * a), ops.ToBigInteger(ops.Double(f)));
            Assert.Equal(Mod(2 * a), ops.ToBigInteger(f.Doubled()));
            Assert.Equal(Mod(-a), ops.ToBigInteger(ops.Neg(f)));
            Assert.Equal(Mod(-a), ops.ToBigInteger(-f));
            Assert.Equal(Mod(a * BigInteger.ModPow(2, q - 2, q)), ops.ToBigInteger(ops.Halve(f)));
            Assert.Equal(a.IsZero ? BigInteger.Zero : BigInteger.ModPow(a, q - 2, q), ops.ToBigInteger(f.Inverse()));
            Assert.Equal(a.IsZero, f.IsZero);
            var e = Limbs4.FromBigInteger(Mod(a * 7919 + 3));
            Assert.Equal(BigInteger.ModPow(a, e.ToBigInteger(), q), ops.ToBigInteger(ops.Pow(f, e)));
            ops.CheckAliased(f);
        }
        // canonical decoding: q − 1 is accepted, q and 2²⁵⁶ − 1 are refused, never reduced
        Assert.True(ops.TryFromCanonical(Limbs4.FromBigInteger(q - 1)).Item1);
        Assert.False(ops.TryFromCanonical(Limbs4.FromBigInteger(q)).Item1);
        Assert.False(ops.TryFromCanonical(Limbs4.FromBigInteger(q + 1)).Item1);
        Assert.False(ops.TryFromCanonical(new Limbs4(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue)).Item1);
    }

    private static void CheckAliasedFp(Fp a)
    {
        var expected = a * a;
        var x = a; Fp.Mul(in x, in x, out x); Assert.Equal(expected, x);
        x = a; Fp.Square(in x, out x); Assert.Equal(expected, x);
        x = a; Fp.Add(in x, in x, out x); Assert.Equal(a.Doubled(), x);
        x = a; Fp.Sub(in x, in x, out x); Assert.True(x.IsZero);
        x = a; Fp.Double(in x, out x); Assert.Equal(a + a, x);
        x = a; Fp.Neg(in x, out x); Assert.True((x + a).IsZero);
        x = a; Fp.Halve(in x, out x); Assert.Equal(a, x.Doubled());
        var y = Fp.One + a;
        x = a; Fp.Mul(in x, in y, out x); Assert.Equal(a * y, x);
        x = a; Fp.Mul(in y, in x, out x); Assert.Equal(a * y, x);
        x = a; Fp.Sub(in y, in x, out x); Assert.Equal(y - a, x);
    }

    private static void CheckAliasedFr(Fr a)
    {
        var expected = a * a;
        var x = a; Fr.Mul(in x, in x, out x); Assert.Equal(expected, x);
        x = a; Fr.Square(in x, out x); Assert.Equal(expected, x);
        x = a; Fr.Add(in x, in x, out x); Assert.Equal(a.Doubled(), x);
        x = a; Fr.Sub(in x, in x, out x); Assert.True(x.IsZero);
        x = a; Fr.Double(in x, out x); Assert.Equal(a + a, x);
        x = a; Fr.Neg(in x, out x); Assert.True((x + a).IsZero);
        x = a; Fr.Halve(in x, out x); Assert.Equal(a, x.Doubled());
        var y = Fr.One + a;
        x = a; Fr.Mul(in x, in y, out x); Assert.Equal(a * y, x);
        x = a; Fr.Mul(in y, in x, out x); Assert.Equal(a * y, x);
        x = a; Fr.Sub(in y, in x, out x); Assert.Equal(y - a, x);
    }
}
