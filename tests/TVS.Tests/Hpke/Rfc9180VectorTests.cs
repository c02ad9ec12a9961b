using TVS.Crypto.Hpke;

namespace TVS.Tests.Hpke;

/// <summary>
/// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
/// Every intermediate value the RFC publishes is checked, so an implementation that derives the
/// wrong key consistently on both sides (which a round trip cannot catch) fails here. The values
/// were taken from the RFC's appendix as reproduced, identically, by several independent HPKE
/// test suites; the AES-256-GCM suite TVS uses differs only in the AEAD id and key length, and is
/// cross-checked against @hpke/core in <see cref="JsInteropTests"/>.
/// </summary>
public class Rfc9180VectorTests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex);

    private static readonly byte[] Info = H("4f6465206f6e2061204772656369616e2055726e");
    private static readonly byte[] IkmE = H("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234");
    private static readonly byte[] PkEm = H("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
    private static readonly byte[] SkEm = H("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
    private static readonly byte[] IkmR = H("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037");
    private static readonly byte[] PkRm = H("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
    private static readonly byte[] SkRm = H("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8");
    private static readonly byte[] Enc = H("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
    private static readonly byte[] SharedSecret = H("fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc");
    private static readonly byte[] KeyScheduleContext = H(
        "00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449");
    private static readonly byte[] Secret = H("12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397");
    private static readonly byte[] Key = H("4531685d41d65f03dc48f6b8302c05b0");
    private static readonly byte[] BaseNonce = H("56d890e5accaaf011cff4b7d");
    private static readonly byte[] ExporterSecret = H("45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8");
    private static readonly byte[] Pt = H("4265617574792069732074727574682c20747275746820626561757479");

    // (sequence number, aad, ciphertext) from A.1.1.1.
    public static TheoryData<int, string, string> Encryptions => new()
    {
        { 0, "436f756e742d30", "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a" },
        { 1, "436f756e742d31", "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84" },
        { 2, "436f756e742d32", "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180" },
        { 4, "436f756e742d34", "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d" },
        { 255, "436f756e742d323535", "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a" },
        { 256, "436f756e742d323536", "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2" },
    };

    [Fact]
    public void DeriveKeyPair_reproduces_both_key_pairs()
    {
        using var e = HpkePrivateKey.Derive(IkmE);
        using var r = HpkePrivateKey.Derive(IkmR);
        Assert.Equal(PkEm, e.PublicKey.ToArray());
        Assert.Equal(PkRm, r.PublicKey.ToArray());
        var sk = new byte[32];
        e.ExportPrivateKey(sk);
        Assert.Equal(SkEm, sk);
        r.ExportPrivateKey(sk);
        Assert.Equal(SkRm, sk);
    }

    [Fact]
    public void Import_of_skRm_gives_pkRm()
    {
        using var r = HpkePrivateKey.Import(SkRm);
        Assert.Equal(PkRm, r.PublicKey.ToArray());
    }

    [Fact]
    public void Encap_and_Decap_give_the_shared_secret()
    {
        var ss = new byte[32];
        var enc = new byte[32];
        Assert.True(Dhkem.TryEncap(PkRm, SkEm, PkEm, ss, enc));
        Assert.Equal(Enc, enc);
        Assert.Equal(SharedSecret, ss);

        var ss2 = new byte[32];
        Assert.True(Dhkem.TryDecap(Enc, SkRm, PkRm, ss2));
        Assert.Equal(SharedSecret, ss2);
    }

    [Fact]
    public void Key_schedule_gives_context_secret_key_nonce_and_exporter_secret()
    {
        var ctx = new byte[KeySchedule.ContextLength];
        KeySchedule.Context(HpkeAead.Aes128Gcm, Info, ctx);
        Assert.Equal(KeyScheduleContext, ctx);

        var secret = new byte[32];
        KeySchedule.Secret(HpkeAead.Aes128Gcm, SharedSecret, secret);
        Assert.Equal(Secret, secret);

        var key = new byte[16];
        var nonce = new byte[12];
        var exp = new byte[32];
        KeySchedule.Derive(HpkeAead.Aes128Gcm, SharedSecret, ctx, key, nonce, exp);
        Assert.Equal(Key, key);
        Assert.Equal(BaseNonce, nonce);
        Assert.Equal(ExporterSecret, exp);
    }

    [Fact]
    public void Single_shot_deterministic_seal_is_the_first_encryption_and_opens()
    {
        var enc = new byte[32];
        var ct = new byte[Pt.Length + 16];
        HpkeBaseMode.SealDeterministic(HpkeAead.Aes128Gcm, PkRm, Info, H("436f756e742d30"), Pt, IkmE, enc, ct);
        Assert.Equal(Enc, enc);
        Assert.Equal(H("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"), ct);

        using var sk = HpkePrivateKey.Import(SkRm);
        var recipient = new HpkeRecipient(sk, HpkeAead.Aes128Gcm, Info);
        var pt = new byte[ct.Length];
        Assert.Equal(HpkeError.None, recipient.Open(enc, H("436f756e742d30"), ct, pt, out int n));
        Assert.Equal(Pt, pt[..n]);
    }

    [Theory]
    [MemberData(nameof(Encryptions))]
    public void Context_seal_and_open_match_the_encryptions(int seq, string aadHex, string ctHex)
    {
        var aad = H(aadHex);
        var enc = new byte[32];
        using var sender = HpkeBaseMode.SetupSender(HpkeAead.Aes128Gcm, PkRm, Info, enc, IkmE);
        Assert.Equal(Enc, enc);
        Assert.Equal(Key, sender.KeyForTests.ToArray());
        Assert.Equal(BaseNonce, sender.BaseNonceForTests.ToArray());

        using var sk = HpkePrivateKey.Import(SkRm);
        using var receiver = new HpkeRecipient(sk, HpkeAead.Aes128Gcm, Info).SetupContext(enc)!;
        var ct = new byte[Pt.Length + 16];
        var pt = new byte[Pt.Length];
        // Advance both sides to the sequence number under test.
        for (int i = 0; i < seq; i++)
        {
            var a = System.Text.Encoding.ASCII.GetBytes($"Count-{i}");
            sender.Seal(a, Pt, ct);
            Assert.Equal(HpkeError.None, receiver.Open(a, ct, pt, out _));
        }
        Assert.Equal((ulong)seq, sender.Sequence);
        sender.Seal(aad, Pt, ct);
        Assert.Equal(H(ctHex), ct);
        Assert.Equal(HpkeError.None, receiver.Open(aad, ct, pt, out int n));
        Assert.Equal(Pt, pt[..n]);
    }

    [Theory]
    [InlineData("", "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee")]
    [InlineData("00", "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5")]
    [InlineData("54657374436f6e74657874", "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931")]
    public void Exported_values(string contextHex, string valueHex)
    {
        var enc = new byte[32];
        using var sender = HpkeBaseMode.SetupSender(HpkeAead.Aes128Gcm, PkRm, Info, enc, IkmE);
        var output = new byte[32];
        sender.Export(H(contextHex), output);
        Assert.Equal(H(valueHex), output);
    }
}
