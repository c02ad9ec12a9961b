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
    private VartimeScalars _lambdaVartime = null!;
    private readonly byte[][] _realShares = new byte[5][];
    private readonly ushort[] _selections = new ushort[BallotCipher.MaxContests];

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
        _lambdaVartime = new VartimeScalars(_lambda);
        if (RistrettoVartime.Combine(_lambdaVartime, _shares) != ThresholdDecryption.Combine(_lambda, _shares))
            throw new InvalidOperationException("variable-time combination disagrees with libsodium");

        // Real shares of s (a degree-4 polynomial f with f(0) = s) for trustees 1, 3, 5, 7, 9, so
        // that the combined D opens the ballot as in the tally.
        var coefficients = new RistrettoScalar[5];
        coefficients[0] = _s;
        for (int k = 1; k < 5; k++) coefficients[k] = RistrettoScalar.Random();
        for (int i = 0; i < 5; i++)
        {
            var x = RistrettoScalar.FromUInt64((ulong)idx[i]);
            var f = coefficients[4];
            for (int k = 3; k >= 0; k--) f = f * x + coefficients[k];
            var share = ThresholdDecryption.CreateShare(Election, f, RistrettoPoint.MultiplyBase(f), _r);
            _realShares[i] = new byte[DecryptionShare.Length];
            share.Encode(_realShares[i]);
        }
        if (TallyBallotOnFailure() != BallotError.None) throw new InvalidOperationException("the benchmark's shares do not open its ballot");
    }

    /// <summary>
    /// What <c>tvs tally --proofs on-failure</c> does for one ballot whose tag verifies: read and
    /// validate the 5 shares' D_i with libsodium (<see cref="DecryptionShare.TryReadShare"/>; the proofs are read only to be verified), combine them with
    /// the variable-time Straus combination (as Tallier.Count does), derive the key, open the ballot. The per-ballot, per-core figure the 350-million extrapolation uses.
    /// </summary>
    [Benchmark]
    public BallotError TallyBallotOnFailure()
    {
        Span<RistrettoPoint> d = stackalloc RistrettoPoint[5];
        for (int i = 0; i < 5; i++)
        {
            if (!DecryptionShare.TryReadShare(_realShares[i], out d[i])) throw new InvalidOperationException();
        }
        var combined = RistrettoVartime.Combine(_lambdaVartime, d);
        return BallotCipher.Decrypt(_ballot, Election, _y, combined, _selections, out _);
    }

    [Benchmark]
    public RistrettoPoint BaseMultiply() => RistrettoPoint.MultiplyBase(_s);

    [Benchmark]
    public RistrettoPoint VariableMultiply() => RistrettoPoint.Multiply(_s, _r);

    [Benchmark]
    public DecryptionShare ShareWithProof() => ThresholdDecryption.CreateShare(Election, _s, _y, _r);

    /// <summary>DLEQ verification as the tally and the verifier run it: two variable-time two-term Straus multiplications, SHA-512.</summary>
    [Benchmark]
    public bool VerifyShare() => ThresholdDecryption.VerifyShare(Election, _y, _r, _share);

    /// <summary>The same check with libsodium (3 variable + 1 fixed-base constant-time multiplications): what VerifyShare was until 2026-12-04.</summary>
    [Benchmark]
    public bool VerifyShareLibsodium() => Dleq.VerifyWithLibsodium(Election, _y, _r, _share.Share, _share.Proof);

    [Benchmark]
    public RistrettoPoint CombineFive() => ThresholdDecryption.Combine(_lambda, _shares);

    /// <summary>
    /// The same D with the managed variable-time Straus combination (public inputs): decodes the
    /// five shares, encodes D. wNAF width (RistrettoVartime.Width), same machine, loaded: 4 → 113 µs,
    /// 5 → 84 µs, 6 → 87 µs. Affine Niels tables were not built: their batch inversion (≈ 1 inversion
    /// + 6 multiplications per entry, 40 entries) costs about twice the one multiplication per
    /// addition (≈ 210 additions) they save.
    /// </summary>
    [Benchmark]
    public RistrettoPoint CombineFiveVartime() => RistrettoVartime.Combine(_lambdaVartime, _shares);

    /// <summary>One RFC 9496 decoding in managed code (an inverse square root), five of which are in CombineFiveVartime.</summary>
    [Benchmark]
    public bool DecodeVartime() => RistrettoVartime.TryDecode(_shares[0].Bytes, out _);

    [Benchmark]
    public BallotError ReadEphemeral() => BallotCipher.TryReadEphemeral(_ballot, out _);
}
