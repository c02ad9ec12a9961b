using System.Numerics;
using System.Text;
using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;
using TVS.Tests.Groth16;

namespace TVS.Tests.Votes;

/// <summary>
/// The signal derivation against Semaphore's own JS: tests/fixtures/groth16/semaphore-d*/valid
/// holds, per proof, the @semaphore-protocol/proof output (semaphore-proof-NNN.json) and the public
/// signals its hash gave (public_NNN.json). tools/circuits/gen.mjs made the message
/// SHA-256("ballot {depth}/{i}") and the scope the election id of inputs.json.
/// </summary>
public class SemaphoreSignalsTests
{
    public sealed record Fixture(string Set, int Index);

    public static TheoryData<string> Sets()
    {
        var d = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(SnarkjsFixtureTests.FixtureRoot(), "semaphore-d*").Order())
            d.Add(Path.GetFileName(dir));
        return d;
    }

    private static byte[] Be32(string decimalString)
    {
        var v = BigInteger.Parse(decimalString);
        var b = new byte[32];
        Assert.True(v.TryWriteBytes(b.AsSpan(32 - v.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true));
        return b;
    }

    private static Fr ParseFr(string s) => Fr.FromBigInteger(BigInteger.Parse(s));

    [Theory]
    [MemberData(nameof(Sets))]
    public void Matches_semaphore_js_and_the_snarkjs_proof_verifies_with_our_signals(string set)
    {
        var dir = Path.Combine(SnarkjsFixtureTests.FixtureRoot(), set);
        using var inputs = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "inputs.json")));
        var electionId = Guid.Parse(inputs.RootElement.GetProperty("electionId").GetString()!);
        int depth = inputs.RootElement.GetProperty("depth").GetInt32();
        Assert.Equal(VerifyError.None, SnarkjsJson.TryReadVerifyingKey(File.ReadAllBytes(Path.Combine(dir, "verification_key.json")), out var vk));

        var files = Directory.GetFiles(Path.Combine(dir, "valid"), "semaphore-proof-*.json").Order().ToArray();
        Assert.NotEmpty(files);
        Span<byte> scope = stackalloc byte[32];
        Span<byte> message = stackalloc byte[32];
        Span<Fr> signals = stackalloc Fr[4];
        foreach (var file in files)
        {
            var nnn = Path.GetFileNameWithoutExtension(file)["semaphore-proof-".Length..];
            int i = int.Parse(nnn);
            using var sp = JsonDocument.Parse(File.ReadAllBytes(file));
            var r = sp.RootElement;
            Assert.Equal(VerifyError.None, SnarkjsJson.TryReadPublicSignals(File.ReadAllBytes(Path.Combine(dir, "valid", $"public_{nnn}.json")), out var pub));

            // Semaphore's hash of the JS values.
            Assert.Equal(pub[2], SemaphoreSignals.HashToField(Be32(r.GetProperty("message").GetString()!)));
            Assert.Equal(pub[3], SemaphoreSignals.HashToField(Be32(r.GetProperty("scope").GetString()!)));

            // Our scope and message encodings give the same integers as the JS.
            SemaphoreSignals.Scope(electionId, scope);
            Assert.Equal(Be32(r.GetProperty("scope").GetString()!), scope.ToArray());
            var ballot = Encoding.UTF8.GetBytes($"ballot {depth}/{i}");
            SemaphoreSignals.Message(ballot, message);
            Assert.Equal(Be32(r.GetProperty("message").GetString()!), message.ToArray());

            // The whole derivation from the semaphore-proof fields, then the real proof verifies.
            SemaphoreSignals.Compute(ParseFr(r.GetProperty("merkleTreeRoot").GetString()!), ParseFr(r.GetProperty("nullifier").GetString()!), ballot, electionId, signals);
            Assert.Equal(pub, signals.ToArray());
            Assert.Equal(VerifyError.None, SnarkjsJson.TryReadProof(File.ReadAllBytes(Path.Combine(dir, "valid", $"proof_{nnn}.json")), out var proof));
            Assert.Equal(VerifyError.None, Groth16Verifier.Verify(vk!, proof, signals));

            // And one ballot byte more breaks it.
            ballot[^1] ^= 1;
            SemaphoreSignals.Compute(signals[0], signals[1], ballot, electionId, signals);
            Assert.Equal(VerifyError.PairingCheckFailed, Groth16Verifier.Verify(vk!, proof, signals));
        }
    }

    [Fact]
    public void Hash_of_a_value_at_or_above_r_is_fine()
    {
        var allOnes = Enumerable.Repeat((byte)0xff, 32).ToArray();
        var f = SemaphoreSignals.HashToField(allOnes);
        Assert.True(f.ToBigInteger() < BigInteger.One << 248);
        Assert.Throws<ArgumentException>(() => SemaphoreSignals.HashToField(new byte[31]));
    }
}
