using System.Security.Cryptography;
using TVS.Crypto.Hpke;

namespace TVS.Tests.Hpke;

public class HpkeBehaviourTests
{
    private static readonly Guid Election = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static readonly byte[] Aad = SHA256.HashData("nullifier"u8);

    private static byte[] Payload(int n)
    {
        var p = new byte[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = (byte)(i * 7 + 3);
        }
        return p;
    }

    [Theory]
    [InlineData(HpkeAead.Aes256Gcm, 0)]
    [InlineData(HpkeAead.Aes256Gcm, 1)]
    [InlineData(HpkeAead.Aes256Gcm, 1024)]
    [InlineData(HpkeAead.Aes256Gcm, 70000)]
    [InlineData(HpkeAead.Aes128Gcm, 0)]
    [InlineData(HpkeAead.Aes128Gcm, 1024)]
    public void Round_trip(HpkeAead aead, int size)
    {
        using var key = HpkePrivateKey.Generate();
        var info = HpkeEnvelope.Info(Election);
        var msg = Payload(size);
        var env = HpkeBaseMode.SealEnvelope(aead, key.PublicKey, info, Aad, msg);
        Assert.Equal(size + HpkeEnvelope.Overhead, env.Length);

        var recipient = new HpkeRecipient(key, aead, info);
        var pt = new byte[size];
        Assert.Equal(HpkeError.None, recipient.OpenEnvelope(env, Aad, pt, out int n));
        Assert.Equal(msg, pt[..n]);

        // The convenience single-shot open agrees.
        var pt2 = new byte[size];
        Assert.Equal(HpkeError.None, HpkeBaseMode.Open(aead, key, info, Aad, env.AsSpan(0, 32), env.AsSpan(32), pt2, out n));
        Assert.Equal(msg, pt2);
    }

    [Fact]
    public void Envelope_helpers_round_trip_and_bind_the_election()
    {
        using var key = HpkePrivateKey.Generate();
        var msg = Payload(300);
        var env = HpkeEnvelope.Seal(key.PublicKey, Election, Aad, msg);
        var pt = new byte[msg.Length];
        Assert.Equal(HpkeError.None, HpkeEnvelope.CreateRecipient(key, Election).OpenEnvelope(env, Aad, pt, out _));
        Assert.Equal(msg, pt);
        Assert.Equal(HpkeError.AuthenticationFailed, HpkeEnvelope.CreateRecipient(key, Guid.NewGuid()).OpenEnvelope(env, Aad, pt, out _));
    }

    [Fact]
    public void Info_is_prefix_and_big_endian_uuid()
    {
        var info = HpkeEnvelope.Info(Election);
        Assert.Equal("TVS v1 vote envelope"u8.ToArray(), info[..20]);
        Assert.Equal(Convert.FromHexString("0f8fad5bd9cb469fa16570867728950e"), info[20..]);
    }

    [Fact]
    public void Sodium_and_managed_AES_256_GCM_agree()
    {
        if (!Aead.UseSodiumAes256)
        {
            return; // No AES-NI: only the managed path exists.
        }
        var key = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(12);
        foreach (int size in new[] { 0, 1, 15, 16, 17, 1000 })
        {
            var msg = Payload(size);
            var a = new byte[size + 16];
            var b = new byte[size + 16];
            lock (AeadSwitch.Lock)
            {
                Aead.Seal(HpkeAead.Aes256Gcm, key, nonce, Aad, msg, a);
                Aead.UseSodiumAes256 = false;
                try
                {
                    Aead.Seal(HpkeAead.Aes256Gcm, key, nonce, Aad, msg, b);
                    var pt = new byte[size];
                    Assert.True(Aead.Open(HpkeAead.Aes256Gcm, key, nonce, Aad, a, pt));
                    Assert.Equal(msg, pt);
                    a[0] ^= 1;
                    Assert.False(Aead.Open(HpkeAead.Aes256Gcm, key, nonce, Aad, a, pt));
                    a[0] ^= 1;
                }
                finally
                {
                    Aead.UseSodiumAes256 = true;
                }
            }
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Every_flipped_byte_of_enc_ciphertext_or_aad_fails_cleanly()
    {
        using var key = HpkePrivateKey.Generate();
        var info = HpkeEnvelope.Info(Election);
        var env = HpkeBaseMode.SealEnvelope(HpkeAead.Aes256Gcm, key.PublicKey, info, Aad, Payload(100));
        var recipient = new HpkeRecipient(key, HpkeAead.Aes256Gcm, info);
        var pt = new byte[200];

        for (int i = 0; i < env.Length; i++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x80 })
            {
                env[i] ^= mask;
                var err = recipient.OpenEnvelope(env, Aad, pt, out int n);
                env[i] ^= mask;
                // A flipped enc byte changes kem_context even where X25519 ignores the bit (bit 255).
                Assert.True(err is HpkeError.AuthenticationFailed or HpkeError.InvalidEncapsulation, $"byte {i} mask {mask:x2}: {err}");
                Assert.Equal(0, n);
                Assert.All(pt, b => Assert.Equal(0, b));
            }
        }
        var aad = (byte[])Aad.Clone();
        for (int i = 0; i < aad.Length; i++)
        {
            aad[i] ^= 0x01;
            Assert.Equal(HpkeError.AuthenticationFailed, recipient.OpenEnvelope(env, aad, pt, out _));
            aad[i] ^= 0x01;
        }
        Assert.Equal(HpkeError.AuthenticationFailed, recipient.OpenEnvelope(env, default, pt, out _));
        Assert.Equal(HpkeError.None, recipient.OpenEnvelope(env, Aad, pt, out int ok));
        Assert.Equal(100, ok);
    }

    [Fact]
    public void Wrong_key_or_suite_fails()
    {
        using var key = HpkePrivateKey.Generate();
        using var other = HpkePrivateKey.Generate();
        var info = HpkeEnvelope.Info(Election);
        var env = HpkeBaseMode.SealEnvelope(HpkeAead.Aes256Gcm, key.PublicKey, info, Aad, Payload(64));
        var pt = new byte[64];
        Assert.Equal(HpkeError.AuthenticationFailed, new HpkeRecipient(other, HpkeAead.Aes256Gcm, info).OpenEnvelope(env, Aad, pt, out _));
        Assert.Equal(HpkeError.AuthenticationFailed, new HpkeRecipient(key, HpkeAead.Aes128Gcm, info).OpenEnvelope(env, Aad, pt, out _));
    }

    public static TheoryData<string> LowOrderPoints => new()
    {
        "0000000000000000000000000000000000000000000000000000000000000000", // u = 0
        "0100000000000000000000000000000000000000000000000000000000000000", // u = 1
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // u = p ≡ 0
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // u = p + 1 ≡ 1
    };

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void Low_order_enc_is_rejected(string hex)
    {
        using var key = HpkePrivateKey.Generate();
        var recipient = new HpkeRecipient(key, HpkeAead.Aes256Gcm, HpkeEnvelope.Info(Election));
        var enc = Convert.FromHexString(hex);
        var ct = new byte[48];
        var pt = new byte[32];
        Assert.Equal(HpkeError.InvalidEncapsulation, recipient.Open(enc, Aad, ct, pt, out int n));
        Assert.Equal(0, n);
        Assert.Null(recipient.SetupContext(enc));
    }

    [Theory]
    [MemberData(nameof(LowOrderPoints))]
    public void Sealing_to_a_low_order_public_key_throws(string hex)
    {
        var pk = Convert.FromHexString(hex);
        var enc = new byte[32];
        var ct = new byte[16];
        Assert.Throws<CryptographicException>(() => HpkeBaseMode.Seal(HpkeAead.Aes256Gcm, pk, default, default, default, enc, ct));
    }

    [Fact]
    public void Truncated_or_malformed_inputs_return_errors()
    {
        using var key = HpkePrivateKey.Generate();
        var info = HpkeEnvelope.Info(Election);
        var env = HpkeBaseMode.SealEnvelope(HpkeAead.Aes256Gcm, key.PublicKey, info, Aad, Payload(10));
        var r = new HpkeRecipient(key, HpkeAead.Aes256Gcm, info);
        var pt = new byte[64];

        for (int len = 0; len < env.Length; len++)
        {
            var err = r.OpenEnvelope(env.AsSpan(0, len), Aad, pt, out int n);
            Assert.NotEqual(HpkeError.None, err);
            Assert.Equal(0, n);
            Assert.Equal(len < 32 ? HpkeError.InvalidEncapsulationLength : len < 48 ? HpkeError.CiphertextTooShort : HpkeError.AuthenticationFailed, err);
        }
        Assert.Equal(HpkeError.InvalidEncapsulationLength, r.Open(env.AsSpan(0, 31), Aad, env.AsSpan(32), pt, out _));
        Assert.Equal(HpkeError.InvalidEncapsulationLength, r.Open(env.AsSpan(0, 33), Aad, env.AsSpan(33), pt, out _));
        Assert.Equal(HpkeError.DestinationTooSmall, r.OpenEnvelope(env, Aad, new byte[9], out _));
        // Extra trailing bytes are part of the ciphertext, so they break the tag.
        Assert.Equal(HpkeError.AuthenticationFailed, r.OpenEnvelope([.. env, 0], Aad, pt, out _));
        Assert.Equal(HpkeError.None, r.OpenEnvelope(env, Aad, pt, out int ok));
        Assert.Equal(10, ok);
    }

    [Fact]
    public void Key_serialization_round_trips_and_dispose_zeroes()
    {
        using var key = HpkePrivateKey.Generate();
        var raw = new byte[32];
        key.ExportPrivateKey(raw);
        using var again = HpkePrivateKey.Import(raw);
        Assert.Equal(key.PublicKey.ToArray(), again.PublicKey.ToArray());
        Assert.DoesNotContain(Convert.ToHexStringLower(raw), key.ToString());
        Assert.Throws<ArgumentException>(() => HpkePrivateKey.Import(raw.AsSpan(0, 31)));

        var k = HpkePrivateKey.Import(raw);
        k.Dispose();
        Assert.Throws<ObjectDisposedException>(() => k.ExportPrivateKey(raw));
    }

    [Fact]
    public void Contexts_carry_several_messages_and_a_forgery_does_not_advance_the_sequence()
    {
        using var key = HpkePrivateKey.Generate();
        var info = HpkeEnvelope.Info(Election);
        var enc = new byte[32];
        using var s = HpkeBaseMode.SetupSender(HpkeAead.Aes256Gcm, key.PublicKey, info, enc);
        using var r = new HpkeRecipient(key, HpkeAead.Aes256Gcm, info).SetupContext(enc)!;
        var pt = new byte[100];
        for (int i = 0; i < 5; i++)
        {
            var msg = Payload(10 + i);
            var ct = new byte[msg.Length + 16];
            s.Seal(Aad, msg, ct);
            var bad = (byte[])ct.Clone();
            bad[^1] ^= 1;
            Assert.Equal(HpkeError.AuthenticationFailed, r.Open(Aad, bad, pt, out _));
            Assert.Equal(HpkeError.None, r.Open(Aad, ct, pt, out int n));
            Assert.Equal(msg, pt[..n]);
        }
        var e1 = new byte[32];
        var e2 = new byte[32];
        s.Export("x"u8, e1);
        r.Export("x"u8, e2);
        Assert.Equal(e1, e2);

        // The single-shot open is the context's message 0.
        var one = new byte[16 + 3];
        using var s2 = HpkeBaseMode.SetupSender(HpkeAead.Aes256Gcm, key.PublicKey, info, enc);
        s2.Seal(Aad, "abc"u8, one);
        Assert.Equal(HpkeError.None, new HpkeRecipient(key, HpkeAead.Aes256Gcm, info).Open(enc, Aad, one, pt, out int m));
        Assert.Equal("abc"u8.ToArray(), pt[..m]);
    }

    [Fact]
    public void Open_allocates_nothing()
    {
        using var key = HpkePrivateKey.Generate();
        var info = HpkeEnvelope.Info(Election);
        var env = HpkeBaseMode.SealEnvelope(HpkeAead.Aes256Gcm, key.PublicKey, info, Aad, Payload(1024));
        var r = new HpkeRecipient(key, HpkeAead.Aes256Gcm, info);
        var pt = new byte[1024];
        var bad = (byte[])env.Clone();
        bad[40] ^= 1;
        for (int i = 0; i < 50; i++)
        {
            r.OpenEnvelope(env, Aad, pt, out _);
            r.OpenEnvelope(bad, Aad, pt, out _);
        }
        if (!Aead.UseSodiumAes256)
        {
            return; // The managed AesGcm fallback allocates per key by design.
        }
        int failures = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            failures += r.OpenEnvelope(env, Aad, pt, out _) == HpkeError.None ? 0 : 1;
            failures += r.OpenEnvelope(bad, Aad, pt, out _) == HpkeError.AuthenticationFailed ? 0 : 1;
        }
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, failures);
        Assert.Equal(0, after - before);
    }
}

/// <summary>Serialises tests that flip the process-wide AEAD path switch.</summary>
internal static class AeadSwitch
{
    internal static readonly object Lock = new();
}
