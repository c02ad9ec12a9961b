namespace TVS.Crypto.Threshold;

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
