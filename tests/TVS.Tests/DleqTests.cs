using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Tests;

/// <summary>Chaum–Pedersen decryption-share proofs: completeness, soundness against wrong shares, malleation and encodings; the batch API.</summary>
public class DleqTests
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");

    private static (RistrettoScalar S, RistrettoPoint Y, RistrettoPoint R, DecryptionShare D) Make()
    {
        var s = RistrettoScalar.Random();
        var y = RistrettoPoint.MultiplyBase(s);
        var r = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
        return (s, y, r, ThresholdDecryption.CreateShare(Election, s, y, r));
    }

    [Fact]
    public void Honest_share_verifies_and_round_trips_its_encoding()
    {
        var (s, y, r, d) = Make();
        Assert.Equal(RistrettoPoint.Multiply(s, r), d.Share);
        Assert.True(ThresholdDecryption.VerifyShare(Election, y, r, d));
        var b = new byte[DecryptionShare.Length];
        d.Encode(b);
        Assert.True(DecryptionShare.TryDecode(b, out var d2));
        Assert.True(ThresholdDecryption.VerifyShare(Election, y, r, d2));
    }

    /// <summary>
    /// Verify runs on the managed variable-time multiplication: it must decide exactly as the
    /// libsodium reference on honest proofs, on proofs made with a chosen nonce (so a and b are
    /// known), and on every single-field change of share, proof, key and R.
    /// </summary>
    [Fact]
    public void Variable_time_verification_decides_as_libsodium()
    {
        int accepted = 0, refused = 0;
        for (int round = 0; round < 200; round++)
        {
            var (s, y, r, d) = Make();
            var k = round % 2 == 0 ? RistrettoScalar.Random() : RistrettoScalar.FromUInt64((ulong)round); // small nonces too
            var proof = Dleq.Prove(Election, s, y, r, d.Share, k);
            var other = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
            var cases = new (RistrettoPoint Y, RistrettoPoint R, RistrettoPoint D, DleqProof P)[]
            {
                (y, r, d.Share, d.Proof),
                (y, r, d.Share, proof),
                (y, r, d.Share + RistrettoPoint.Generator, proof),
                (y, r, other, proof),
                (other, r, d.Share, proof),
                (y, other, d.Share, proof),
                (y, r, d.Share, proof with { CommitmentG = proof.CommitmentG + RistrettoPoint.Generator }),
                (y, r, d.Share, proof with { CommitmentR = proof.CommitmentR + RistrettoPoint.Generator }),
                (y, r, d.Share, proof with { CommitmentG = proof.CommitmentR, CommitmentR = proof.CommitmentG }),
                (y, r, d.Share, proof with { CommitmentG = RistrettoPoint.Identity }),
                (y, r, d.Share, proof with { Response = proof.Response + RistrettoScalar.One }),
                (y, r, d.Share, proof with { Response = RistrettoScalar.Zero }),
                (y, r, d.Share, proof with { Response = -proof.Response }),
            };
            foreach (var (cy, cr, cd, cp) in cases)
            {
                bool reference = Dleq.VerifyWithLibsodium(Election, cy, cr, cd, cp);
                Assert.Equal(reference, Dleq.Verify(Election, cy, cr, cd, cp));
                if (reference) accepted++; else refused++;
            }
        }
        Assert.Equal(400, accepted); // the two honest proofs of each round, nothing else
        Assert.Equal(200 * 11, refused);
    }

    [Fact]
    public void Wrong_share_wrong_key_wrong_R_wrong_election_are_refused()
    {
        var (s, y, r, d) = Make();
        var wrong = d;
        wrong.Share += RistrettoPoint.Generator;
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, wrong));
        // A share made with another secret but a proof for the right one cannot pass either.
        var other = RistrettoScalar.Random();
        var forged = d;
        forged.Share = RistrettoPoint.Multiply(other, r);
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, forged));
        Assert.False(ThresholdDecryption.VerifyShare(Election, RistrettoPoint.MultiplyBase(other), r, d));
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r + RistrettoPoint.Generator, d));
        Assert.False(ThresholdDecryption.VerifyShare(Guid.NewGuid(), y, r, d));
        var id = d;
        id.Share = RistrettoPoint.Identity;
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, id));
        Assert.False(Dleq.Verify(Election, RistrettoPoint.Identity, r, d.Share, d.Proof));
        Assert.False(Dleq.Verify(Election, y, RistrettoPoint.Identity, d.Share, d.Proof));
    }

    [Fact]
    public void Proof_malleations_are_refused()
    {
        var (_, y, r, d) = Make();
        var b = new byte[DecryptionShare.Length];
        d.Encode(b);
        for (int i = 0; i < b.Length; i++)
        {
            foreach (byte bit in new byte[] { 0x01, 0x80 })
            {
                var t = (byte[])b.Clone();
                t[i] ^= bit;
                Assert.False(DecryptionShare.TryDecode(t, out var dt) && ThresholdDecryption.VerifyShare(Election, y, r, dt), $"byte {i} bit {bit:x2}");
            }
        }
        // z + ℓ encodes the same residue but is not canonical: refused at decoding.
        var l = RistrettoScalar.OrderValue;
        const int zOffset = 3 * RistrettoPoint.Length;
        var v = new System.Numerics.BigInteger(b.AsSpan(zOffset, 32), isUnsigned: true) + l;
        var enc = v.ToByteArray(isUnsigned: true, isBigEndian: false);
        if (enc.Length <= 32)
        {
            var t = (byte[])b.Clone();
            Array.Clear(t, zOffset, 32);
            enc.CopyTo(t, zOffset);
            Assert.False(DecryptionShare.TryDecode(t, out _));
        }
        // Negated response, negated or swapped commitments.
        var neg = d;
        neg.Proof.Response = -neg.Proof.Response;
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, neg));
        var nega = d;
        nega.Proof.CommitmentG = RistrettoPoint.Identity - nega.Proof.CommitmentG;
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, nega));
        var swapped = d;
        (swapped.Proof.CommitmentG, swapped.Proof.CommitmentR) = (d.Proof.CommitmentR, d.Proof.CommitmentG);
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, swapped));
    }

    [Fact]
    public void Non_canonical_point_encodings_are_refused()
    {
        var (_, _, _, d) = Make();
        var b = new byte[DecryptionShare.Length];
        d.Encode(b);
        foreach (var bad in RistrettoTests.BadEncodings)
        {
            foreach (int offset in new[] { 0, RistrettoPoint.Length, 2 * RistrettoPoint.Length }) // D_i, A, B
            {
                var t = (byte[])b.Clone();
                Convert.FromHexString(bad).CopyTo(t, offset);
                Assert.False(DecryptionShare.TryDecode(t, out _));
            }
        }
        Assert.False(DecryptionShare.TryDecode(b.AsSpan(0, DecryptionShare.Length - 1), out _));
    }

    [Fact]
    public void Reading_only_the_share_validates_D_and_leaves_the_proof_to_its_verification()
    {
        var (_, y, r, d) = Make();
        var b = new byte[DecryptionShare.Length];
        d.Encode(b);
        Assert.True(DecryptionShare.TryReadShare(b, out var share));
        Assert.Equal(d.Share, share);
        // A malformed proof does not stop the combination; its verification refuses it.
        var t = (byte[])b.Clone();
        Convert.FromHexString(RistrettoTests.BadEncodings[0]).CopyTo(t, RistrettoPoint.Length);
        Assert.True(DecryptionShare.TryReadShare(t, out share));
        Assert.Equal(d.Share, share);
        Assert.False(ThresholdDecryption.VerifyShare(Election, y, r, t));
        foreach (var bad in RistrettoTests.BadEncodings)
        {
            t = (byte[])b.Clone();
            Convert.FromHexString(bad).CopyTo(t, 0);
            Assert.False(DecryptionShare.TryReadShare(t, out _));
        }
        Assert.False(DecryptionShare.TryReadShare(new byte[DecryptionShare.Length], out _)); // D_i = identity
        Assert.False(DecryptionShare.TryReadShare(b.AsSpan(0, DecryptionShare.Length - 1), out _));
    }

    [Fact]
    public void Batch_create_verify_combine_matches_per_ballot()
    {
        var p = new DkgParameters(Election, 3, 5);
        var c = LocalCeremony.Run(p);
        int n = 600;
        var s = RistrettoScalar.Random();
        var ballots = new byte[n][];
        var rs = new RistrettoPoint[n];
        for (int i = 0; i < n; i++)
        {
            ballots[i] = BallotCipher.Encrypt(c.Result.PublicKey, Election, [(ushort)(i % 7)]);
            Assert.Equal(BallotError.None, BallotCipher.TryReadEphemeral(ballots[i], out rs[i]));
        }
        int[] idx = [2, 4, 5];
        var shares = new RistrettoPoint[idx.Length][];
        for (int k = 0; k < idx.Length; k++)
        {
            var j = idx[k];
            var ds = new DecryptionShare[n];
            // in two ranges, as a resumed tally would
            ThresholdDecryption.CreateShares(Election, c.Shares[j - 1], c.Result.VerificationKey(j), rs, ds, 0, 250);
            ThresholdDecryption.CreateShares(Election, c.Shares[j - 1], c.Result.VerificationKey(j), rs, ds, 250, n - 250);
            var ok = new bool[n];
            if (k == 1) ds[17].Share += RistrettoPoint.Generator;
            int failed = ThresholdDecryption.VerifyShares(Election, c.Result.VerificationKey(j), rs, ds, ok, 0, n);
            Assert.Equal(k == 1 ? 1 : 0, failed);
            if (k == 1)
            {
                Assert.False(ok[17]);
                ds[17] = ThresholdDecryption.CreateShare(Election, c.Shares[j - 1], c.Result.VerificationKey(j), rs[17]);
            }
            shares[k] = ds.Select(x => x.Share).ToArray();
        }
        var combined = new RistrettoPoint[n];
        ThresholdDecryption.CombineShares(idx, shares, combined, 0, n);
        var sel = new ushort[1];
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(BallotError.None, BallotCipher.Decrypt(ballots[i], Election, c.Result.PublicKey, combined[i], sel, out _));
            Assert.Equal(i % 7, sel[0]);
        }
    }
}
