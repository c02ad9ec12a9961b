using System.Numerics;
using System.Runtime.InteropServices;
using TVS.Crypto.Bn254;

namespace TVS.Bench.Bn254;

/// <summary>
/// The BN254 kernels timed by the thread's CPU time instead of the wall clock, for comparing two
/// builds on a shared, overloaded machine: a descheduled thread accrues no CPU time, so the
/// minimum over samples moves far less than BenchmarkDotNet's wall-clock figures, which moved
/// several-fold between runs of the same machine code (docs/PERFORMANCE.md). Run each build in
/// turn, several times, and compare the best runs:
/// <c>dotnet run -c Release --project bench/TVS.Bench -- --thread-cpu-time 7</c> (samples per
/// kernel; kernel names after it restrict the run to those); prints name, minimum and median ns
/// per operation, tab-separated. Linux only.
/// </summary>
public static class ThreadCpuTimeRun
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private const int ClockThreadCpuTime = 3;
    private const double SampleCpuNs = 30e6;

    private static double ThreadCpuNs()
    {
        ClockGetTime(ClockThreadCpuTime, out var t);
        return t.Seconds * 1e9 + t.Nanoseconds;
    }

    private static volatile object? _sink;

    private static string[] _only = [];

    internal static void Measure(string name, int operationsPerCall, Func<object> kernel, int samples)
    {
        if (_only.Length > 0 && Array.IndexOf(_only, name) < 0) return;
        // Warm-up in three rounds with pauses between them: the tiered JIT compiles the optimised
        // code on a background thread, which a loaded machine can delay past a single round (a
        // run then times tier-0 code throughout).
        int calls = 0;
        for (int round = 0; round < 3; round++)
        {
            double start = ThreadCpuNs();
            calls = 0;
            while (ThreadCpuNs() - start < SampleCpuNs) { _sink = kernel(); calls++; }
            Thread.Sleep(100);
        }
        var perOperation = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            double t0 = ThreadCpuNs();
            for (int i = 0; i < calls; i++) _sink = kernel();
            perOperation[s] = (ThreadCpuNs() - t0) / calls / operationsPerCall;
        }
        Array.Sort(perOperation);
        Console.WriteLine($"{name}\t{perOperation[0]:F1}\t{perOperation[samples / 2]:F1}");
    }

    public static void Run(int samples, string[] only)
    {
        _only = only;
        var rng = new Random(1);
        BigInteger Rand(BigInteger m) { var b = new byte[33]; rng.NextBytes(b); b[32] = 0; return new BigInteger(b) % m; }
        var fa = Fp.FromBigInteger(Rand(Fp.Modulus));
        var fb = Fp.FromBigInteger(Rand(Fp.Modulus));
        var ra = Fr.FromBigInteger(Rand(Fr.Modulus));
        var rb = Fr.FromBigInteger(Rand(Fr.Modulus));
        var a2 = new Fp2(fa, fb);
        var b2 = new Fp2(fb, fa);
        var s = Rand(Fr.Modulus);
        var scalar = Limbs4.FromBigInteger(s);
        var p = G1Jac.ScalarMul(G1Affine.Generator, s).ToAffine();
        var q = G2Jac.ScalarMul(G2Affine.Generator, Rand(Fr.Modulus)).ToAffine();
        var pj = G1Jac.ScalarMul(G1Affine.Generator, Rand(Fr.Modulus));
        var qj = G2Jac.ScalarMul(G2Affine.Generator, Rand(Fr.Modulus));
        var points = new G1Affine[64];
        var scalars = new Limbs4[64];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = G1Jac.ScalarMul(G1Affine.Generator, Rand(Fr.Modulus)).ToAffine();
            scalars[i] = Limbs4.FromBigInteger(Rand(Fr.Modulus));
        }
        var f = Pairing.MillerLoop([p], [q]);
        ulong k1 = (ulong)rng.NextInt64(), k2 = (ulong)rng.NextInt64();
        var c2 = new Fp2(fa + fb, fa - fb);
        var a6 = new Fp6(a2, b2, c2);
        var b6 = new Fp6(c2, a2, b2);
        var g = f.Squared();
        var cyc = Pairing.FinalExponentiation(in f);

        Measure("FpMul", 1000, () => { var x = fa; for (int i = 0; i < 1000; i++) Fp.Mul(in x, in fb, out x); return x; }, samples);
        Measure("FrMul", 1000, () => { var x = ra; for (int i = 0; i < 1000; i++) Fr.Mul(in x, in rb, out x); return x; }, samples);
        Measure("Fp2Mul", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x *= b2; return x; }, samples);
        Measure("Fp2MulPrevious", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x = Fp2.MulFused(in x, in b2); return x; }, samples);
        Measure("Fp2MulFusedUnreducedSum", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x = Fp2.MulFusedUnreducedSum(in x, in b2); return x; }, samples);
        Measure("Fp2SquarePrevious", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x = x.SquaredFused(); return x; }, samples);
        Measure("MulByXiPrevious", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x = x.MulByNonResidueChained(); return x; }, samples);
        Measure("Fp2Square", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x = x.Squared(); return x; }, samples);
        Measure("MulByXi", 1000, () => { var x = a2; for (int i = 0; i < 1000; i++) x = x.MulByNonResidue(); return x; }, samples);
        Measure("Fp6Mul", 100, () => { var x = a6; for (int i = 0; i < 100; i++) x *= b6; return x; }, samples);
        Measure("Fp6Square", 100, () => { var x = a6; for (int i = 0; i < 100; i++) x = x.Squared(); return x; }, samples);
        Measure("Fp12Mul", 100, () => { var x = f; for (int i = 0; i < 100; i++) x *= g; return x; }, samples);
        Measure("Fp12Square", 100, () => { var x = f; for (int i = 0; i < 100; i++) x = x.Squared(); return x; }, samples);
        Measure("Fp12MulBy034", 100, () => { var x = f; for (int i = 0; i < 100; i++) x = x.MulBy034(in b2, in a2, in c2); return x; }, samples);
        Measure("Fp12CyclotomicSquare", 100, () => { var x = cyc; for (int i = 0; i < 100; i++) x = x.CyclotomicSquared(); return x; }, samples);
        Measure("G1Double", 100, () => { var x = pj; for (int i = 0; i < 100; i++) x = x.Double(); return x; }, samples);
        Measure("G1AddMixed", 100, () => { var x = pj; for (int i = 0; i < 100; i++) x = x.AddMixed(in p); return x; }, samples);
        Measure("G1Add", 100, () => { var x = pj; for (int i = 0; i < 100; i++) x = x.Add(in pj); return x; }, samples);
        Measure("G2Double", 100, () => { var x = qj; for (int i = 0; i < 100; i++) x = x.Double(); return x; }, samples);
        Measure("G2AddMixed", 100, () => { var x = qj; for (int i = 0; i < 100; i++) x = x.AddMixed(in q); return x; }, samples);
        Measure("G2Add", 100, () => { var x = qj; for (int i = 0; i < 100; i++) x = x.Add(in qj); return x; }, samples);
        Measure("G1ScalarMul", 1, () => G1Jac.ScalarMul(in p, in scalar), samples);
        Measure("G1ScalarMulGlv", 1, () => G1Jac.ScalarMulGlv(in p, s), samples);
        Measure("GlvMul64", 1, () => Glv.Mul(in p, k1, k2), samples);
        Measure("G2ScalarMul", 1, () => G2Jac.ScalarMul(in q, in scalar), samples);
        Measure("G2ScalarMulGls", 1, () => G2Jac.ScalarMulGls(in q, s), samples);
        Measure("G2SubgroupCheck", 1, () => q.IsInSubgroup(), samples);
        Measure("Msm64", 1, () => Msm.G1(points, scalars), samples);
        Measure("MillerLoop", 1, () => Pairing.MillerLoop([p], [q]), samples);
        var cyclotomic = Pairing.EasyPart(in f);
        Measure("CyclotomicSquare", 100, () => { var x = cyclotomic; for (int i = 0; i < 100; i++) x = x.CyclotomicSquared(); return x; }, samples);
        Measure("Fp12Mul", 100, () => { var x = cyclotomic; for (int i = 0; i < 100; i++) x *= f; return x; }, samples);
        Measure("Fp12Inverse", 1, () => f.Inverse(), samples);
        Measure("EasyPart", 1, () => Pairing.EasyPart(in f), samples);
        Measure("ExpByX", 1, () => Pairing.ExpByX(in cyclotomic), samples);
        if (Environment.GetEnvironmentVariable("TVS_BENCH_KARABINA") == "1")
        {
            // The pieces of Karabina's squaring and the exponentiation by x without it (issue 15),
            // for the comparison in docs/PERFORMANCE.md; the baseline build has none of them.
            var compressed = Cyclotomic.Compress(in cyclotomic);
            Measure("CompressedSquare", 100, () => Cyclotomic.Square(in compressed, 100), samples);
            Measure("Decompress", 1, () => Cyclotomic.Decompress(in compressed), samples);
            var batch = new CompressedCyclotomic[13];
            for (int i = 0; i < batch.Length; i++) batch[i] = Cyclotomic.Square(in compressed, i + 1);
            var decompressed = new Fp12[batch.Length];
            var scratch = new Fp2[3 * batch.Length];
            Measure("DecompressBatch13", 1, () => { Cyclotomic.DecompressBatch(batch, decompressed, scratch); return decompressed; }, samples);
            Measure("Fp2Inverse", 1, () => a2.Inverse(), samples);
            Measure("ExpByXUncompressed", 1, () => Pairing.ExpByXUncompressed(in cyclotomic), samples);
        }
        Measure("FinalExponentiation", 1, () => Pairing.FinalExponentiation(in f), samples);
    }
}
