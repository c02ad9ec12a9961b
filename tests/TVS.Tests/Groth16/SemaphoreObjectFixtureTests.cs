using System.Text;
using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;

namespace TVS.Tests.Groth16;

/// <summary>
/// Semaphore v4 proof objects as @semaphore-protocol/proof 4.14.3's generateProof returns them,
/// made with Semaphore's published depth-4 artifacts by tools/circuits/semaphore-official.mjs,
/// with verifyProof's verdict recorded beside each (objects.json). TVS must agree with verifyProof
/// except where verifyProof is lax about a non-canonical encoding. The snarkjs files of the same
/// set (affine [x, y] points from unpackGroth16Proof) are checked by <see cref="SnarkjsFixtureTests"/>.
/// </summary>
public class SemaphoreObjectFixtureTests
{
    public sealed record ObjectCase(string Name, string Kind, string Vk, string Object, bool Snarkjs, bool Expected, string Note);

    internal static string SetDir() => Path.Combine(SnarkjsFixtureTests.FixtureRoot(), "semaphore-official-d4");

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public static ObjectCase[] AllCases() =>
        JsonSerializer.Deserialize<ObjectCase[]>(File.ReadAllText(Path.Combine(SetDir(), "objects.json")), Json)!;

    public static TheoryData<string> CaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var c in AllCases()) d.Add(c.Name);
        return d;
    }

    private static VerifyingKey Key(string vk)
    {
        Assert.Equal(VerifyError.None, SnarkjsJson.TryReadVerifyingKey(File.ReadAllBytes(Path.Combine(SetDir(), vk)), out var key));
        return key!;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void VerdictMatchesVerifyProofOrIsStricter(string name)
    {
        var c = AllCases().Single(x => x.Name == name);
        var signals = new Fr[SemaphoreSignals.Count];
        var verdict = SemaphoreProofJson.TryRead(File.ReadAllBytes(Path.Combine(SetDir(), c.Object)), out var proof, signals);
        if (verdict == VerifyError.None) verdict = Groth16Verifier.Verify(Key(c.Vk), proof, signals);
        Assert.True(c.Expected == (verdict == VerifyError.None), $"{name} ({c.Kind}): TVS says {verdict}, expected {(c.Expected ? "valid" : "invalid")}; verifyProof says {c.Snarkjs}. {c.Note}");
        // Where TVS departs from verifyProof it must be because verifyProof accepts a non-canonical encoding.
        if (c.Expected != c.Snarkjs)
        {
            Assert.False(c.Expected);
            Assert.Contains("non-canonical", c.Note);
        }
    }

    [Fact]
    public void EnoughCasesOfEnoughKinds()
    {
        var all = AllCases();
        Assert.True(all.Count(c => c.Kind == "valid") >= 4);
        foreach (var forged in new[] { "forged_message", "forged_scope", "forged_nullifier", "forged_root", "points_a_x_plus_p", "points_a_off_curve" })
            Assert.Contains(all, c => c.Name == forged && !c.Expected);
        Assert.Contains(all, c => c.Kind == "malformed");
        Assert.Contains(all, c => c.Snarkjs && !c.Expected);
    }

    [Fact]
    public void ObjectGivesTheSignalsAndProofOfItsUnpackedSnarkjsFiles()
    {
        // objects/NNN.json and valid/proof_NNN.json + public_NNN.json were written from the same
        // generateProof result: the object reader must derive exactly what verifyProof hands snarkjs.
        var dir = SetDir();
        var objects = Directory.GetFiles(Path.Combine(dir, "objects"), "*.json").Order().ToArray();
        Assert.True(objects.Length >= 4);
        var signals = new Fr[SemaphoreSignals.Count];
        foreach (var file in objects)
        {
            var nnn = Path.GetFileNameWithoutExtension(file);
            Assert.Equal(VerifyError.None, SemaphoreProofJson.TryRead(File.ReadAllBytes(file), out var fromObject, signals));
            Assert.Equal(VerifyError.None, SnarkjsJson.TryReadProof(File.ReadAllBytes(Path.Combine(dir, "valid", $"proof_{nnn}.json")), out var fromFile));
            Assert.Equal(VerifyError.None, SnarkjsJson.TryReadPublicSignals(File.ReadAllBytes(Path.Combine(dir, "valid", $"public_{nnn}.json")), out var pub));
            Assert.Equal(pub, signals);
            var a = new byte[Proof.EncodedSize];
            var b = new byte[Proof.EncodedSize];
            fromObject.Write(a);
            fromFile.Write(b);
            Assert.Equal(b, a);
        }
    }

    [Fact]
    public void MutatedObjectsNeverThrow()
    {
        var src = File.ReadAllBytes(Path.Combine(SetDir(), "objects", "000.json"));
        var rng = new Random(79);
        const string alphabet = "0123456789[]{}\",:-+. eExX\n\\u";
        var signals = new Fr[SemaphoreSignals.Count];
        for (int i = 0; i < 2000; i++)
        {
            var b = (byte[])src.Clone();
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits && b.Length > 0; e++)
            {
                int at = rng.Next(b.Length);
                switch (rng.Next(3))
                {
                    case 0: b[at] = (byte)alphabet[rng.Next(alphabet.Length)]; break;
                    case 1: b = b[..at]; break;
                    default: b[at] = (byte)rng.Next(256); break;
                }
            }
            SemaphoreProofJson.TryRead(b, out _, signals); // any verdict; no exception
        }
        Assert.Equal(VerifyError.Malformed, SemaphoreProofJson.TryRead(Encoding.UTF8.GetBytes(new string('{', 100_000)), out _, signals));
        Assert.Equal(VerifyError.Malformed, SemaphoreProofJson.TryRead("[]"u8, out _, signals));
    }
}
