using TVS.Bench.Bn254;
using TVS.Crypto.Ristretto;

namespace TVS.Bench;

/// <summary>
/// The DLEQ verification kernels of <see cref="DleqBatchBenchmarks"/> and the field and curve
/// operations they are made of, timed by thread CPU time as <see cref="ThreadCpuTimeRun"/> does
/// (for a shared, loaded machine): <c>dotnet run -c Release --project bench/TVS.Bench --
/// --thread-cpu-time-dleq 7</c>; prints name, minimum and median ns per operation (per share for
/// the verifiers), tab-separated. Linux only.
/// </summary>
public static class DleqThreadCpuTimeRun
{
    public static void Run(int samples)
    {
        var b = new DleqBatchBenchmarks();
        b.Setup();
        var p = RistrettoVartime.ToEdwards(RistrettoPoint.MultiplyBase(RistrettoScalar.Random()));
        var q = AffineNiels.FromAffine(RistrettoVartime.ToEdwards(RistrettoPoint.MultiplyBase(RistrettoScalar.Random())));
        var fa = p.X;
        var fb = p.Y;

        ThreadCpuTimeRun.Measure("Field25519Mul", 1000, () => { var x = fa; for (int i = 0; i < 1000; i++) x = Field25519.Mul(x, fb); return x; }, samples);
        ThreadCpuTimeRun.Measure("Field25519Square", 1000, () => { var x = fa; for (int i = 0; i < 1000; i++) x = Field25519.Square(x); return x; }, samples);
        ThreadCpuTimeRun.Measure("AddAffineToExtended", 100, () => { var x = p; for (int i = 0; i < 100; i++) x = EdwardsPoint.AddAffine(x, q).ToExtended(); return x; }, samples);
        ThreadCpuTimeRun.Measure("AddExtended", 100, () => { var x = p; for (int i = 0; i < 100; i++) x = EdwardsPoint.Add(x, p); return x; }, samples);
        ThreadCpuTimeRun.Measure("DecodePoint", 1, () => b.DecodePoint(), samples);
        ThreadCpuTimeRun.Measure("Challenge", 1, () => b.Challenge(), samples);
        ThreadCpuTimeRun.Measure("Msm256PerShare", 256, () => b.Msm256(), samples);
        ThreadCpuTimeRun.Measure("Single", 1, () => b.Single(), samples);
        ThreadCpuTimeRun.Measure("SingleEncoded", 1, () => b.SingleEncoded(), samples);
        ThreadCpuTimeRun.Measure("Batch64PerShare", 64, () => b.Batch64(), samples);
        ThreadCpuTimeRun.Measure("Batch256PerShare", 256, () => b.Batch256(), samples);
        ThreadCpuTimeRun.Measure("Batch1024PerShare", 1024, () => b.Batch1024(), samples);
        ThreadCpuTimeRun.Measure("Batch256TrusteeMajorPerShare", 256, () => b.Batch256TrusteeMajor(), samples);
        ThreadCpuTimeRun.Measure("BatchWithOneBadSharePerShare", 256, () => b.BatchWithOneBadShare(), samples);
    }
}
