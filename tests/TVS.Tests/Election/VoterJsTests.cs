using System.Numerics;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;
using TVS.Crypto.Registry;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Engine.Client;
using TVS.Engine.Election;
using TVS.Engine.Votes;
using Xunit.Abstractions;

namespace TVS.Tests.Election;

/// <summary>
/// Votes made by the JavaScript voter client (tools/voter-js) with real Semaphore v4 proofs,
/// committed in tests/fixtures/voter-js (TEST-ONLY keys), go through the engine's open and
/// admission steps: registry A's root is signed by t = 5 of 9 issuers, registry B's by 4.
/// </summary>
public sealed class VoterJsTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Path.Combine(ExternalTools.RepoRoot(), "tests", "fixtures", "voter-js");
    private readonly JsonObject _election;
    private readonly JsonArray _votes;
    private readonly Guid _id;
    private readonly List<IssuerKey> _issuers = Enumerable.Range(1, 9).Select(IssuerKey.Generate).ToList();

    public VoterJsTests(ITestOutputHelper output)
    {
        _output = output;
        _election = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "election.json")))!;
        _votes = (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "votes.json")))!;
        _id = Guid.Parse((string)_election["electionId"]!);
    }

    private static Fr Dec(JsonNode? n) => Fr.FromBigInteger(BigInteger.Parse((string)n!));

    private (VoteAdmission Admission, List<RootVerdict> Verdicts) Admission()
    {
        Assert.Equal(VerifyError.None, SnarkjsJson.TryReadVerifyingKey(File.ReadAllBytes(Path.Combine(_dir, "verification_key.json")), out var vk));
        var admission = new VoteAdmission(_id);
        admission.SetKey((int)_election["depth"]!, vk!);
        var acceptance = new RootAcceptance(_id, new IssuerSet(_issuers.Select(k => k.PublicKey).ToList(), 5));
        var verdicts = new List<RootVerdict>();
        foreach (var (name, signers) in new[] { ("A", 5), ("B", 4) })
        {
            var reg = _election["registries"]![name]!;
            var statement = new RootStatement(_id, (int)reg["size"]!, (int)reg["depth"]!, Dec(reg["root"]));
            // The registry's root recomputes from its members, as each issuer checks before signing.
            Assert.Equal(statement.Root, new LeanImt(((JsonArray)reg["members"]!).Select(Dec).ToArray()).Root);
            verdicts.Add(acceptance.AcceptInto(admission, SignedRoot.Combine(_issuers.Skip(9 - signers).Select(k => k.Sign(statement)))));
        }
        return (admission, verdicts);
    }

    private static VoteRejectReason Admit(VoteOpener opener, VoteAdmission admission, byte[] key, byte[] value, out byte[] plaintext)
    {
        var buffer = new byte[VoteRecord.MaxPlaintext];
        var reason = opener.Open(key, value, buffer, out var record, out int length);
        plaintext = buffer[..Math.Max(0, length)];
        return reason.IsAccepted ? admission.Verify(record, plaintext) : reason;
    }

    [Fact]
    public void Engine_accepts_every_js_vote_under_a_t_signed_root_and_refuses_the_forged_root()
    {
        var (admission, verdicts) = Admission();
        Assert.True(verdicts[0].Accepted);
        Assert.Equal(RootRefusal.TooFewSignatures, verdicts[1].Refusal);
        using var ingest = HpkePrivateKey.Import(Convert.FromHexString((string)_election["ingestPrivateKey"]!));
        Assert.Equal((string)_election["ingestPublicKey"]!, Convert.ToHexStringLower(ingest.PublicKey));
        var opener = new VoteOpener(ingest, _id);
        Assert.True(RistrettoScalar.TryDecode(Convert.FromHexString((string)_election["electionSecret"]!), out var secret));
        int accepted = 0;
        foreach (var v in _votes)
        {
            var reason = Admit(opener, admission, Convert.FromHexString((string)v!["key"]!), Convert.FromHexString((string)v["value"]!), out var plaintext);
            Assert.Equal((string)v["expected"]!, reason.IsAccepted ? "accepted" : reason.Code());
            if (reason.IsAccepted) accepted++;
            // The ballot inside decrypts to the choices the JS client encoded.
            Assert.True(VoteRecord.TryParse(plaintext, out var record, out _));
            var selections = new ushort[8];
            Assert.Equal(BallotError.None, BallotCipher.DecryptWithSecret(record.Ballot(plaintext), _id, secret, selections, out int contests));
            Assert.Equal(((JsonArray)v["selections"]!).Select(s => (ushort)(int)s!).ToArray(), selections[..contests]);
        }
        Assert.Equal(6, accepted);
    }

    [Fact]
    public void Tampered_js_votes_are_refused()
    {
        var (admission, _) = Admission();
        using var ingest = HpkePrivateKey.Import(Convert.FromHexString((string)_election["ingestPrivateKey"]!));
        var opener = new VoteOpener(ingest, _id);
        var v = _votes[0]!;
        var key = Convert.FromHexString((string)v["key"]!);
        var value = Convert.FromHexString((string)v["value"]!);
        Assert.True(Admit(opener, admission, key, value, out var plaintext).IsAccepted);

        // One bit of the ciphertext: the envelope does not open.
        var flipped = value.ToArray();
        flipped[^5] ^= 1;
        Assert.Equal("envelope", Admit(opener, admission, key, flipped, out _).Code());
        // A ballot swapped under the voter's proof, sealed anew: the proof no longer matches.
        var swapped = plaintext.ToArray();
        swapped[VoteRecord.BallotOffset + 40] ^= 1;
        Assert.Equal("bad_proof", Admit(opener, admission, key, VoteSealer.SealPlaintext(ingest.PublicKey, _id, key, swapped), out _).Code());
        // Another voter's nullifier under this proof (a double vote attempt): bad_proof.
        var other = plaintext.ToArray();
        var otherKey = Convert.FromHexString((string)_votes[1]!["key"]!);
        otherKey.CopyTo(other, 55);
        Assert.Equal("bad_proof", Admit(opener, admission, otherKey, VoteSealer.SealPlaintext(ingest.PublicKey, _id, otherKey, other), out _).Code());
    }

    [Fact]
    public void The_csharp_client_makes_the_same_prover_input_and_record_as_the_js_client()
    {
        var reg = _election["registries"]!["A"]!;
        var tree = new LeanImt(((JsonArray)reg["members"]!).Select(Dec).ToArray());
        using var ingest = HpkePrivateKey.Import(Convert.FromHexString((string)_election["ingestPrivateKey"]!));
        var (admission, _) = Admission();
        var opener = new VoteOpener(ingest, _id);
        foreach (var v in _votes.Where(v => (string)v!["registry"]! == "A"))
        {
            var ballot = Convert.FromHexString((string)v!["ballot"]!);
            var merkle = tree.GenerateProof(tree.IndexOf(Dec(v["merkleProof"]!["leaf"])));
            Assert.Equal(v["merkleProof"]!.ToJsonString(), VoterClient.MerkleProofJson(merkle).ToJsonString());
            var request = VoterClient.RequestProof(_id, (int)v["depth"]!, merkle, ballot, (string)v["circuitInput"]!["secret"]!);
            Assert.Equal((string)v["message"]!, request.Message.ToString());
            Assert.Equal((string)v["scope"]!, request.Scope.ToString());
            Assert.Equal(v["circuitInput"]!.ToJsonString(), request.CircuitInput().ToJsonString());

            Assert.Equal(VerifyError.None, Proof.TryRead(Convert.FromHexString((string)v["proof"]!), out var proof));
            var sealedVote = VoterClient.Seal(ingest.PublicKey, _id, (int)v["depth"]!, merkle.Root, Dec(v["nullifier"]), proof, ballot);
            Assert.Equal((string)v["key"]!, Convert.ToHexStringLower(sealedVote.Key));
            Assert.True(Admit(opener, admission, sealedVote.Key, sealedVote.Value, out _).IsAccepted);
        }
    }

    /// <summary>Live: node re-seals the committed proofs and ballots to a fresh ingest key (@hpke/core); the engine opens and accepts them.</summary>
    [Fact]
    public void Live_js_reseal_to_a_fresh_ingest_key_is_accepted()
    {
        if (!ExternalTools.NodePackage("voter-js", "@hpke/core", _output, out var tool)) return;
        using var fresh = HpkePrivateKey.Generate();
        var (code, stdout, stderr) = ExternalTools.Run("node", $"reseal.mjs {Convert.ToHexStringLower(fresh.PublicKey)}", tool, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, stderr);
        var sealedVotes = (JsonArray)JsonNode.Parse(stdout)!;
        Assert.Equal(_votes.Count, sealedVotes.Count);
        var (admission, _) = Admission();
        var opener = new VoteOpener(fresh, _id);
        for (int i = 0; i < sealedVotes.Count; i++)
        {
            var reason = Admit(opener, admission, Convert.FromHexString((string)sealedVotes[i]!["key"]!), Convert.FromHexString((string)sealedVotes[i]!["value"]!), out _);
            Assert.Equal((string)_votes[i]!["expected"]!, reason.IsAccepted ? "accepted" : reason.Code());
        }
    }

    /// <summary>Live: the JS ballot encryption is byte-identical to BallotCipher.Encrypt for the same r.</summary>
    [Fact]
    public void Live_js_ballot_encryption_is_byte_identical_to_BallotCipher()
    {
        if (!ExternalTools.NodePackage("voter-js", "@noble/curves", _output, out var tool)) return;
        var y = (string)_election["electionKey"]!;
        Assert.True(RistrettoPoint.TryDecodeNonIdentity(Convert.FromHexString(y), out var Y));
        foreach (var choices in new ushort[][] { [0], [2, 0, 65535, 11], [] })
        {
            var r = RistrettoScalar.Random();
            var rBytes = new byte[32];
            r.Encode(rBytes);
            var (code, stdout, stderr) = ExternalTools.Run("node", $"encrypt.mjs {y} {_id:D} {Convert.ToHexStringLower(rBytes)} {string.Join(',', choices)}", tool, TimeSpan.FromMinutes(1));
            Assert.True(code == 0, stderr);
            Assert.Equal(Convert.ToHexStringLower(BallotCipher.Encrypt(Y, _id, choices, r)), stdout.Trim());
        }
    }

    public void Dispose() => _issuers.ForEach(k => k.Dispose());
}
