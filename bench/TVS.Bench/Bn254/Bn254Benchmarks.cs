using System.Numerics;
using BenchmarkDotNet.Attributes;
using TVS.Crypto.Bn254;

namespace TVS.Bench.Bn254;

/// <summary>BN254 kernels: one field multiplication up to a whole pairing.</summary>
[MemoryDiagnoser]
public class Bn254Benchmarks
{
    private Fp _a, _b;
    private Fr _ra, _rb;
    private G1Jac _pj;
    private G2Jac _qj;
    private readonly G1Affine[] _msmPoints = new G1Affine[64];
    private readonly Limbs4[] _msmScalars = new Limbs4[64];
    private Fp2 _a2, _b2;
    private Fp12 _f, _g;
    private G1Affine _p;
    private G2Affine _q;
    private G2Prepared _prepared = null!;
    private Limbs4 _scalar;
    private BigInteger _scalarBig;
    private readonly G2Proj[] _scratch = new G2Proj[4];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        BigInteger Rand(BigInteger m) { var b = new byte[33]; rng.NextBytes(b); b[32] = 0; return new BigInteger(b) % m; }
        _a = Fp.FromBigInteger(Rand(Fp.Modulus));
        _b = Fp.FromBigInteger(Rand(Fp.Modulus));
        _a2 = new Fp2(_a, _b);
        _b2 = new Fp2(_b, _a);
        var s = Rand(Fr.Modulus);
        _scalar = Limbs4.FromBigInteger(s);
        _scalarBig = s;
        _p = G1Jac.ScalarMul(G1Affine.Generator, s).ToAffine();
        _q = G2Jac.ScalarMul(G2Affine.Generator, Rand(Fr.Modulus)).ToAffine();
        _prepared = new G2Prepared(_q);
        _ra = Fr.FromBigInteger(Rand(Fr.Modulus));
        _rb = Fr.FromBigInteger(Rand(Fr.Modulus));
        _pj = G1Jac.ScalarMul(G1Affine.Generator, Rand(Fr.Modulus));
        _qj = G2Jac.ScalarMul(G2Affine.Generator, Rand(Fr.Modulus));
        for (int i = 0; i < _msmPoints.Length; i++)
        {
            _msmPoints[i] = G1Jac.ScalarMul(G1Affine.Generator, Rand(Fr.Modulus)).ToAffine();
            _msmScalars[i] = Limbs4.FromBigInteger(Rand(Fr.Modulus));
        }
        _f = Pairing.MillerLoop([_p], [_q]);
        _g = _f.Squared();
    }

    /// <summary>A chain of 1000 dependent multiplications (per-op time = result / 1000).</summary>
    [Benchmark(OperationsPerInvoke = 1000)]
    public Fp FpMul()
    {
        var x = _a;
        var y = _b;
        for (int i = 0; i < 1000; i++) Fp.Mul(in x, in y, out x);
        return x;
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public Fr FrMul()
    {
        var x = _ra;
        var y = _rb;
        for (int i = 0; i < 1000; i++) Fr.Mul(in x, in y, out x);
        return x;
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public Fp FpAddSub()
    {
        var x = _a;
        var y = _b;
        for (int i = 0; i < 1000; i++) x = x + y - _a;
        return x;
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public Fp2 Fp2Mul()
    {
        var x = _a2;
        for (int i = 0; i < 1000; i++) x = x * _b2;
        return x;
    }

    [Benchmark]
    public Fp12 Fp12Mul() => _f * _g;

    [Benchmark]
    public Fp12 Fp12CyclotomicSquare() => _f.CyclotomicSquared();

    [Benchmark(OperationsPerInvoke = 100)]
    public G1Jac G1Double()
    {
        var x = _pj;
        for (int i = 0; i < 100; i++) x = x.Double();
        return x;
    }

    [Benchmark(OperationsPerInvoke = 100)]
    public G1Jac G1AddMixed()
    {
        var x = _pj;
        for (int i = 0; i < 100; i++) x = x.AddMixed(in _p);
        return x;
    }

    [Benchmark(OperationsPerInvoke = 100)]
    public G1Jac G1Add()
    {
        var x = _pj;
        for (int i = 0; i < 100; i++) x = x.Add(in _pj);
        return x;
    }

    [Benchmark(OperationsPerInvoke = 100)]
    public G2Jac G2Double()
    {
        var x = _qj;
        for (int i = 0; i < 100; i++) x = x.Double();
        return x;
    }

    [Benchmark(OperationsPerInvoke = 100)]
    public G2Jac G2AddMixed()
    {
        var x = _qj;
        for (int i = 0; i < 100; i++) x = x.AddMixed(in _q);
        return x;
    }

    [Benchmark]
    public G1Jac Msm64() => Msm.G1(_msmPoints, _msmScalars);

    [Benchmark]
    public G1Jac G1ScalarMul() => G1Jac.ScalarMul(in _p, in _scalar);

    [Benchmark]
    public G1Jac G1ScalarMulGlv() => G1Jac.ScalarMulGlv(in _p, _scalarBig);

    [Benchmark]
    public G2Jac G2ScalarMul() => G2Jac.ScalarMul(in _q, in _scalar);

    [Benchmark]
    public G2Jac G2ScalarMulGls() => G2Jac.ScalarMulGls(in _q, _scalarBig);

    [Benchmark]
    public bool G2SubgroupCheck() => _q.IsInSubgroup();

    [Benchmark]
    public Fp12 MillerLoop() => Pairing.MillerLoop([_p], [_q], default, default, _scratch);

    [Benchmark]
    public Fp12 MillerLoopPrepared() => Pairing.MillerLoop(default, default, [_p], [_prepared], default);

    [Benchmark]
    public Fp12 FinalExponentiation() => Pairing.FinalExponentiation(in _f);

    [Benchmark]
    public Fp12 Pairing1() => Pairing.FinalExponentiation(Pairing.MillerLoop([_p], [_q], default, default, _scratch));
}
