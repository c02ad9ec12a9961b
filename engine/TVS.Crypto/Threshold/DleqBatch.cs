using System.Security.Cryptography;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>
/// Decryption shares gathered for one batch verification of their DLEQ proofs, each with a tag
/// of the caller's (its ballot, its position in a shares file), and the verdict of each once
/// verified: the same verdict <see cref="ThresholdDecryption.VerifyShare(Guid, in RistrettoPoint, in RistrettoPoint, ReadOnlySpan{byte})"/>
/// gives, at a fraction of the cost. One instance per thread; every buffer is sized at
/// construction, so it allocates nothing afterwards.
/// <para>
/// The check (docs/formats.md, "Decryption share"): each share j asserts z_j·G = A_j + c_j·Y_j and
/// z_j·R_j = B_j + c_j·D_j with c_j = H(…, A_j, B_j). With fresh CSPRNG weights ρ_j, ρ'_j of 128
/// bits the batch accepts iff
/// <code>
/// Σ ρ_j·A_j + ρ'_j·B_j + (ρ'_j·c_j)·D_j + Σ_Y (Σ ρ_j·c_j)·Y − (Σ ρ_j·z_j)·G − Σ_R (Σ ρ'_j·z_j)·R = 0
/// </code>
/// one multi-scalar multiplication (<see cref="RistrettoPippenger"/>) in which G, each distinct
/// trustee key Y and each distinct R (a ballot's shares added one after the other share it) are
/// one point each. If any share's equation fails, the group has prime order ℓ &gt; 2¹²⁸, so the
/// sum is 0 for at most one value of that share's weight given all the others: a false
/// acceptance has probability ≤ 2⁻¹²⁸. A failing batch is split in halves until each share that
/// fails is named; a part of two or fewer is decided by the single verifier
/// (<see cref="Dleq.Verify"/>), so every verdict of false comes from it.
/// </para>
/// <para>
/// Shares that do not decode (non-canonical or invalid points, a scalar ≥ ℓ, a wrong length) or
/// with an identity Y, R or D_i fail at <see cref="Add(in RistrettoPoint, in RistrettoPoint, ReadOnlySpan{byte}, int)"/>
/// and stay out of the combination. Points are decoded by the managed RFC 9496 decoder (the
/// variable-time arithmetic is fine here: every input is public).
/// </para>
/// </summary>
public sealed class DleqBatch
{
    /// <summary>Parts this small are decided share by share: a combined check of two costs about as much as two single ones.</summary>
    private const int SingleVerifyAtMost = 2;

    /// <summary>How many distinct trustee keys are looked up for a match before a key gets a point of its own (more trustees than this in one batch only cost a point each).</summary>
    private const int KeysMatched = 32;

    private readonly RistrettoPippenger _msm;
    private readonly int[] _tags;
    private readonly bool[] _verdicts;
    private readonly bool[] _decoded;
    private readonly DecryptionShare[] _shares;
    private readonly RistrettoScalar[] _challenges;
    private readonly AffineNiels[] _commitmentsG, _commitmentsR, _sharePoints;
    private readonly int[] _keyOf, _ephemeralOf;

    private readonly RistrettoPoint[] _keys;
    private readonly AffineNiels[] _keyPoints;
    private readonly RistrettoScalar[] _keyWeights;
    private readonly bool[] _keyUsed;
    private int _keyCount;

    private readonly RistrettoPoint[] _ephemerals;
    private readonly AffineNiels[] _negatedEphemeralPoints;
    private readonly RistrettoScalar[] _ephemeralWeights;
    private readonly bool[] _ephemeralUsed;
    private int _ephemeralCount;

    private readonly byte[] _random;
    private readonly int[] _subset;
    private readonly AffineNiels[] _points;
    private readonly RistrettoScalar[] _scalars;
    private readonly byte[] _bits;
    private int _count;

    private static readonly AffineNiels NegatedGenerator = AffineNiels.FromAffine(RistrettoVartime.ToEdwards(RistrettoPoint.Generator)).Negate();

    /// <param name="electionId">The election every share of the batch belongs to (it is in each proof's transcript).</param>
    /// <param name="capacity">Most shares one batch holds.</param>
    public DleqBatch(Guid electionId, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ElectionId = electionId;
        _tags = new int[capacity];
        _verdicts = new bool[capacity];
        _decoded = new bool[capacity];
        _shares = new DecryptionShare[capacity];
        _challenges = new RistrettoScalar[capacity];
        _commitmentsG = new AffineNiels[capacity];
        _commitmentsR = new AffineNiels[capacity];
        _sharePoints = new AffineNiels[capacity];
        _keyOf = new int[capacity];
        _ephemeralOf = new int[capacity];
        _keys = new RistrettoPoint[capacity];
        _keyPoints = new AffineNiels[capacity];
        _keyWeights = new RistrettoScalar[capacity];
        _keyUsed = new bool[capacity];
        _ephemerals = new RistrettoPoint[capacity];
        _negatedEphemeralPoints = new AffineNiels[capacity];
        _ephemeralWeights = new RistrettoScalar[capacity];
        _ephemeralUsed = new bool[capacity];
        _random = new byte[2 * 16 * capacity];
        _subset = new int[capacity];
        // A, B, D_i per share, plus at most one point per distinct key and R, plus G.
        int points = 5 * capacity + 1;
        _points = new AffineNiels[points];
        _scalars = new RistrettoScalar[points];
        _bits = new byte[points];
        _msm = new RistrettoPippenger(points);
    }

    public Guid ElectionId { get; }

    public int Capacity => _tags.Length;

    /// <summary>Shares gathered since the last <see cref="Verify"/>.</summary>
    public int Count => _count;

    public bool IsFull => _count == _tags.Length;

    /// <summary>Shares decided by the single verifier since construction (a batch of valid shares needs none; tests and benchmarks watch it).</summary>
    public long SingleVerifications { get; private set; }

    /// <summary>Adds a decoded share (its encoding is decoded again into the curve form the check needs).</summary>
    public void Add(in RistrettoPoint verificationKey, in RistrettoPoint ephemeral, in DecryptionShare share, int tag)
    {
        Span<byte> encoded = stackalloc byte[DecryptionShare.Length];
        share.Encode(encoded);
        Add(verificationKey, ephemeral, encoded, tag);
    }

    /// <summary>
    /// Adds trustee key Y_i, the ballot's R and the share's encoding (D_i ‖ A ‖ B ‖ z, as a shares
    /// file holds it). Add the shares of one ballot one after the other: their R then counts once.
    /// </summary>
    public void Add(in RistrettoPoint verificationKey, in RistrettoPoint ephemeral, ReadOnlySpan<byte> share, int tag)
    {
        if (_count == _tags.Length)
        {
            ThrowFull();
        }
        int j = _count++;
        _tags[j] = tag;
        _decoded[j] = TryPrepare(j, verificationKey, ephemeral, share);
    }

    private bool TryPrepare(int j, in RistrettoPoint verificationKey, in RistrettoPoint ephemeral, ReadOnlySpan<byte> share)
    {
        const int P = RistrettoPoint.Length;
        if (share.Length != DecryptionShare.Length || verificationKey.IsIdentity || ephemeral.IsIdentity) return false;
        // Canonical encodings are unique, so D_i is the identity iff its encoding is all zeros.
        if (!share[..P].ContainsAnyExcept((byte)0)) return false;
        if (!EdwardsPoint.TryDecodeRistretto(share[..P], out var d)
            || !EdwardsPoint.TryDecodeRistretto(share.Slice(P, P), out var a)
            || !EdwardsPoint.TryDecodeRistretto(share.Slice(2 * P, P), out var b)
            || !RistrettoScalar.TryDecode(share[(3 * P)..], out var z))
        {
            return false;
        }

        ref var s = ref _shares[j];
        s.Share = RistrettoPoint.FromValidEncoding(share[..P]);
        s.Proof.CommitmentG = RistrettoPoint.FromValidEncoding(share.Slice(P, P));
        s.Proof.CommitmentR = RistrettoPoint.FromValidEncoding(share.Slice(2 * P, P));
        s.Proof.Response = z;
        _sharePoints[j] = AffineNiels.FromAffine(d);
        _commitmentsG[j] = AffineNiels.FromAffine(a);
        _commitmentsR[j] = AffineNiels.FromAffine(b);
        _keyOf[j] = KeyIndex(verificationKey);
        _ephemeralOf[j] = EphemeralIndex(ephemeral);
        _challenges[j] = Dleq.Challenge(ElectionId, verificationKey, ephemeral, s.Share, s.Proof.CommitmentG, s.Proof.CommitmentR);
        return true;
    }

    private int KeyIndex(in RistrettoPoint key)
    {
        for (int k = _keyCount - 1, seen = 0; k >= 0 && seen < KeysMatched; k--, seen++)
        {
            if (_keys[k] == key) return k;
        }
        int i = _keyCount++;
        _keys[i] = key;
        _keyPoints[i] = AffineNiels.FromAffine(RistrettoVartime.ToEdwards(key));
        return i;
    }

    private int EphemeralIndex(in RistrettoPoint ephemeral)
    {
        if (_ephemeralCount > 0 && _ephemerals[_ephemeralCount - 1] == ephemeral) return _ephemeralCount - 1;
        int i = _ephemeralCount++;
        _ephemerals[i] = ephemeral;
        _negatedEphemeralPoints[i] = AffineNiels.FromAffine(RistrettoVartime.ToEdwards(ephemeral)).Negate();
        return i;
    }

    /// <summary>
    /// Verifies the gathered shares and empties the batch. Verdict k (true: the proof verifies)
    /// belongs to the share added k-th, whose tag is <paramref name="tags"/>[k]; both spans stay
    /// valid until the next Add.
    /// </summary>
    public ReadOnlySpan<bool> Verify(out ReadOnlySpan<int> tags)
    {
        int n = _count;
        var verdicts = _verdicts.AsSpan(0, n);
        int m = 0;
        for (int j = 0; j < n; j++)
        {
            verdicts[j] = false;
            if (_decoded[j]) _subset[m++] = j;
        }
        Resolve(_subset.AsSpan(0, m), knownToFail: false);
        _count = 0;
        _keyCount = 0;
        _ephemeralCount = 0;
        tags = _tags.AsSpan(0, n);
        return verdicts;
    }

    private void Resolve(Span<int> subset, bool knownToFail)
    {
        if (subset.Length == 0) return;
        if (subset.Length <= SingleVerifyAtMost)
        {
            SingleVerifications += subset.Length;
            foreach (int j in subset)
            {
                ref readonly var s = ref _shares[j];
                _verdicts[j] = Dleq.Verify(ElectionId, _keys[_keyOf[j]], _ephemerals[_ephemeralOf[j]], s.Share, s.Proof);
            }
            return;
        }
        if (!knownToFail && Check(subset))
        {
            foreach (int j in subset) _verdicts[j] = true;
            return;
        }
        // At least one share in the part fails: if the first half passes, the second holds it.
        int half = subset.Length / 2;
        var first = subset[..half];
        bool firstPassed;
        if (first.Length > SingleVerifyAtMost && Check(first))
        {
            foreach (int j in first) _verdicts[j] = true;
            firstPassed = true;
        }
        else
        {
            Resolve(first, knownToFail: first.Length > SingleVerifyAtMost);
            firstPassed = true;
            foreach (int j in first) firstPassed &= _verdicts[j];
        }
        Resolve(subset[half..], knownToFail: firstPassed);
    }

    /// <summary>The random linear combination of the type's summary over <paramref name="subset"/>, with fresh weights.</summary>
    private bool Check(ReadOnlySpan<int> subset)
    {
        int m = subset.Length;
        var random = _random.AsSpan(0, 32 * m);
        RandomNumberGenerator.Fill(random); // one CSPRNG call per combined check
        for (int k = 0; k < _keyCount; k++)
        {
            _keyUsed[k] = false;
            _keyWeights[k] = RistrettoScalar.Zero;
        }
        for (int e = 0; e < _ephemeralCount; e++)
        {
            _ephemeralUsed[e] = false;
            _ephemeralWeights[e] = RistrettoScalar.Zero;
        }
        var generatorWeight = RistrettoScalar.Zero;
        int np = 0;
        for (int t = 0; t < m; t++)
        {
            int j = subset[t];
            var rho = Weight(random.Slice(32 * t, 16));
            var rhoR = Weight(random.Slice(32 * t + 16, 16));
            ref readonly var c = ref _challenges[j];
            ref readonly var z = ref _shares[j].Proof.Response;
            Put(ref np, _commitmentsG[j], rho, 128);
            Put(ref np, _commitmentsR[j], rhoR, 128);
            Put(ref np, _sharePoints[j], rhoR * c, 253);
            generatorWeight += rho * z;
            int key = _keyOf[j], eph = _ephemeralOf[j];
            _keyWeights[key] += rho * c;
            _keyUsed[key] = true;
            _ephemeralWeights[eph] += rhoR * z;
            _ephemeralUsed[eph] = true;
        }
        for (int k = 0; k < _keyCount; k++)
        {
            if (_keyUsed[k]) Put(ref np, _keyPoints[k], _keyWeights[k], 253);
        }
        for (int e = 0; e < _ephemeralCount; e++)
        {
            if (_ephemeralUsed[e]) Put(ref np, _negatedEphemeralPoints[e], _ephemeralWeights[e], 253);
        }
        Put(ref np, NegatedGenerator, generatorWeight, 253);
        var sum = _msm.Multiply(_scalars.AsSpan(0, np), _bits.AsSpan(0, np), _points.AsSpan(0, np));
        return EdwardsPoint.RistrettoEquals(sum, EdwardsPoint.Identity);
    }

    private void Put(ref int np, in AffineNiels point, in RistrettoScalar scalar, byte bits)
    {
        _points[np] = point;
        _scalars[np] = scalar;
        _bits[np] = bits;
        np++;
    }

    /// <summary>A 128-bit weight: 16 random bytes, little-endian (canonical, as 2¹²⁸ &lt; ℓ).</summary>
    private static RistrettoScalar Weight(ReadOnlySpan<byte> random16)
    {
        Span<byte> wide = stackalloc byte[RistrettoScalar.Length];
        wide.Clear();
        random16.CopyTo(wide);
        RistrettoScalar.TryDecode(wide, out var w);
        return w;
    }

    private static void ThrowFull() => throw new InvalidOperationException("the DLEQ batch is full: verify it first");
}
