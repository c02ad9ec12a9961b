using System.Security.Cryptography;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Pkcs11;
using Xunit.Abstractions;

namespace TVS.Tests.Pkcs11;

/// <summary>
/// Trustee shares sealed by an AES key inside a SoftHSM2 token: the wrapped file opens to the same
/// scalar as the passphrase file, so the trustee's decryption shares of the same ballots are the
/// same points, and the combined tally decrypts every ballot; wrong key, wrong election, altered
/// bytes and a missing token are clear refusals.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class WrappedShareTests(ITestOutputHelper output)
{
    [Fact]
    public void WrappedShareDecryptsExactlyTheBallotsTheFileShareDoes()
    {
        using SoftHsm? hsm = SoftHsm.Create(output);
        if (hsm is null)
        {
            return;
        }
        hsm.InitToken("trustee-3");
        using (var t = Pkcs11Token.Open(hsm.Uri("trustee-3", null)))
        {
            t.GenerateAes256("share-wrap");
            t.GenerateAes256("other-wrap");
        }
        var election = Guid.NewGuid();
        var ceremony = LocalCeremony.Run(new DkgParameters(election, 2, 3));
        var y = ceremony.Result.PublicKey;
        KeyFile.DefaultCost = new Argon2Cost(1024, 1);
        byte[] fileShare = KeyFile.SealShare(3, ceremony.Shares[2], election, "pw"u8);
        using var wrapper = Pkcs11Wrapper.Open(hsm.Uri("trustee-3", "share-wrap"));
        byte[] wrapped = KeyFile.SealShare(3, ceremony.Shares[2], election, wrapper);
        Assert.True(KeyFile.IsWrapped(wrapped));
        Assert.Equal("share-wrap", KeyFile.WrappedKeyName(wrapped));
        // The share's bytes never appear in the wrapped file.
        byte[] raw = new byte[32];
        ceremony.Shares[2].Encode(raw);
        Assert.Equal(-1, wrapped.AsSpan().IndexOf(raw));

        var (i1, s1) = KeyFile.OpenShare(fileShare, election, "pw"u8);
        var (i2, s2) = KeyFile.OpenShare(wrapped, election, default, wrapper);
        Assert.Equal(i1, i2);
        var ballots = Enumerable.Range(0, 20).Select(k => BallotCipher.Encrypt(y, election, [(ushort)(k % 4), (ushort)(k % 3)])).ToList();
        var vk = ceremony.Result.VerificationKey(3);
        var (_, s1Other) = KeyFile.OpenShare(KeyFile.SealShare(1, ceremony.Shares[0], election, wrapper), election, default, wrapper);
        var sel = new ushort[4];
        foreach (byte[] b in ballots)
        {
            Assert.Equal(BallotError.None, BallotCipher.TryReadEphemeral(b, out var r));
            var a = ThresholdDecryption.CreateShare(election, s1, vk, r);
            var c = ThresholdDecryption.CreateShare(election, s2, vk, r);
            Assert.True(a.Share == c.Share);
            Assert.True(ThresholdDecryption.VerifyShare(election, vk, r, c));
            // Trustees 1 (also from a wrapped file) and 3 (wrapped) decrypt the ballot together.
            var d1 = ThresholdDecryption.CreateShare(election, s1Other, ceremony.Result.VerificationKey(1), r);
            var combined = Lagrange.InterpolateAtZero([1, 3], [d1.Share, c.Share]);
            Assert.Equal(BallotError.None, BallotCipher.Decrypt(b, election, y, combined, sel, out int contests));
            Assert.Equal(2, contests);
        }
        s1.Clear();
        s2.Clear();
        s1Other.Clear();

        // Refusals: no token key given, another token key, another election, an altered byte.
        Assert.Contains("token key 'share-wrap'", Assert.ThrowsAny<CryptographicException>(() => KeyFile.OpenShare(wrapped, election, "pw"u8, null)).Message, StringComparison.Ordinal);
        Assert.Contains("passphrase", Assert.ThrowsAny<CryptographicException>(() => KeyFile.OpenShare(fileShare, election, default, wrapper)).Message, StringComparison.Ordinal);
        using (var other = Pkcs11Wrapper.Open(hsm.Uri("trustee-3", "other-wrap")))
        {
            var wrong = Assert.Throws<TokenException>(() => KeyFile.OpenShare(wrapped, election, default, other));
            output.WriteLine(wrong.Message);
            Assert.Contains("does not open with 'other-wrap'", wrong.Message, StringComparison.Ordinal);
        }
        Assert.Contains("another election", Assert.ThrowsAny<CryptographicException>(() => KeyFile.OpenShare(wrapped, Guid.NewGuid(), default, wrapper)).Message, StringComparison.Ordinal);
        byte[] altered = (byte[])wrapped.Clone();
        altered[^5] ^= 1;
        Assert.Throws<TokenException>(() => KeyFile.OpenShare(altered, election, default, wrapper));
        altered = (byte[])wrapped.Clone();
        altered[8] = (byte)KeyFileKind.TrusteeIdentity;
        Assert.ThrowsAny<CryptographicException>(() => KeyFile.OpenShare(altered, election, default, wrapper));

        // Token gone: a clear error, no share.
        Directory.Move(hsm.TokenDir, hsm.TokenDir + ".removed");
        var e = Assert.Throws<TokenException>(() => KeyFile.OpenShare(wrapped, election, default, wrapper));
        output.WriteLine(e.Message);
        Assert.Contains("'trustee-3'", e.Message, StringComparison.Ordinal);
    }
}
