using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TVS.Engine.Election;
using TVS.Merkle;

namespace TVS.Tests.Witness;

public class CosignatureTests
{
    [Fact]
    public void KeyIdVkeyAndSignatureFollowTlogCosignature()
    {
        byte[] seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        using var w = CosignatureSigner.FromSeed("witness.test/w1", seed);
        byte[] pub = w.Verifier.PublicKeyBytes.ToArray();
        // Key ID = SHA-256(name ‖ "\n" ‖ 0x04 ‖ pubkey)[:4], written out by hand here.
        byte[] h = SHA256.HashData([.. Encoding.UTF8.GetBytes("witness.test/w1\n"), 0x04, .. pub]);
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(h), w.Verifier.KeyId);
        Assert.Equal($"witness.test/w1+{Convert.ToHexStringLower(h[..4])}+{Convert.ToBase64String([0x04, .. pub])}", w.Verifier.VerifierKey);
        Assert.Equal(w.Verifier.VerifierKey, CosignatureVerifier.Parse(w.Verifier.VerifierKey).VerifierKey);
        using (var back = CosignatureSigner.Parse(w.SignerKey))
        {
            Assert.Equal(w.Verifier, back.Verifier);
        }

        using var log = new WitnessTestLog();
        string note = log.Note(7);
        string text = SignedNote.Parse(note).Text;
        string line = w.SignLine(text, 1_700_000_000);
        NoteSignature sig = SignedNote.Parse(text + "\n" + line).Signatures.Single();
        byte[] bytes = sig.Bytes();
        Assert.Equal(76, bytes.Length);
        Assert.Equal(1_700_000_000UL, BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(4)));
        // The signed message is "cosignature/v1\ntime T\n" ‖ the checkpoint body.
        Assert.True(NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(
            NSec.Cryptography.PublicKey.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519, pub, NSec.Cryptography.KeyBlobFormat.RawPublicKey),
            Encoding.UTF8.GetBytes("cosignature/v1\ntime 1700000000\n" + text), bytes.AsSpan(12)));
        Assert.True(w.Verifier.TryVerify(text, sig, out long t));
        Assert.Equal(1_700_000_000, t);
        Assert.False(w.Verifier.TryVerify(SignedNote.Parse(log.Note(8)).Text, sig, out _));

        // A cosignature is just another signature line: the log's note still opens with the log key.
        string cosigned = Cosignatures.AddSignatureLines(note, line);
        Assert.Equal(7, Checkpoint.Open(cosigned, log.Signer.Verifier).Size);
        Assert.Equal(cosigned, Cosignatures.AddSignatureLines(cosigned, line));
    }

    [Theory]
    [InlineData("witness.test/w1+00000000+AQ==")]
    [InlineData("nonsense")]
    [InlineData("")]
    public void MalformedVkeysAreRefused(string vkey)
        => Assert.False(CosignatureVerifier.TryParse(vkey, out _, out _));

    [Fact]
    public void NoteVerifierKeysAreNotCosignerKeys()
    {
        using var s = NoteSigner.Generate("witness.test/w1");
        Assert.False(CosignatureVerifier.TryParse(s.Verifier.VerifierKey, out _, out string? why));
        Assert.Contains("0x04", why);
    }

    [Fact]
    public void NoteAndCosignerKeysOfOneSeedDifferOnlyByTheirTypeByteAndRefuseEachOther()
    {
        byte[] seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        using var note = NoteSigner.FromSeed("witness.test/w1", seed);
        using var cosigner = CosignatureSigner.FromSeed("witness.test/w1", seed);
        Assert.Equal(note.Verifier.PublicKeyBytes.ToArray(), cosigner.Verifier.PublicKeyBytes.ToArray());
        Assert.NotEqual(note.KeyHash, cosigner.Verifier.KeyId);
        Assert.Equal(0x01, Convert.FromBase64String(note.Verifier.VerifierKey.Split('+', 3)[2])[0]);
        Assert.Equal(0x04, Convert.FromBase64String(cosigner.Verifier.VerifierKey.Split('+', 3)[2])[0]);

        Assert.False(NoteVerifier.TryParse(cosigner.Verifier.VerifierKey, out _, out string? why));
        Assert.Equal("unknown verifier algorithm", why);
        Assert.False(CosignatureVerifier.TryParse(note.Verifier.VerifierKey, out _, out why));
        Assert.Equal("not a cosignature/v1 (Ed25519, type 0x04) verifier key", why);
        Assert.Equal("malformed signer key", Assert.Throws<NoteException>(() => NoteSigner.Parse(cosigner.SignerKey)).Message);
        Assert.Equal("not a cosignature/v1 (type 0x04) key", Assert.Throws<NoteException>(() => CosignatureSigner.Parse(note.SignerKey)).Message);

        // Each kind reads back its own texts.
        Assert.Equal(note.Verifier.VerifierKey, NoteVerifier.Parse(note.Verifier.VerifierKey).VerifierKey);
        using (NoteSigner back = NoteSigner.Parse(note.SignerKey))
        {
            Assert.Equal(note.Verifier.VerifierKey, back.Verifier.VerifierKey);
        }
        string wrongId = cosigner.Verifier.VerifierKey.Replace($"+{cosigner.Verifier.KeyId:x8}+", $"+{note.KeyHash:x8}+", StringComparison.Ordinal);
        Assert.False(CosignatureVerifier.TryParse(wrongId, out _, out why));
        Assert.Equal("cosigner key ID does not match the key", why);
    }

    [Fact]
    public void QuorumCountsDistinctListedWitnessesAndIgnoresUnknownLines()
    {
        using var log = new WitnessTestLog();
        using var w1 = CosignatureSigner.Generate("w1");
        using var w2 = CosignatureSigner.Generate("w2");
        using var w3 = CosignatureSigner.Generate("w3");
        using var stranger = CosignatureSigner.Generate("w4");
        string note = log.Note(10);
        string text = SignedNote.Parse(note).Text;
        CosignatureVerifier[] listed = [w1.Verifier, w2.Verifier, w3.Verifier];

        string one = Cosignatures.AddSignatureLines(note, w1.SignLine(text, 100) + w1.SignLine(text, 101) + stranger.SignLine(text, 100));
        CosignatureCheck c1 = Cosignatures.Check(one, listed, 2);
        Assert.False(c1.Met);
        Assert.Single(c1.Cosigners);

        string two = Cosignatures.AddSignatureLines(one, w2.SignLine(text, 102));
        Assert.True(Cosignatures.Check(two, listed, 2).Met);
        Assert.False(Cosignatures.Check(two, listed, 3).Met);

        // A line naming a listed witness that does not verify makes the note malformed.
        string otherText = SignedNote.Parse(log.Note(11)).Text;
        string forged = Cosignatures.AddSignatureLines(two, w3.SignLine(otherText, 103));
        CosignatureCheck bad = Cosignatures.Check(forged, listed, 2);
        Assert.False(bad.Met);
        Assert.Equal("w3", bad.Invalid.Single().Name);
    }

    [Fact]
    public void WitnessPolicyValidatesElectionJsonFields()
    {
        using var w1 = CosignatureSigner.Generate("w1");
        using var w2 = CosignatureSigner.Generate("w2");
        using var same = CosignatureSigner.FromSeed("w1b", WitnessTestLog.SeedOf(w1.SignerKey));
        string[] keys = [w1.Verifier.VerifierKey, w2.Verifier.VerifierKey];
        var m = new JsonObject { ["witnesses"] = new JsonArray(keys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()), ["witnessQuorum"] = 2 };
        WitnessPolicy p = WitnessPolicy.FromManifest(m)!;
        Assert.Equal(2, p.Quorum);
        var written = new JsonObject();
        p.WriteTo(written);
        Assert.Equal(m.ToJsonString(), written.ToJsonString());
        Assert.Null(WitnessPolicy.FromManifest(new JsonObject()));

        Assert.False(WitnessPolicy.TryCreate(keys, 0, out _, out _));
        Assert.False(WitnessPolicy.TryCreate(keys, 3, out _, out _));
        Assert.False(WitnessPolicy.TryCreate([keys[0], keys[0]], 1, out _, out string? dup));
        Assert.Contains("twice", dup);
        Assert.False(WitnessPolicy.TryCreate([keys[0], same.Verifier.VerifierKey], 1, out _, out string? sameKey));
        Assert.Contains("same public key", sameKey);
        Assert.False(WitnessPolicy.TryCreate([keys[0], "w9+00000000+BAAA"], 1, out _, out _));
        Assert.False(WitnessPolicy.TryCreate([], 1, out _, out _));
        Assert.Throws<InvalidDataException>(() => WitnessPolicy.FromManifest(new JsonObject { ["witnessQuorum"] = 1 }));
        Assert.Throws<InvalidDataException>(() => WitnessPolicy.FromManifest(new JsonObject { ["witnesses"] = new JsonArray("x"), ["witnessQuorum"] = 1 }));
    }

    [Fact]
    public void SplitViewIsDetectedWhenTwoWitnessesCosignedDifferentTreesOfOneSize()
    {
        // The log key signs two different trees of size 10; each is shown to a different witness.
        using var honest = new WitnessTestLog(prefix: "vote");
        using var evil = new WitnessTestLog(prefix: "other", signer: NoteSigner.FromSeed(honest.Origin, WitnessTestLog.SeedOf(honest.Signer.SignerKey)));
        using var w1 = CosignatureSigner.Generate("w1");
        using var w2 = CosignatureSigner.Generate("w2");
        CosignatureVerifier[] listed = [w1.Verifier, w2.Verifier];
        string a = Cosign(honest.Note(10), w1);
        string b = Cosign(evil.Note(10), w2);

        SplitViewReport r = SplitView.Compare(a, b, honest.Signer.Verifier, listed);
        Assert.Equal(SplitViewKind.SameSizeDifferentRoots, r.Kind);
        Assert.True(r.IsFork);
        Assert.Equal("w1", r.CosignersA.Cosigners.Single().Witness.Name);
        Assert.Equal("w2", r.CosignersB.Cosigners.Single().Witness.Name);
        Assert.Contains("split view", r.ToString());

        // Different sizes: a proof is needed; the honest proof does not tie the evil tree to the honest one.
        string b20 = Cosign(evil.Note(20), w2);
        Assert.Equal(SplitViewKind.NeedProof, SplitView.Compare(a, b20, honest.Signer.Verifier, listed).Kind);
        Assert.Equal(SplitViewKind.Inconsistent, SplitView.Compare(a, b20, honest.Signer.Verifier, listed, honest.Proof(10, 20)).Kind);
        string a20 = Cosign(honest.Note(20), w2);
        Assert.Equal(SplitViewKind.Consistent, SplitView.Compare(a, a20, honest.Signer.Verifier, listed, honest.Proof(10, 20)).Kind);
        Assert.Equal(SplitViewKind.Consistent, SplitView.Compare(a, a, honest.Signer.Verifier, listed).Kind);

        // Notes not signed by the log are no evidence.
        using var other = new WitnessTestLog();
        Assert.Throws<NoteException>(() => SplitView.Compare(a, Cosign(other.Note(10), w2), honest.Signer.Verifier, listed));
    }

    private static string Cosign(string note, CosignatureSigner w) => Cosignatures.AddSignatureLines(note, w.SignLine(SignedNote.Parse(note).Text, 1_700_000_000));
}
