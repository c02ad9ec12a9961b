using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Tests;

/// <summary>Pedersen DKG with Feldman VSS: threshold property, complaints, disqualification, key files.</summary>
public class DkgTests
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");

    static DkgTests() => KeyFile.DefaultCost = new Argon2Cost(1024, 1);

    private static IEnumerable<int[]> Subsets(int n, int k, int start = 1)
    {
        if (k == 0) { yield return []; yield break; }
        for (int i = start; i <= n - k + 1; i++)
            foreach (var rest in Subsets(n, k - 1, i + 1)) yield return [i, .. rest];
    }

    [Theory]
    [InlineData(5, 9)]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    public void Every_t_subset_gives_the_key_and_t_minus_1_do_not(int t, int n)
    {
        var p = new DkgParameters(Election, t, n);
        var c = LocalCeremony.Run(p);
        var r = c.Result;
        Assert.Equal(Enumerable.Range(1, n), r.Qualified);
        Assert.Empty(r.Disqualified);
        for (int j = 1; j <= n; j++) Assert.Equal(r.VerificationKey(j), RistrettoPoint.MultiplyBase(c.Shares[j - 1]));
        RistrettoScalar? secret = null;
        foreach (var set in Subsets(n, t))
        {
            var s = Lagrange.InterpolateAtZero(set, set.Select(j => c.Shares[j - 1]).ToArray());
            Assert.Equal(r.PublicKey, RistrettoPoint.MultiplyBase(s));
            secret ??= s;
            Assert.Equal(secret.Value, s);
            // and in the exponent, from public data only
            Assert.Equal(r.PublicKey, Lagrange.InterpolateAtZero(set, set.Select(j => r.VerificationKey(j)).ToArray()));
        }
        if (t > 1)
        {
            foreach (var set in Subsets(n, t - 1))
            {
                var s = Lagrange.InterpolateAtZero(set, set.Select(j => c.Shares[j - 1]).ToArray());
                Assert.NotEqual(r.PublicKey, RistrettoPoint.MultiplyBase(s));
            }
        }
        // a ballot decrypts through t shares
        var ballot = BallotCipher.Encrypt(r.PublicKey, Election, [4, 2]);
        BallotCipher.TryReadEphemeral(ballot, out var R);
        var set0 = Enumerable.Range(n - t + 1, t).ToArray();
        var lambda = new RistrettoScalar[t];
        Lagrange.CoefficientsAtZero(set0, lambda);
        var ds = set0.Select(j => ThresholdDecryption.CreateShare(Election, c.Shares[j - 1], r.VerificationKey(j), R)).ToArray();
        Assert.All(set0.Zip(ds), x => Assert.True(ThresholdDecryption.VerifyShare(Election, r.VerificationKey(x.First), R, x.Second)));
        var d = ThresholdDecryption.Combine(lambda, ds.Select(x => x.Share).ToArray());
        var sel = new ushort[2];
        Assert.Equal(BallotError.None, BallotCipher.Decrypt(ballot, Election, r.PublicKey, d, sel, out _));
        Assert.Equal(new ushort[] { 4, 2 }, sel);
    }

    [Fact]
    public void Cheating_dealer_is_caught_and_disqualified_and_the_ceremony_still_succeeds()
    {
        var p = new DkgParameters(Election, 5, 9);
        var c = LocalCeremony.Run(p, new Dictionary<int, CheatMode> { [3] = CheatMode.BadShareNoAnswer });
        Assert.Equal([3], c.Complaints[4].Against);
        Assert.All(c.Complaints.Where(kv => kv.Key != 4), kv => Assert.Empty(kv.Value.Against));
        Assert.DoesNotContain(3, c.Result.Qualified);
        Assert.Contains("complaint by trustee 4", c.Result.Disqualified[3]);
        Assert.Equal(8, c.Result.Qualified.Length);
        var y = RistrettoPoint.Identity;
        foreach (var i in c.Result.Qualified) y += c.Deals[i].Commitments[0];
        Assert.Equal(y, c.Result.PublicKey);
        int[] set = [1, 3, 4, 6, 9];
        var s = Lagrange.InterpolateAtZero(set, set.Select(j => c.Shares[j - 1]).ToArray());
        Assert.Equal(c.Result.PublicKey, RistrettoPoint.MultiplyBase(s));
    }

    [Fact]
    public void Dealer_who_reveals_the_right_share_stays_qualified()
    {
        var p = new DkgParameters(Election, 2, 3);
        var c = LocalCeremony.Run(p, new Dictionary<int, CheatMode> { [2] = CheatMode.BadShareThenAnswer });
        Assert.Equal([2], c.Complaints[3].Against);
        Assert.Equal([1, 2, 3], c.Result.Qualified);
        Assert.Single(c.Answers[2].Reveals);
        var s = Lagrange.InterpolateAtZero([1, 3], [c.Shares[0], c.Shares[2]]);
        Assert.Equal(c.Result.PublicKey, RistrettoPoint.MultiplyBase(s));
    }

    [Fact]
    public void Too_many_cheaters_fail_the_ceremony()
    {
        var p = new DkgParameters(Election, 2, 3);
        var cheat = new Dictionary<int, CheatMode> { [1] = CheatMode.BadShareNoAnswer, [2] = CheatMode.BadShareNoAnswer };
        Assert.Throws<DkgFailedException>(() => LocalCeremony.Run(p, cheat));
    }

    [Fact]
    public void Forged_signatures_and_wrong_answers_disqualify()
    {
        var p = new DkgParameters(Election, 2, 3);
        var ids = Enumerable.Range(1, 3).Select(i => TrusteeIdentity.Generate(Election, i)).ToArray();
        var keys = ids.Select(i => i.Public).ToList();
        var secrets = ids.Select(i => DealerSecret.Random(i.Index, 2)).ToArray();
        var deals = ids.ToDictionary(i => i.Index, i => Deal.Create(p, i, keys, secrets[i.Index - 1], null));
        // deal 1 re-signed by trustee 2: bad signature
        deals[1] = deals[1] with { Signature = ids[1].Sign(deals[1].SignedBytes(Election)) };
        var complaints = new Dictionary<int, Complaint> { [1] = Complaint.Create(p, ids[0], [2]) };
        // dealer 2 answers with a wrong share
        var bogus = new Answer(2, [new RevealedShare(1, RistrettoScalar.One.ToArray())], []);
        var answers = new Dictionary<int, Answer> { [2] = bogus with { Signature = ids[1].Sign(bogus.SignedBytes(Election)) } };
        Assert.Throws<DkgFailedException>(() => Dkg.Finalize(p, keys, deals, complaints, answers));
        // with a correct answer only dealer 1 (bad signature) is out, and 2 of 3 still meet t = 2
        answers[2] = Answer.Create(p, ids[1], secrets[1], [1]);
        var r = Dkg.Finalize(p, keys, deals, complaints, answers);
        Assert.Equal([2, 3], r.Qualified);
        Assert.Contains("bad signature", r.Disqualified[1]);
        // a public key whose self-signature fails stops the ceremony
        var badKeys = keys.ToList();
        badKeys[2] = badKeys[2] with { EncryptionKey = keys[0].EncryptionKey };
        Assert.Throws<DkgFailedException>(() => Dkg.Finalize(p, badKeys, deals, complaints, answers));
        foreach (var i in ids) i.Dispose();
    }

    [Fact]
    public void Key_files_round_trip_and_refuse_a_wrong_passphrase()
    {
        using var id = TrusteeIdentity.Generate(Election, 4);
        var file = KeyFile.SealIdentity(id, "correct horse"u8);
        using var back = KeyFile.OpenIdentity(file, Election, "correct horse"u8);
        Assert.Equal(id.Public.SigningKey, back.Public.SigningKey);
        Assert.Equal(id.Public.EncryptionKey, back.Public.EncryptionKey);
        Assert.True(back.Public.Verify(Election));
        Assert.Throws<WrongPassphraseException>(() => KeyFile.OpenIdentity(file, Election, "wrong horse"u8));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => KeyFile.OpenIdentity(file, Guid.NewGuid(), "correct horse"u8));
        var t = (byte[])file.Clone();
        t[^1] ^= 1;
        Assert.Throws<WrongPassphraseException>(() => KeyFile.OpenIdentity(t, Election, "correct horse"u8));
        var h = (byte[])file.Clone();
        h[12] ^= 1; // memory cost changed: header is authenticated (and here also out of bounds)
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => KeyFile.OpenIdentity(h, Election, "correct horse"u8));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => KeyFile.OpenShare(file, Election, "correct horse"u8));

        var s = RistrettoScalar.Random();
        var sf = KeyFile.SealShare(4, s, Election, "pw"u8);
        var (i, s2) = KeyFile.OpenShare(sf, Election, "pw"u8);
        Assert.Equal(4, i);
        Assert.Equal(s, s2);
        Assert.Equal(KeyFile.HeaderLength + 16 + 34 + 16, sf.Length);
    }
}
