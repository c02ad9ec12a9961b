using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Tests.Groth16;

/// <summary>Verifier behaviour on proofs minted from a known trapdoor (the real-peer fixtures are in SnarkjsFixtureTests).</summary>
public class SimulatedGroth16Tests
{
    private static readonly SimulatedSetup Setup4 = new(4);
    private static readonly SimulatedSetup Setup1 = new(1);

    private static Fr[] RandomSignals(int n)
    {
        var s = new Fr[n];
        for (int i = 0; i < n; i++) s[i] = SimulatedSetup.RandomNonZero();
        return s;
    }

    [Fact]
    public void ValidProofVerifiesAndTamperedOnesDoNot()
    {
        var pub = RandomSignals(4);
        var proof = Setup4.Prove(pub);
        Assert.Equal(VerifyError.None, Groth16Verifier.Verify(Setup4.Key, proof, pub));

        var other = (Fr[])pub.Clone();
        other[2] += Fr.One;
        Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(Setup4.Key, proof, other));
        Assert.Equal(VerifyError.WrongPublicSignalCount, Groth16Verifier.Verify(Setup4.Key, proof, pub.AsSpan(0, 3)));
        Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(Setup1.Key, Setup1.Prove(pub[..1]), pub[1..2]));

        // A negated, B from another proof, C from another proof
        var second = Setup4.Prove(pub);
        Assert.Equal(VerifyError.None, Groth16Verifier.Verify(Setup4.Key, second, pub));
        Assert.Equal(VerifyError.None, Proof.TryCreate(proof.A.Negate(), proof.B, proof.C, out var negA));
        Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(Setup4.Key, negA, pub));
        Assert.Equal(VerifyError.None, Proof.TryCreate(proof.A, second.B, proof.C, out var mixB));
        Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(Setup4.Key, mixB, pub));
        Assert.Equal(VerifyError.None, Proof.TryCreate(proof.A, proof.B, second.C, out var mixC));
        Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(Setup4.Key, mixC, pub));
        // the proof of one key under another
        Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(new SimulatedSetup(4).Key, proof, pub));
        // default (never validated) proof
        Assert.Equal(VerifyError.PointAtInfinity, Groth16Verifier.Verify(Setup4.Key, default, pub));
    }

    [Fact]
    public void BinaryProofRoundTripAndHostileBytes()
    {
        var pub = RandomSignals(4);
        var proof = Setup4.Prove(pub);
        var buf = new byte[Proof.EncodedSize];
        proof.Write(buf);
        Assert.Equal(VerifyError.None, Proof.TryRead(buf, out var back));
        Assert.Equal(VerifyError.None, Groth16Verifier.Verify(Setup4.Key, back, pub));
        Assert.Equal(VerifyError.Malformed, Proof.TryRead(buf.AsSpan(1), out _));
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var bad = (byte[])buf.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            var e = Proof.TryRead(bad, out var p);
            if (e == VerifyError.None) Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(Setup4.Key, p, pub));
            else Assert.Contains(e, new[] { VerifyError.NonCanonicalFieldElement, VerifyError.PointNotOnCurve, VerifyError.PointNotInSubgroup });
        }
        Assert.Equal(VerifyError.PointAtInfinity, Proof.TryRead(new byte[Proof.EncodedSize], out _));
    }

    [Fact]
    public void KeyWithGammaEqualToDeltaIsRefused()
    {
        var k = Setup4.Key;
        Assert.Equal(VerifyError.InvalidVerifyingKey, VerifyingKey.TryCreate(k.Alpha, k.Beta, k.Delta, k.Delta, k.IC, out _));
        Assert.Equal(VerifyError.InvalidVerifyingKey, VerifyingKey.TryCreate(k.Alpha, k.Beta, k.Gamma, k.Delta, ReadOnlySpan<G1Affine>.Empty, out _));
        Assert.Equal(VerifyError.PointAtInfinity, VerifyingKey.TryCreate(G1Affine.Infinity, k.Beta, k.Gamma, k.Delta, k.IC, out _));
    }

    [Fact]
    public void BatchFindsExactlyTheInvalidProofsAcrossKeys()
    {
        var items = new List<BatchItem>();
        var expected = new List<VerifyError>();
        var rng = new Random(5);
        for (int i = 0; i < 40; i++)
        {
            var setup = i % 3 == 0 ? Setup1 : Setup4;
            var pub = RandomSignals(setup.Key.PublicInputCount);
            var proof = setup.Prove(pub);
            var kind = rng.Next(6);
            if (kind == 0)
            {
                var wrong = (Fr[])pub.Clone();
                wrong[0] += Fr.One;
                items.Add(new BatchItem(setup.Key, proof, wrong));
                expected.Add(VerifyError.PairingCheckFailed);
            }
            else if (kind == 1 && setup == Setup4)
            {
                items.Add(new BatchItem(setup.Key, proof, pub.AsMemory(0, 2)));
                expected.Add(VerifyError.WrongPublicSignalCount);
            }
            else
            {
                items.Add(new BatchItem(setup.Key, proof, pub));
                expected.Add(VerifyError.None);
            }
        }
        var verifier = new Groth16BatchVerifier(8); // grows on demand
        var results = new VerifyError[items.Count];
        verifier.Verify(items.ToArray(), results);
        Assert.Equal(expected, results);
        // all valid: one batch
        var valid = items.Where((_, i) => expected[i] == VerifyError.None).ToArray();
        var ok = new VerifyError[valid.Length];
        verifier.Verify(valid, ok);
        Assert.All(ok, r => Assert.Equal(VerifyError.None, r));
    }

    [Fact]
    public void SwappedProofsFailTheBatchEvenThoughEachPairLooksFine()
    {
        var p1 = RandomSignals(4); var p2 = RandomSignals(4);
        var a = Setup4.Prove(p1); var b = Setup4.Prove(p2);
        var results = new VerifyError[2];
        new Groth16BatchVerifier().Verify([new BatchItem(Setup4.Key, a, p2), new BatchItem(Setup4.Key, b, p1)], results);
        Assert.Equal([VerifyError.PairingCheckFailed, VerifyError.PairingCheckFailed], results);
    }
}
