using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

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
