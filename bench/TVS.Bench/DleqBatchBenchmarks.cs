using BenchmarkDotNet.Attributes;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Bench;

/// <summary>
/// Verification of decryption-share proofs, per share (docs/PERFORMANCE.md, "DLEQ batch
/// verification"): the single verifier against <see cref="DleqBatch"/> with batches of 64, 256
/// and 1024 shares of 5 trustees added ballot by ballot (how a record check reads them), plus 256
/// added trustee by trustee (every R a point of its own) and 256 with one bad share (the
/// bisection's cost).
/// </summary>
[MemoryDiagnoser]
public class DleqBatchBenchmarks
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");
    private const int Trustees = 5;
    private const int Shares = 1024;

    private readonly RistrettoPoint[] _keys = new RistrettoPoint[Shares];
    private readonly RistrettoPoint[] _ephemerals = new RistrettoPoint[Shares];
    private readonly byte[][] _shares = new byte[Shares][];
    private readonly DecryptionShare[] _decoded = new DecryptionShare[Shares];
    private readonly int[] _trusteeMajor = new int[256];
    private byte[] _bad = [];
    private DleqBatch _batch = null!;
    private RistrettoPippenger _msm = null!;
    private AffineNiels[] _msmPoints = [];
    private RistrettoScalar[] _msmScalars = [];
    private byte[] _msmBits = [];

    [GlobalSetup]
    public void Setup()
    {
        var secrets = new RistrettoScalar[Trustees];
        var keys = new RistrettoPoint[Trustees];
        for (int t = 0; t < Trustees; t++)
        {
            secrets[t] = RistrettoScalar.Random();
            keys[t] = RistrettoPoint.MultiplyBase(secrets[t]);
        }
        var r = RistrettoPoint.Identity;
        for (int i = 0; i < Shares; i++)
        {
            int t = i % Trustees;
            if (t == 0) r = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
            _keys[i] = keys[t];
            _ephemerals[i] = r;
            _decoded[i] = ThresholdDecryption.CreateShare(Election, secrets[t], keys[t], r);
            _shares[i] = new byte[DecryptionShare.Length];
            _decoded[i].Encode(_shares[i]);
        }
        for (int k = 0, t = 0; t < Trustees; t++)
        {
            for (int i = t; i < 256; i += Trustees) _trusteeMajor[k++] = i;
        }
        _bad = (byte[])_shares[100].Clone();
        _bad[^2] ^= 1;
        _batch = new DleqBatch(Election, Shares);

        // The multiplication of one batch of 256 ballot-major shares alone: A, B (128-bit
        // weights) and D_i (full) per share, one R per ballot, five keys and G (full).
        int points = 3 * 256 + 256 / Trustees + 1 + Trustees + 1;
        _msm = new RistrettoPippenger(points);
        _msmPoints = new AffineNiels[points];
        _msmScalars = new RistrettoScalar[points];
        _msmBits = new byte[points];
        var wide = new byte[32];
        for (int i = 0; i < points; i++)
        {
            _msmPoints[i] = AffineNiels.FromAffine(RistrettoVartime.ToEdwards(RistrettoPoint.MultiplyBase(RistrettoScalar.Random())));
            bool shortWeight = i < 3 * 256 && i % 3 != 2;
            if (shortWeight)
            {
                Random.Shared.NextBytes(wide.AsSpan(0, 16));
                RistrettoScalar.TryDecode(wide, out _msmScalars[i]);
            }
            else
            {
                _msmScalars[i] = RistrettoScalar.Random();
            }
            _msmBits[i] = shortWeight ? (byte)128 : (byte)253;
        }
        if (Batch(256) != 0 || BatchWithOneBadShare() != 1) throw new InvalidOperationException("the benchmark's shares do not verify as expected");
    }

    private int Batch(int n)
    {
        for (int i = 0; i < n; i++) _batch.Add(_keys[i], _ephemerals[i], _shares[i], i);
        return Failures(_batch.Verify(out _));
    }

    private static int Failures(ReadOnlySpan<bool> verdicts)
    {
        int f = 0;
        foreach (bool v in verdicts) f += v ? 0 : 1;
        return f;
    }

    /// <summary>The single verifier on a decoded share (what the tally and the verifier call per share today).</summary>
    [Benchmark(Baseline = true)]
    public bool Single() => ThresholdDecryption.VerifyShare(Election, _keys[0], _ephemerals[0], _decoded[0]);

    /// <summary>The single verifier on an encoded share, with its libsodium decoding (what a batch's Add takes).</summary>
    [Benchmark]
    public bool SingleEncoded() => ThresholdDecryption.VerifyShare(Election, _keys[0], _ephemerals[0], _shares[0]);

    [Benchmark(OperationsPerInvoke = 64)]
    public int Batch64() => Batch(64);

    [Benchmark(OperationsPerInvoke = 256)]
    public int Batch256() => Batch(256);

    [Benchmark(OperationsPerInvoke = 1024)]
    public int Batch1024() => Batch(1024);

    [Benchmark(OperationsPerInvoke = 256)]
    public int Batch256TrusteeMajor()
    {
        foreach (int i in _trusteeMajor) _batch.Add(_keys[i], _ephemerals[i], _shares[i], i);
        return Failures(_batch.Verify(out _));
    }

    [Benchmark(OperationsPerInvoke = 256)]
    public int BatchWithOneBadShare()
    {
        for (int i = 0; i < 256; i++) _batch.Add(_keys[i], _ephemerals[i], i == 100 ? _bad : _shares[i], i);
        return Failures(_batch.Verify(out _));
    }

    /// <summary>What the batch spends per share outside the multiplication: one RFC 9496 decoding (three per share)…</summary>
    [Benchmark]
    public bool DecodePoint() => EdwardsPoint.TryDecodeRistretto(_shares[0].AsSpan(0, 32), out _);

    /// <summary>…and the challenge hash.</summary>
    [Benchmark]
    public RistrettoScalar Challenge() =>
        Dleq.Challenge(Election, _keys[0], _ephemerals[0], _decoded[0].Share, _decoded[0].Proof.CommitmentG, _decoded[0].Proof.CommitmentR);

    /// <summary>The multi-scalar multiplication of a 256-share batch alone, per share.</summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public EdwardsPoint Msm256() => _msm.Multiply(_msmScalars, _msmBits, _msmPoints);
}
