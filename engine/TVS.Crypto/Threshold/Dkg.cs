using System.Buffers.Binary;
using System.Security.Cryptography;
using TVS.Crypto.Hpke;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>Ceremony parameters: any <see cref="Threshold"/> of <see cref="Trustees"/> can decrypt; fewer learn nothing.</summary>
public sealed record DkgParameters(Guid ElectionId, int Threshold = 5, int Trustees = 9)
{
    /// <summary>Indices go on the wire as u16; far more trustees than any ceremony will have.</summary>
    public const int MaxTrustees = 1000;

    public void Validate()
    {
        if (Trustees < 1 || Trustees > MaxTrustees) throw new ArgumentException($"trustees must be 1..{MaxTrustees}");
        if (Threshold < 1 || Threshold > Trustees) throw new ArgumentException("threshold must be 1..trustees");
    }

    internal static void CheckIndex(int index)
    {
        if (index < 1 || index > MaxTrustees) throw new ArgumentOutOfRangeException(nameof(index), "trustee indices are 1..1000");
    }

    public void CheckIndexInRange(int index)
    {
        if (index < 1 || index > Trustees) throw new ArgumentOutOfRangeException(nameof(index), $"trustee indices are 1..{Trustees}");
    }
}

/// <summary>A dealer's secret polynomial f(x) = a_0 + a_1 x + … + a_{t−1} x^{t−1} (Feldman VSS).</summary>
public sealed class DealerSecret : IDisposable
{
    private readonly RistrettoScalar[] _a;

    public int Dealer { get; }

    internal DealerSecret(int dealer, RistrettoScalar[] coefficients)
    {
        Dealer = dealer;
        _a = coefficients;
    }

    public static DealerSecret Random(int dealer, int threshold)
    {
        var a = new RistrettoScalar[threshold];
        for (int k = 0; k < threshold; k++) a[k] = RistrettoScalar.Random();
        return new DealerSecret(dealer, a);
    }

    public int Threshold => _a.Length;

    /// <summary>f(j) by Horner's rule.</summary>
    public RistrettoScalar Evaluate(int j)
    {
        var x = RistrettoScalar.FromUInt64((ulong)j);
        var y = _a[^1];
        for (int k = _a.Length - 2; k >= 0; k--) y = y * x + _a[k];
        return y;
    }

    /// <summary>C_k = a_k·G.</summary>
    public RistrettoPoint[] Commitments()
    {
        var c = new RistrettoPoint[_a.Length];
        for (int k = 0; k < _a.Length; k++) c[k] = RistrettoPoint.MultiplyBase(_a[k]);
        return c;
    }

    /// <summary>dealer (u16 BE) ‖ t (u16 BE) ‖ a_0 … a_{t−1}: the dealer's private file, so it can answer complaints later.</summary>
    internal byte[] ExportSecret()
    {
        var b = new byte[4 + 32 * _a.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)Dealer);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)_a.Length);
        for (int k = 0; k < _a.Length; k++) _a[k].Encode(b.AsSpan(4 + 32 * k));
        return b;
    }

    internal static DealerSecret ImportSecret(ReadOnlySpan<byte> b)
    {
        if (b.Length < 4) throw new CryptographicException("polynomial file too short");
        int dealer = BinaryPrimitives.ReadUInt16BigEndian(b), t = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        if (t < 1 || b.Length != 4 + 32 * t) throw new CryptographicException("polynomial file has the wrong length");
        var a = new RistrettoScalar[t];
        for (int k = 0; k < t; k++)
            if (!RistrettoScalar.TryDecode(b.Slice(4 + 32 * k, 32), out a[k])) throw new CryptographicException("polynomial coefficient not canonical");
        return new DealerSecret(dealer, a);
    }

    public void Dispose()
    {
        for (int k = 0; k < _a.Length; k++) _a[k].Clear();
    }
}

/// <summary>A share s_ij = f_i(j) sealed to recipient j's X25519 key with HPKE (enc ‖ ciphertext).</summary>
public sealed record EncryptedShare(int Recipient, byte[] Envelope);

/// <summary>Dealer i's public message: commitments C_i0..C_i,t−1 and one sealed share per trustee, signed by the dealer.</summary>
public sealed record Deal(int Dealer, RistrettoPoint[] Commitments, EncryptedShare[] Shares, byte[] Signature)
{
    public static ReadOnlySpan<byte> ShareInfoPrefix => "TVS v1 DKG share"u8;

    /// <summary>Deals a fresh random polynomial; returns the deal to publish and the secret to keep (encrypted) for answering complaints.</summary>
    public static Deal Create(DkgParameters p, TrusteeIdentity dealer, IReadOnlyList<TrusteePublicKey> trustees, out DealerSecret secret)
    {
        secret = DealerSecret.Random(dealer.Index, p.Threshold);
        return Create(p, dealer, trustees, secret, null);
    }

    /// <summary>
    /// Deals from a given polynomial. <paramref name="tamper"/> (tests and the demo's cheating
    /// dealer only) may alter the share for a recipient before it is sealed.
    /// </summary>
    public static Deal Create(DkgParameters p, TrusteeIdentity dealer, IReadOnlyList<TrusteePublicKey> trustees, DealerSecret secret, Func<int, RistrettoScalar, RistrettoScalar>? tamper)
    {
        p.Validate();
        if (trustees.Count != p.Trustees) throw new ArgumentException($"expected {p.Trustees} public keys", nameof(trustees));
        var commitments = secret.Commitments();
        var shares = new EncryptedShare[p.Trustees];
        var info = ShareInfo(p.ElectionId);
        Span<byte> plain = stackalloc byte[32];
        for (int j = 1; j <= p.Trustees; j++)
        {
            var pk = trustees[j - 1];
            if (pk.Index != j || !pk.Verify(p.ElectionId)) throw new ArgumentException($"public key {j} is missing or not self-signed", nameof(trustees));
            var s = secret.Evaluate(j);
            if (tamper is not null) s = tamper(j, s);
            s.Encode(plain);
            s.Clear();
            shares[j - 1] = new EncryptedShare(j, HpkeBaseMode.SealEnvelope(HpkeAead.Aes256Gcm, pk.EncryptionKey, info, ShareAad(dealer.Index, j), plain));
            CryptographicOperations.ZeroMemory(plain);
        }
        var unsigned = new Deal(dealer.Index, commitments, shares, []);
        return unsigned with { Signature = dealer.Sign(unsigned.SignedBytes(p.ElectionId)) };
    }

    internal static byte[] ShareInfo(Guid electionId)
    {
        var info = new byte[ShareInfoPrefix.Length + 16];
        ShareInfoPrefix.CopyTo(info);
        BallotCipher.WriteGuid(electionId, info.AsSpan(ShareInfoPrefix.Length));
        return info;
    }

    internal static byte[] ShareAad(int dealer, int recipient)
    {
        var aad = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(aad, (ushort)dealer);
        BinaryPrimitives.WriteUInt16BigEndian(aad.AsSpan(2), (ushort)recipient);
        return aad;
    }

    internal byte[] SignedBytes(Guid electionId)
    {
        var w = new TranscriptWriter("TVS v1 DKG deal", electionId);
        w.U16(Dealer);
        w.U16(Commitments.Length);
        foreach (var c in Commitments) w.Raw(c.Bytes);
        w.U16(Shares.Length);
        foreach (var s in Shares)
        {
            w.U16(s.Recipient);
            w.Var(s.Envelope);
        }
        return w.ToArray();
    }

    /// <summary>Null when the deal is well formed for these parameters and signed by its dealer; else the reason.</summary>
    public string? Check(DkgParameters p, TrusteePublicKey dealerKey)
    {
        if (dealerKey.Index != Dealer) return "signed by the wrong trustee";
        if (Commitments.Length != p.Threshold) return $"has {Commitments.Length} commitments, expected {p.Threshold}";
        if (Shares.Length != p.Trustees) return $"has {Shares.Length} shares, expected {p.Trustees}";
        for (int j = 0; j < Shares.Length; j++)
            if (Shares[j].Recipient != j + 1) return "shares out of order";
        // A zero constant term would let a dealer cancel others' contributions only with foreknowledge; refuse it anyway.
        if (Commitments[0].IsIdentity) return "C_0 is the identity";
        if (!Signatures.Verify(dealerKey.SigningKey, SignedBytes(p.ElectionId), Signature)) return "bad signature";
        return null;
    }

    /// <summary>Recipient j opens and checks its share against the commitments.</summary>
    public ShareCheck OpenShare(DkgParameters p, TrusteeIdentity recipient, out RistrettoScalar share)
    {
        share = default;
        int j = recipient.Index;
        if (j < 1 || j > Shares.Length) return ShareCheck.Undecryptable;
        var env = Shares[j - 1].Envelope;
        if (env.Length != HpkeBaseMode.EncLength + 32 + HpkeBaseMode.TagLength) return ShareCheck.Undecryptable;
        Span<byte> plain = stackalloc byte[32 + HpkeBaseMode.TagLength];
        var rc = HpkeBaseMode.Open(HpkeAead.Aes256Gcm, recipient.EncryptionKey, ShareInfo(p.ElectionId), ShareAad(Dealer, j),
            env.AsSpan(0, HpkeBaseMode.EncLength), env.AsSpan(HpkeBaseMode.EncLength), plain, out int n);
        if (rc != HpkeError.None || n != 32) return ShareCheck.Undecryptable;
        bool canonical = RistrettoScalar.TryDecode(plain[..32], out share);
        CryptographicOperations.ZeroMemory(plain);
        if (!canonical) return ShareCheck.NotCanonical;
        if (!Feldman.Verify(Commitments, j, share))
        {
            share.Clear();
            return ShareCheck.Mismatch;
        }
        return ShareCheck.Ok;
    }
}

public enum ShareCheck
{
    Ok,
    Undecryptable,
    NotCanonical,
    /// <summary>s_ij·G ≠ Σ_k j^k·C_ik: the dealer sent a share off its committed polynomial.</summary>
    Mismatch,
}

/// <summary>Feldman verification: s·G = Σ_k j^k·C_k.</summary>
public static class Feldman
{
    /// <summary>Σ_k j^k·C_k: the commitment to f(j), computable by anyone.</summary>
    public static RistrettoPoint ShareCommitment(ReadOnlySpan<RistrettoPoint> commitments, int j)
    {
        // Horner in the exponent: ((C_{t−1}·j + C_{t−2})·j + …)·j + C_0.
        var x = RistrettoScalar.FromUInt64((ulong)j);
        var acc = commitments[^1];
        for (int k = commitments.Length - 2; k >= 0; k--) acc = RistrettoPoint.Multiply(x, acc) + commitments[k];
        return acc;
    }

    public static bool Verify(ReadOnlySpan<RistrettoPoint> commitments, int j, in RistrettoScalar share) =>
        RistrettoPoint.MultiplyBase(share) == ShareCommitment(commitments, j);
}

/// <summary>Trustee j's signed list of dealers whose share to j failed (empty list = "all my shares verified").</summary>
public sealed record Complaint(int Complainer, int[] Against, byte[] Signature)
{
    public static Complaint Create(DkgParameters p, TrusteeIdentity complainer, IEnumerable<int> against)
    {
        var list = against.Distinct().Order().ToArray();
        var unsigned = new Complaint(complainer.Index, list, []);
        return unsigned with { Signature = complainer.Sign(unsigned.SignedBytes(p.ElectionId)) };
    }

    internal byte[] SignedBytes(Guid electionId)
    {
        var w = new TranscriptWriter("TVS v1 DKG complaint", electionId);
        w.U16(Complainer);
        w.U16(Against.Length);
        foreach (var i in Against) w.U16(i);
        return w.ToArray();
    }

    public bool Verify(DkgParameters p, TrusteePublicKey key) =>
        key.Index == Complainer && Against.All(i => i >= 1 && i <= p.Trustees) && Signatures.Verify(key.SigningKey, SignedBytes(p.ElectionId), Signature);
}

/// <summary>Dealer i's public answer to complaints: the disputed shares s_ij in clear, signed.</summary>
public sealed record Answer(int Dealer, RevealedShare[] Reveals, byte[] Signature)
{
    public static Answer Create(DkgParameters p, TrusteeIdentity dealer, DealerSecret secret, IEnumerable<int> complainers)
    {
        var reveals = complainers.Distinct().Order().Select(j => new RevealedShare(j, secret.Evaluate(j).ToArray())).ToArray();
        var unsigned = new Answer(dealer.Index, reveals, []);
        return unsigned with { Signature = dealer.Sign(unsigned.SignedBytes(p.ElectionId)) };
    }

    internal byte[] SignedBytes(Guid electionId)
    {
        var w = new TranscriptWriter("TVS v1 DKG answer", electionId);
        w.U16(Dealer);
        w.U16(Reveals.Length);
        foreach (var r in Reveals)
        {
            w.U16(r.Recipient);
            w.Var(r.Share);
        }
        return w.ToArray();
    }

    public bool Verify(DkgParameters p, TrusteePublicKey key) =>
        key.Index == Dealer && Signatures.Verify(key.SigningKey, SignedBytes(p.ElectionId), Signature);
}

/// <summary>A share revealed in an answer (it was disputed, so it is public now).</summary>
public sealed record RevealedShare(int Recipient, byte[] Share);

/// <summary>The public outcome of a ceremony, identical for every trustee and auditor who runs <see cref="Dkg.Finalize"/> on the same files.</summary>
public sealed record DkgResult(
    DkgParameters Parameters,
    int[] Qualified,
    IReadOnlyDictionary<int, string> Disqualified,
    RistrettoPoint PublicKey,
    RistrettoPoint[] VerificationKeys,
    IReadOnlyDictionary<int, RistrettoPoint[]> Commitments)
{
    /// <summary>Y_j for trustee j (1-based).</summary>
    public RistrettoPoint VerificationKey(int j) => VerificationKeys[j - 1];
}

/// <summary>The ceremony's public decision and each trustee's private combination.</summary>
public static class Dkg
{
    /// <summary>
    /// Decides QUAL from the published files and derives Y and every Y_j. A dealer is out when its
    /// deal is missing, malformed or badly signed, or when a (validly signed) complaint against it
    /// has no validly signed answer whose revealed share matches its commitments. Missing or
    /// invalid complaint files count as "no complaint". Fails when fewer than t dealers qualify.
    /// </summary>
    public static DkgResult Finalize(DkgParameters p, IReadOnlyList<TrusteePublicKey> keys, IReadOnlyDictionary<int, Deal> deals,
        IReadOnlyDictionary<int, Complaint> complaints, IReadOnlyDictionary<int, Answer> answers)
    {
        p.Validate();
        CheckKeys(p, keys);
        var disq = new SortedDictionary<int, string>();
        var valid = new SortedDictionary<int, Deal>();
        for (int i = 1; i <= p.Trustees; i++)
        {
            if (!deals.TryGetValue(i, out var d)) { disq[i] = "no deal published"; continue; }
            var why = d.Dealer != i ? "deal filed under another index" : d.Check(p, keys[i - 1]);
            if (why is not null) { disq[i] = "deal " + why; continue; }
            valid[i] = d;
        }
        foreach (var (j, c) in complaints.OrderBy(kv => kv.Key))
        {
            if (c.Complainer != j || !c.Verify(p, keys[j - 1])) continue;
            foreach (int i in c.Against)
            {
                if (!valid.TryGetValue(i, out var d)) continue;
                var why = CheckAnswer(p, keys, answers, d, j);
                if (why is not null)
                {
                    valid.Remove(i);
                    disq[i] = $"complaint by trustee {j}: {why}";
                }
            }
        }
        if (valid.Count < p.Threshold)
            throw new DkgFailedException($"only {valid.Count} dealers qualified, fewer than the threshold {p.Threshold}: " +
                string.Join("; ", disq.Select(kv => $"{kv.Key}: {kv.Value}")));

        var y = RistrettoPoint.Identity;
        foreach (var d in valid.Values) y += d.Commitments[0];
        if (y.IsIdentity) throw new DkgFailedException("the election key is the identity");
        var vk = new RistrettoPoint[p.Trustees];
        for (int j = 1; j <= p.Trustees; j++)
        {
            var acc = RistrettoPoint.Identity;
            foreach (var d in valid.Values) acc += Feldman.ShareCommitment(d.Commitments, j);
            vk[j - 1] = acc;
        }
        return new DkgResult(p, valid.Keys.ToArray(), disq, y, vk, valid.ToDictionary(kv => kv.Key, kv => kv.Value.Commitments));
    }

    private static string? CheckAnswer(DkgParameters p, IReadOnlyList<TrusteePublicKey> keys, IReadOnlyDictionary<int, Answer> answers, Deal d, int j)
    {
        if (!answers.TryGetValue(d.Dealer, out var a) || a.Dealer != d.Dealer || !a.Verify(p, keys[d.Dealer - 1])) return "no signed answer";
        var r = a.Reveals.FirstOrDefault(x => x.Recipient == j);
        if (r is null) return "the answer does not reveal the share";
        if (!RistrettoScalar.TryDecode(r.Share, out var s)) return "the revealed share is not canonical";
        return Feldman.Verify(d.Commitments, j, s) ? null : "the revealed share does not match the commitments";
    }

    /// <summary>
    /// Trustee j's secret share s_j = Σ_{i∈QUAL} s_ij, from its own decryptions or, where it
    /// complained and the dealer answered, the revealed share. Checks s_j·G = Y_j.
    /// </summary>
    public static RistrettoScalar CombineShare(DkgResult result, TrusteeIdentity me, IReadOnlyDictionary<int, Deal> deals, IReadOnlyDictionary<int, Answer> answers)
    {
        var p = result.Parameters;
        var s = RistrettoScalar.Zero;
        foreach (int i in result.Qualified)
        {
            var d = deals[i];
            var check = d.OpenShare(p, me, out var sij);
            if (check != ShareCheck.Ok)
            {
                // QUAL kept this dealer, so it answered our complaint with a share that matches.
                var r = answers.TryGetValue(i, out var a) ? a.Reveals.FirstOrDefault(x => x.Recipient == me.Index) : null;
                if (r is null || !RistrettoScalar.TryDecode(r.Share, out sij) || !Feldman.Verify(d.Commitments, me.Index, sij))
                    throw new DkgFailedException($"dealer {i} is qualified but my share from it is bad ({check}) and not answered: did I publish my complaint?");
            }
            s += sij;
            sij.Clear();
        }
        if (RistrettoPoint.MultiplyBase(s) != result.VerificationKey(me.Index))
            throw new DkgFailedException("my share does not match my verification key");
        return s;
    }

    /// <summary>The dealers whose share to <paramref name="me"/> fails: what trustee j complains about.</summary>
    public static List<(int Dealer, ShareCheck Check)> FindBadDeals(DkgParameters p, IReadOnlyList<TrusteePublicKey> keys, TrusteeIdentity me, IReadOnlyDictionary<int, Deal> deals)
    {
        var bad = new List<(int, ShareCheck)>();
        foreach (var (i, d) in deals.OrderBy(kv => kv.Key))
        {
            // Only dealers whose deal is valid can be answered; an invalid deal disqualifies itself.
            if (d.Dealer != i || d.Check(p, keys[i - 1]) is not null) continue;
            var c = d.OpenShare(p, me, out var s);
            s.Clear();
            if (c != ShareCheck.Ok) bad.Add((i, c));
        }
        return bad;
    }

    internal static void CheckKeys(DkgParameters p, IReadOnlyList<TrusteePublicKey> keys)
    {
        if (keys.Count != p.Trustees) throw new DkgFailedException($"expected {p.Trustees} trustee public keys, found {keys.Count}");
        for (int j = 1; j <= p.Trustees; j++)
            if (keys[j - 1].Index != j || !keys[j - 1].Verify(p.ElectionId)) throw new DkgFailedException($"trustee {j}'s public key is missing or its self-signature fails");
    }
}

public sealed class DkgFailedException(string message) : Exception(message);
