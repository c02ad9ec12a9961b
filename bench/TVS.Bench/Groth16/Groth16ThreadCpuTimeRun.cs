using TVS.Bench.Bn254;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Bench.Groth16;

/// <summary>
/// A Groth16 verification and a batch of them, and the parts a batch spends its time in, timed by
/// thread CPU time (<see cref="ThreadCpuTimeRun"/>): <c>dotnet run -c Release --project
/// bench/TVS.Bench -- --thread-cpu-time-groth16 5</c>. Per-proof rows divide a whole batch's time
/// by its size, so they add up to the batch row (the rest is the per-key MSMs and the final
/// exponentiation, shared by the batch).
/// </summary>
public static class Groth16ThreadCpuTimeRun
{
    public static void Run(int samples)
    {
        const int BatchSize = 256;
        var setup = new SimulatedSetup(4);
        var items = new BatchItem[BatchSize];
        var negRA = new G1Affine[BatchSize];
        var b = new G2Affine[BatchSize];
        var rng = new Random(7);
        for (int i = 0; i < BatchSize; i++)
        {
            var pub = new Fr[4];
            for (int j = 0; j < 4; j++) pub[j] = SimulatedSetup.RandomNonZero();
            items[i] = new BatchItem(setup.Key, setup.Prove(pub), pub);
            negRA[i] = Glv.Mul(in items[i].Proof.A, (ulong)rng.NextInt64(), (ulong)rng.NextInt64() | (1UL << 63)).Negate().ToAffine();
            b[i] = items[i].Proof.B;
        }
        var results = new VerifyError[BatchSize];
        var batch = new Groth16BatchVerifier(BatchSize);
        var encoded = new byte[Proof.EncodedSize];
        items[0].Proof.Write(encoded);
        var scratch = new G2Proj[BatchSize];
        var pub0 = items[0].Public.ToArray();
        var proof0 = items[0].Proof;
        var q = items[0].Proof.B;
        var a = items[0].Proof.A;

        ThreadCpuTimeRun.Measure("DecodeProof", 1, () => Proof.TryRead(encoded, out _), samples);
        ThreadCpuTimeRun.Measure("G2SubgroupCheck", 1, () => q.IsInSubgroup(), samples);
        ThreadCpuTimeRun.Measure("GlvMul64(rA)", 1, () => Glv.Mul(in a, 0x9E3779B97F4A7C15UL, 0xC2B2AE3D27D4EB4FUL), samples);
        var aPoints = new G1Affine[BatchSize];
        var k1s = new ulong[BatchSize];
        var k2s = new ulong[BatchSize];
        for (int i = 0; i < BatchSize; i++) { aPoints[i] = items[i].Proof.A; k1s[i] = (ulong)rng.NextInt64(); k2s[i] = (ulong)rng.NextInt64() | (1UL << 63); }
        var glv = new AffineBatchGlv(BatchSize);
        var negRAOut = new G1Affine[BatchSize];
        ThreadCpuTimeRun.Measure("AffineBatchGlv(rA, n=256)", BatchSize, () => glv.TryRunNegated(aPoints, k1s, k2s, negRAOut), samples);
        ThreadCpuTimeRun.Measure("MillerLoopVariablePair(n=256)", BatchSize, () => Pairing.MillerLoop(negRA, b, default, default, scratch), samples);
        var affine = new AffineMillerLoop(BatchSize);
        ThreadCpuTimeRun.Measure("AffineMillerLoopVariablePair(n=256)", BatchSize, () => { affine.TryRun(negRA, b, default, default, out var f); return f; }, samples);
        // Where the affine loop starts to pay (AffineMillerLoop.MinimumPairs): small batches.
        foreach (int n in (ReadOnlySpan<int>)[8, 16, 32])
        {
            var pn = negRA.AsMemory(0, n);
            var qn = b.AsMemory(0, n);
            ThreadCpuTimeRun.Measure($"MillerLoopVariablePair(n={n})", n, () => Pairing.MillerLoop(pn.Span, qn.Span, default, default, scratch), samples);
            ThreadCpuTimeRun.Measure($"AffineMillerLoopVariablePair(n={n})", n, () => { affine.TryRun(pn.Span, qn.Span, default, default, out var f); return f; }, samples);
        }
        ThreadCpuTimeRun.Measure("VerifyOne", 1, () => Groth16Verifier.Verify(setup.Key, in proof0, pub0), samples);
        ThreadCpuTimeRun.Measure("VerifyBatch256PerProof", BatchSize, () => { batch.Verify(items, results); return results[0]; }, samples);
    }
}
