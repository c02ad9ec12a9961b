using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>The outcome of <see cref="LocalCeremony.Run"/>: the public result and every trustee's share (index j at [j − 1]; default for a trustee that had none).</summary>
public sealed record LocalCeremonyResult(DkgResult Result, RistrettoScalar[] Shares, IReadOnlyDictionary<int, Deal> Deals,
    IReadOnlyDictionary<int, Complaint> Complaints, IReadOnlyDictionary<int, Answer> Answers);

/// <summary>How a dealer in a local ceremony misbehaves (tests and <c>tvs demo</c>).</summary>
public enum CheatMode
{
    Honest,
    /// <summary>Sends a wrong share to one trustee and ignores the complaint: disqualified.</summary>
    BadShareNoAnswer,
    /// <summary>Sends a wrong share to one trustee and then reveals the right one: stays qualified.</summary>
    BadShareThenAnswer,
}

/// <summary>Plays all n trustees of a Pedersen DKG in one process, through the same messages as the CLI ceremony.</summary>
public static class LocalCeremony
{
    /// <param name="cheaters">dealer → how it cheats; a cheating dealer i corrupts its share to trustee (i mod n) + 1.</param>
    public static LocalCeremonyResult Run(DkgParameters p, IReadOnlyDictionary<int, CheatMode>? cheaters = null)
    {
        p.Validate();
        cheaters ??= new Dictionary<int, CheatMode>();
        var ids = Enumerable.Range(1, p.Trustees).Select(i => TrusteeIdentity.Generate(p.ElectionId, i)).ToArray();
        var secrets = new DealerSecret[p.Trustees];
        try
        {
            var keys = ids.Select(i => i.Public).ToList();
            var deals = new Dictionary<int, Deal>();
            for (int i = 1; i <= p.Trustees; i++)
            {
                var mode = cheaters.GetValueOrDefault(i, CheatMode.Honest);
                int victim = i % p.Trustees + 1;
                secrets[i - 1] = DealerSecret.Random(i, p.Threshold);
                deals[i] = Deal.Create(p, ids[i - 1], keys, secrets[i - 1],
                    mode == CheatMode.Honest ? null : (j, s) => j == victim ? s + RistrettoScalar.One : s);
            }
            var complaints = new Dictionary<int, Complaint>();
            foreach (var me in ids)
                complaints[me.Index] = Complaint.Create(p, me, Dkg.FindBadDeals(p, keys, me, deals).Select(b => b.Dealer));
            var answers = new Dictionary<int, Answer>();
            for (int i = 1; i <= p.Trustees; i++)
            {
                if (cheaters.GetValueOrDefault(i, CheatMode.Honest) == CheatMode.BadShareNoAnswer) continue;
                var against = complaints.Values.Where(c => c.Against.Contains(i)).Select(c => c.Complainer);
                answers[i] = Answer.Create(p, ids[i - 1], secrets[i - 1], against);
            }
            var result = Dkg.Finalize(p, keys, deals, complaints, answers);
            var shares = new RistrettoScalar[p.Trustees];
            foreach (var me in ids) shares[me.Index - 1] = Dkg.CombineShare(result, me, deals, answers);
            return new LocalCeremonyResult(result, shares, deals, complaints, answers);
        }
        finally
        {
            foreach (var s in secrets) s?.Dispose();
            foreach (var id in ids) id.Dispose();
        }
    }
}
