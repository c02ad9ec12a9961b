using TVS.Crypto.Bn254;
using TVS.Engine.Election;
using TVS.Engine.Tally;
using TVS.Merkle;
using TVS.Pkcs11;
using TVS.Tests.Merkle;
using Xunit.Abstractions;

namespace TVS.Tests.Pkcs11;

/// <summary>
/// Keys generated inside a SoftHSM2 token: checkpoints, close statements and signed roots made
/// there verify with TVS and with Go's sumdb/note; OpenSC's pkcs11-tool reports the private keys
/// sensitive and never extractable; every fault gives a clear error without a secret.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11SignerTests(ITestOutputHelper output)
{
    [Fact]
    public void TokenSignedNotesAndRootsVerifyWithTvsAndGo()
    {
        using SoftHsm? hsm = SoftHsm.Create(output);
        if (hsm is null)
        {
            return;
        }
        hsm.InitToken("tvs");
        var keyUri = hsm.Uri("tvs", "checkpoint");
        using (var token = Pkcs11Token.Open(keyUri))
        {
            token.GenerateEd25519("checkpoint");
            token.GenerateEd25519("issuer-01");
            token.GenerateEd25519("issuer-02");
            Assert.Contains("already holds", Assert.Throws<TokenException>(() => token.GenerateEd25519("checkpoint")).Message, StringComparison.Ordinal);
        }

        var election = Guid.NewGuid();
        using NoteSigner signer = NoteSigner.FromSigner("tvs-hsm", Pkcs11Ed25519Signer.Open(keyUri));
        Assert.False(signer.HasSignerKey);
        Assert.Throws<InvalidOperationException>(() => signer.SignerKey);
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        for (int i = 0; i < 37; i++)
        {
            mmr.Append([(byte)i, 1, 2, 3]);
        }
        string origin = CloseStatement.PartitionOrigin(election, 0);
        string cp = Checkpoint.Of(origin, mmr).Sign(signer);
        Assert.Equal(37, Checkpoint.Open(cp, signer.Verifier, origin).Size);
        var heads = new[] { new PartitionHead(0, 37, mmr.Root) };
        string close = CloseStatement.Sign(signer, election, heads, 37, 2, DateTimeOffset.UnixEpoch);
        Assert.Equal(37, CloseStatement.Open(close, NoteVerifier.Parse(signer.Verifier.VerifierKey), election).Accepted);

        // Signed registry root: two issuers in the token, threshold 2.
        using var i1 = IssuerKey.FromSigner(1, Pkcs11Ed25519Signer.Open(keyUri.WithObject("issuer-01")));
        using var i2 = IssuerKey.FromSigner(2, Pkcs11Ed25519Signer.Open(keyUri.WithObject("issuer-02")));
        var statement = new RootStatement(election, 11, 4, Fr.FromUInt64(123456789));
        var root = SignedRoot.Combine([i1.Sign(statement), i2.Sign(statement)]);
        var verdict = new RootAcceptance(election, new IssuerSet([i1.PublicKey, i2.PublicKey], 2)).Evaluate(root);
        Assert.True(verdict.Accepted, verdict.ToString());
        Assert.Throws<InvalidOperationException>(() => i1.ToFileText());

        // Go's golang.org/x/mod/sumdb/note, nothing of TVS in the loop.
        string? go = TlogVerifyTool.Get(output);
        if (go is null)
        {
            return;
        }
        string key = Path.Combine(hsm.Dir, "k.vkey"), cpFile = Path.Combine(hsm.Dir, "cp.note"), closeFile = Path.Combine(hsm.Dir, "close.note");
        File.WriteAllText(key, signer.Verifier.VerifierKey + "\n");
        File.WriteAllText(cpFile, cp);
        File.WriteAllText(closeFile, close);
        var r = TlogVerifyTool.Run(go, hsm.Dir, "-key", key, "-note", cpFile, "-origin", origin);
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        r = TlogVerifyTool.Run(go, hsm.Dir, "-key", key, "-note", closeFile);
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        File.WriteAllText(cpFile, cp.Replace("\n37\n", "\n36\n", StringComparison.Ordinal));
        Assert.NotEqual(0, TlogVerifyTool.Run(go, hsm.Dir, "-key", key, "-note", cpFile).Exit);
    }

    [Fact]
    public void PrivateKeysAreSensitiveAndNeverExtractableAsOpenScReadsThem()
    {
        using SoftHsm? hsm = SoftHsm.Create(output);
        if (hsm is null)
        {
            return;
        }
        hsm.InitToken("tvs");
        using (var token = Pkcs11Token.Open(hsm.Uri("tvs", null)))
        {
            token.GenerateEd25519("checkpoint");
            token.GenerateAes256("trustee-wrap");
        }
        string listing = hsm.ListObjects("tvs");
        output.WriteLine(listing);
        var blocks = listing.Split("\n", StringSplitOptions.None)
            .Aggregate(new List<List<string>>(), (acc, line) =>
            {
                if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
                {
                    acc.Add([]);
                }
                if (acc.Count > 0)
                {
                    acc[^1].Add(line);
                }
                return acc;
            })
            .Select(b => string.Join("\n", b)).ToList();
        string priv = Assert.Single(blocks, b => b.StartsWith("Private Key Object", StringComparison.Ordinal));
        Assert.Contains("label:      checkpoint", priv, StringComparison.Ordinal);
        string secret = Assert.Single(blocks, b => b.StartsWith("Secret Key Object", StringComparison.Ordinal));
        Assert.Contains("trustee-wrap", secret, StringComparison.Ordinal);
        foreach (string b in new[] { priv, secret })
        {
            string access = b.Split('\n').Single(l => l.TrimStart().StartsWith("Access:", StringComparison.Ordinal));
            Assert.Contains("sensitive", access, StringComparison.Ordinal);
            Assert.Contains("always sensitive", access, StringComparison.Ordinal);
            Assert.Contains("never extractable", access, StringComparison.Ordinal);
            Assert.Contains("local", access, StringComparison.Ordinal);
        }
        // And the token refuses to hand the values out (pkcs11-tool cannot even try for private keys).
        using var t = Pkcs11Token.Open(hsm.Uri("tvs", null));
        Assert.Equal((true, false, true, true), t.Protection("checkpoint", Net.Pkcs11Interop.Common.CKO.CKO_PRIVATE_KEY));
        Assert.Equal((true, false, true, true), t.Protection("trustee-wrap", Net.Pkcs11Interop.Common.CKO.CKO_SECRET_KEY));
    }

    [Fact]
    public void FaultsGiveClearErrorsWithoutSecrets()
    {
        using SoftHsm? hsm = SoftHsm.Create(output);
        if (hsm is null)
        {
            return;
        }
        hsm.InitToken("tvs");
        var keyUri = hsm.Uri("tvs", "checkpoint");
        using (var token = Pkcs11Token.Open(keyUri))
        {
            token.GenerateEd25519("checkpoint");
            token.GenerateAes256("aes");
        }
        var (code, so, se) = hsm.Tool("pkcs11-tool", "--module", SoftHsm.Module, "--token-label", "tvs", "--login", "--pin", SoftHsm.UserPin,
            "--keypairgen", "--key-type", "EC:prime256v1", "--label", "p256");
        Assert.True(code == 0, so + se);

        string Fails(Pkcs11Uri uri, params string[] expected)
        {
            var e = Assert.ThrowsAny<Exception>(() => Pkcs11Ed25519Signer.Open(uri).Dispose());
            Assert.True(e is TokenException, e.ToString());
            foreach (string x in expected)
            {
                Assert.Contains(x, e.Message, StringComparison.Ordinal);
            }
            Assert.DoesNotContain(SoftHsm.UserPin, e.Message, StringComparison.Ordinal);
            output.WriteLine(e.Message);
            return e.Message;
        }

        string wrongPin = Path.Combine(hsm.Dir, "wrong-pin");
        File.WriteAllText(wrongPin, "999999\n");
        Fails(hsm.Uri("tvs", "checkpoint", wrongPin), "wrong PIN", "'tvs'", "wrong-pin");
        Fails(Pkcs11Uri.Create("tvs", "checkpoint", "/nonexistent/libvendor-p11.so", "file:" + hsm.PinFile), "/nonexistent/libvendor-p11.so", "does not exist");
        string notAModule = Path.Combine(hsm.Dir, "not-a-module.so");
        File.WriteAllText(notAModule, "garbage");
        Fails(Pkcs11Uri.Create("tvs", "checkpoint", notAModule, "file:" + hsm.PinFile), "cannot load PKCS#11 module", notAModule);
        Fails(hsm.Uri("elsewhere", "checkpoint"), "no token labelled 'elsewhere'", "'tvs'");
        Fails(hsm.Uri("tvs", "missing"), "no object labelled 'missing'");
        Fails(hsm.Uri("tvs", "aes"), "'aes' is a secret key, not an Ed25519 private key");
        Fails(hsm.Uri("tvs", "p256"), "'p256' is a CKK_EC key, not Ed25519");
        Fails(hsm.Uri("tvs", null), "names no object");
        Fails(hsm.Uri("tvs", "checkpoint", Path.Combine(hsm.Dir, "no-pin-file")), "no-pin-file");
        var ex = Assert.Throws<TokenException>(() => Pkcs11Wrapper.Open(hsm.Uri("tvs", "checkpoint")));
        Assert.Contains("not an AES secret key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenRemovedMidRunIsAClearErrorAndNothingIsSignedHalf()
    {
        using SoftHsm? hsm = SoftHsm.Create(output);
        if (hsm is null)
        {
            return;
        }
        hsm.InitToken("tvs");
        var keyUri = hsm.Uri("tvs", "checkpoint");
        using (var token = Pkcs11Token.Open(keyUri))
        {
            token.GenerateEd25519("checkpoint");
        }
        using NoteSigner signer = NoteSigner.FromSigner("tvs-hsm", Pkcs11Ed25519Signer.Open(keyUri));
        string good = SignedNote.Sign("one\n", signer);
        SignedNote.Open(good, signer.Verifier);

        // Pull the token out from under the running module: its directory goes away.
        string moved = hsm.TokenDir + ".removed";
        Directory.Move(hsm.TokenDir, moved);
        var e = Assert.Throws<TokenException>(() => SignedNote.Sign("two\n", signer));
        output.WriteLine(e.Message);
        Assert.Contains("'tvs'", e.Message, StringComparison.Ordinal);
        Assert.Contains("signing with 'checkpoint'", e.Message, StringComparison.Ordinal);
        Assert.Contains("gone", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsm.UserPin, e.Message, StringComparison.Ordinal);
    }
}
