namespace TVS.Crypto.Threshold;

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
