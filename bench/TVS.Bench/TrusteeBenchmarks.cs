using BenchmarkDotNet.Attributes;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Bench;

/// <summary>
/// The trustees' per-ballot work at tally time (docs/PERFORMANCE.md, "Trustees (ristretto255)"):
/// one decryption share with its DLEQ proof (per trustee per ballot), its verification (by the
/// tally, per share), and the Lagrange combination of t = 5 shares; plus the group operations
/// they are made of.
/// </summary>
[MemoryDiagnoser]
public class TrusteeBenchmarks
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");
    private RistrettoScalar _s;
    private RistrettoPoint _y, _r;
    private DecryptionShare _share;
    private readonly RistrettoScalar[] _lambda = new RistrettoScalar[5];
    private readonly RistrettoPoint[] _shares = new RistrettoPoint[5];
    private byte[] _ballot = [];

    [GlobalSetup]
    public void Setup()
    {
        _s = RistrettoScalar.Random();
        _y = RistrettoPoint.MultiplyBase(_s);
        _ballot = BallotCipher.Encrypt(_y, Election, [1, 2, 3, 4]);
        BallotCipher.TryReadEphemeral(_ballot, out _r);
        _share = ThresholdDecryption.CreateShare(Election, _s, _y, _r);
        int[] idx = [1, 3, 5, 7, 9];
        Lagrange.CoefficientsAtZero(idx, _lambda);
        for (int i = 0; i < 5; i++) _shares[i] = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
    }

    [Benchmark]
    public RistrettoPoint BaseMultiply() => RistrettoPoint.MultiplyBase(_s);

    [Benchmark]
    public RistrettoPoint VariableMultiply() => RistrettoPoint.Multiply(_s, _r);

    [Benchmark]
    public DecryptionShare ShareWithProof() => ThresholdDecryption.CreateShare(Election, _s, _y, _r);

    [Benchmark]
    public bool VerifyShare() => ThresholdDecryption.VerifyShare(Election, _y, _r, _share);

    [Benchmark]
    public RistrettoPoint CombineFive() => ThresholdDecryption.Combine(_lambda, _shares);

    [Benchmark]
    public BallotError ReadEphemeral() => BallotCipher.TryReadEphemeral(_ballot, out _);
}
