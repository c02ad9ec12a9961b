using System.Text;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Tests.Groth16;

/// <summary>Bad input gets a reason, never an exception; batch verification allocates nothing once warm.</summary>
public class HostileInputTests
{
    private static string Set(string name) => Path.Combine(SnarkjsFixtureTests.FixtureRoot(), name);

    [Fact]
    public void MutatedSnarkjsFilesNeverThrow()
    {
        var dir = Set("semaphore-d4");
        var files = new[]
        {
            File.ReadAllBytes(Path.Combine(dir, "valid", "proof_000.json")),
            File.ReadAllBytes(Path.Combine(dir, "valid", "public_000.json")),
            File.ReadAllBytes(Path.Combine(dir, "verification_key.json")),
        };
        var rng = new Random(77);
        const string alphabet = "0123456789[]{}\",:-+. eExX\n\\u";
        for (int i = 0; i < 3000; i++)
        {
            var src = files[i % 3];
            var b = (byte[])src.Clone();
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(b.Length);
                switch (rng.Next(3))
                {
                    case 0: b[at] = (byte)alphabet[rng.Next(alphabet.Length)]; break;
                    case 1: b = b[..at]; break; // truncate
                    default: b[at] = (byte)rng.Next(256); break;
                }
                if (b.Length == 0) break;
            }
            // Any verdict is fine; an exception is not.
            switch (i % 3)
            {
                case 0: SnarkjsJson.TryReadProof(b, out _); break;
                case 1: SnarkjsJson.TryReadPublicSignals(b, out _); break;
                default: SnarkjsJson.TryReadVerifyingKey(b, out _); break;
            }
        }
        Assert.Equal(VerifyError.Malformed, SnarkjsJson.TryReadProof(Encoding.UTF8.GetBytes(new string('[', 100_000)), out _));
        Assert.Equal(VerifyError.Malformed, SnarkjsJson.TryReadProof(new byte[SnarkjsJson.MaxDocumentBytes + 1], out _));
    }

    [Fact]
    public void RandomBinaryProofsNeverThrow()
    {
        var rng = new Random(78);
        var buf = new byte[Proof.EncodedSize];
        for (int i = 0; i < 2000; i++)
        {
            rng.NextBytes(buf);
            if (i % 2 == 0) buf.AsSpan(0, 1 + rng.Next(8)).Clear(); // more values below p
            var e = Proof.TryRead(buf, out _);
            Assert.NotEqual(VerifyError.None, e);
        }
    }

    [Fact]
    public void SteadyStateBatchVerificationAllocatesNothing()
    {
        var setup = new SimulatedSetup(4);
        var items = new BatchItem[16];
        for (int i = 0; i < items.Length; i++)
        {
            var pub = new Fr[4];
            for (int j = 0; j < 4; j++) pub[j] = SimulatedSetup.RandomNonZero();
            items[i] = new BatchItem(setup.Key, setup.Prove(pub), pub);
        }
        var verifier = new Groth16BatchVerifier(items.Length);
        var results = new VerifyError[items.Length];
        verifier.Verify(items, results); // warm: JIT, static tables
        long before = GC.GetAllocatedBytesForCurrentThread();
        verifier.Verify(items, results);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.All(results, r => Assert.Equal(VerifyError.None, r));
        Assert.Equal(0, after - before);
    }
}
