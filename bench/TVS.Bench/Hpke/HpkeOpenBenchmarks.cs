using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using TVS.Crypto.Hpke;

namespace TVS.Bench.Hpke;

/// <summary>
/// The per-vote open of a ~1 KiB HPKE envelope, and its parts. Run:
/// dotnet run -c Release --project bench/TVS.Bench -- --filter '*HpkeOpen*' --job short --memory
/// </summary>
[MemoryDiagnoser]
public class HpkeOpenBenchmarks
{
    private HpkePrivateKey _key = null!;
    private HpkeRecipient _recipient = null!;
    private byte[] _envelope = null!;
    private byte[] _tampered = null!;
    private byte[] _aad = null!;
    private byte[] _plaintext = null!;
    private byte[] _aesKey = null!;
    private byte[] _nonce = null!;
    private byte[] _dh = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = HpkePrivateKey.Generate();
        var election = Guid.NewGuid();
        _recipient = HpkeEnvelope.CreateRecipient(_key, election);
        _aad = RandomNumberGenerator.GetBytes(32);
        _envelope = HpkeEnvelope.Seal(_key.PublicKey, election, _aad, RandomNumberGenerator.GetBytes(1024));
        _tampered = (byte[])_envelope.Clone();
        _tampered[^1] ^= 1;
        _plaintext = new byte[1024];
        _aesKey = RandomNumberGenerator.GetBytes(32);
        _nonce = RandomNumberGenerator.GetBytes(12);
        _dh = new byte[32];
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    /// <summary>The hot path: X25519 + 5 HMAC-SHA256 + AES-256-GCM (libsodium).</summary>
    [Benchmark(Baseline = true)]
    public HpkeError Open1KiB() => _recipient.OpenEnvelope(_envelope, _aad, _plaintext, out _);

    /// <summary>A forged envelope: same work, tag mismatch, no exception.</summary>
    [Benchmark]
    public HpkeError OpenTampered1KiB() => _recipient.OpenEnvelope(_tampered, _aad, _plaintext, out _);

    /// <summary>The same open with the AEAD through System.Security.Cryptography.AesGcm (one instance per message).</summary>
    [Benchmark]
    public HpkeError Open1KiBManagedAesGcm()
    {
        Aead.UseSodiumAes256 = false;
        try
        {
            return _recipient.OpenEnvelope(_envelope, _aad, _plaintext, out _);
        }
        finally
        {
            Aead.UseSodiumAes256 = true;
        }
    }

    /// <summary>What constructing (and disposing) an AesGcm costs: paid per message, since keys differ per message.</summary>
    [Benchmark]
    public int AesGcmConstructDispose()
    {
        using var gcm = new AesGcm(_aesKey, 16);
        return gcm.TagSizeInBytes ?? 0;
    }

    /// <summary>The X25519 alone (libsodium crypto_scalarmult_curve25519).</summary>
    [Benchmark]
    public bool X25519Dh() => X25519.TryDh(_aesKey, _envelope.AsSpan(0, 32), _dh);

    /// <summary>One HMAC-SHA256 one-shot over a short input, as the key schedule makes five of.</summary>
    [Benchmark]
    public int HmacSha256() => HMACSHA256.HashData(_aesKey, _nonce, _dh);
}
