using System.Buffers.Binary;
using System.Security.Cryptography;
using TVS.Crypto.Hpke;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

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
