using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using Xunit.Abstractions;

namespace TVS.Tests;

/// <summary>
/// Independent check with @noble/curves (tools/trustees-js/make-fixture.mjs): k·G, a DLEQ proof
/// and a ballot KEM computed in JavaScript from the transcripts of docs/formats.md, committed as
/// tests/fixtures/trustees/noble.json, must equal what C# computes; and a live re-run through node
/// must reproduce the committed fixture byte for byte.
/// </summary>
public class RistrettoNobleInteropTests(ITestOutputHelper output)
{
    private static string FixturePath() => Path.Combine(ExternalTools.RepoRoot(), "tests", "fixtures", "trustees", "noble.json");

    private static JsonNode Fixture() => JsonNode.Parse(File.ReadAllText(FixturePath()))!;

    private static byte[] H(JsonNode? n) => Convert.FromHexString((string)n!);

    private static RistrettoScalar S(JsonNode? n) => RistrettoScalar.TryDecode(H(n), out var s) ? s : throw new FormatException("scalar");

    private static RistrettoPoint P(JsonNode? n) => RistrettoPoint.TryDecode(H(n), out var p) ? p : throw new FormatException("point");

    [Fact]
    public void Multiples_and_fixture_scalars_agree()
    {
        var f = Fixture();
        foreach (var m in f["multiples"]!.AsArray())
            Assert.Equal((string)m!["point"]!, RistrettoPoint.MultiplyBase(S(m["k"])).ToHex());
        // the fixture's scalars are SHA-512(label) mod ℓ: our wide reduction gives the same
        var expected = RistrettoScalar.ReduceWide(SHA512.HashData("TVS fixture share"u8));
        Assert.Equal(S(f["dleq"]!["secret"]), expected);
    }

    [Fact]
    public void Dleq_proof_from_noble_verifies_and_ours_is_identical()
    {
        var f = Fixture();
        var d = f["dleq"]!;
        var id = Guid.Parse((string)f["electionId"]!);
        var s = S(d["secret"]);
        var y = P(d["publicKey"]);
        var r = P(d["ephemeral"]);
        var share = P(d["share"]);
        // The fixture carries noble's (c, z) and the nonce k; the proof carries A = k·G, B = k·R and z,
        // and its challenge is recomputed from the same transcript.
        var k = S(d["nonce"]);
        var proof = new DleqProof { CommitmentG = RistrettoPoint.MultiplyBase(k), CommitmentR = RistrettoPoint.Multiply(k, r), Response = S(d["response"]) };
        Assert.Equal(S(d["challenge"]), Dleq.Challenge(id, y, r, share, proof.CommitmentG, proof.CommitmentR));
        Assert.True(Dleq.Verify(id, y, r, share, proof));
        Assert.Equal(RistrettoPoint.Multiply(s, r), share);
        var ours = Dleq.Prove(id, s, y, r, share, k);
        Assert.Equal(proof.ToArray(), ours.ToArray());
        var wrong = proof;
        wrong.Response += RistrettoScalar.One;
        Assert.False(Dleq.Verify(id, y, r, share, wrong));
    }

    [Fact]
    public void Ballot_from_noble_decrypts_and_ours_is_identical()
    {
        var f = Fixture();
        var b = f["ballot"]!;
        var id = Guid.Parse((string)f["electionId"]!);
        var ballot = H(b["ballot"]);
        var sel = new ushort[8];
        Assert.Equal(BallotError.None, BallotCipher.DecryptWithSecret(ballot, id, S(b["secret"]), sel, out int n));
        var expected = b["selections"]!.AsArray().Select(x => (ushort)(int)x!).ToArray();
        Assert.Equal(expected, sel[..n]);
        Assert.Equal(ballot, BallotCipher.Encrypt(P(b["publicKey"]), id, expected, S(b["r"])));
    }

    [Fact]
    public void Lagrange_weights_agree()
    {
        var l = Fixture()["lagrange"]!;
        var idx = l["indices"]!.AsArray().Select(x => (int)x!).ToArray();
        var lambda = new RistrettoScalar[idx.Length];
        Lagrange.CoefficientsAtZero(idx, lambda);
        Assert.Equal(l["lambdas"]!.AsArray().Select(x => (string)x!), lambda.Select(x => Convert.ToHexStringLower(x.ToArray())));
        var secret = Lagrange.InterpolateAtZero(idx, l["shares"]!.AsArray().Select(S).ToArray());
        Assert.Equal((string)l["secretTimesG"]!, RistrettoPoint.MultiplyBase(secret).ToHex());
    }

    [Fact]
    public void Live_rerun_through_node_reproduces_the_fixture()
    {
        if (!ExternalTools.NodePackage("trustees-js", Path.Combine("@noble", "curves"), output, out var dir)) return;
        var (code, stdout, stderr) = ExternalTools.Run("node", "make-fixture.mjs", dir, TimeSpan.FromSeconds(60));
        Assert.True(code == 0, "node make-fixture.mjs failed: " + stderr);
        Assert.Equal(File.ReadAllText(FixturePath()), stdout);
    }
}
