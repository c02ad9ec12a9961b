using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Tests;

/// <summary>The ballot KEM: round trips, binding to the election, tamper detection, format limits.</summary>
public class ElGamalTests
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");

    [Fact]
    public void Round_trip_with_the_secret_and_with_combined_shares()
    {
        var s = RistrettoScalar.Random();
        var y = RistrettoPoint.MultiplyBase(s);
        ushort[] sel = [3, 0, 65535, 7];
        var ballot = BallotCipher.Encrypt(y, Election, sel);
        Assert.Equal(BallotCipher.BallotLength(4), ballot.Length);
        Assert.Equal(1, ballot[0]);
        var outSel = new ushort[8];
        Assert.Equal(BallotError.None, BallotCipher.DecryptWithSecret(ballot, Election, s, outSel, out int n));
        Assert.Equal(sel, outSel[..n]);

        Assert.Equal(BallotError.None, BallotCipher.TryReadEphemeral(ballot, out var r));
        var d = RistrettoPoint.Multiply(s, r);
        Assert.Equal(BallotError.None, BallotCipher.Decrypt(ballot, Election, y, d, outSel, out n));
        Assert.Equal(sel, outSel[..n]);
    }

    [Fact]
    public void Empty_and_large_ballots()
    {
        var s = RistrettoScalar.Random();
        var y = RistrettoPoint.MultiplyBase(s);
        var outSel = new ushort[BallotCipher.MaxContests];
        var empty = BallotCipher.Encrypt(y, Election, []);
        Assert.Equal(BallotError.None, BallotCipher.DecryptWithSecret(empty, Election, s, outSel, out int n));
        Assert.Equal(0, n);
        var many = Enumerable.Range(0, BallotCipher.MaxContests).Select(i => (ushort)i).ToArray();
        var big = BallotCipher.Encrypt(y, Election, many);
        Assert.True(big.Length <= BallotCipher.MaxBallotBytes);
        Assert.Equal(BallotError.None, BallotCipher.DecryptWithSecret(big, Election, s, outSel, out n));
        Assert.Equal(many, outSel[..n]);
        Assert.Throws<ArgumentException>(() => BallotCipher.Encrypt(y, Election, new ushort[BallotCipher.MaxContests + 1]));
    }

    [Fact]
    public void Tampering_wrong_key_or_wrong_election_fail_authentication()
    {
        var s = RistrettoScalar.Random();
        var y = RistrettoPoint.MultiplyBase(s);
        var ballot = BallotCipher.Encrypt(y, Election, [1, 2]);
        var outSel = new ushort[4];
        for (int i = BallotCipher.HeaderLength; i < ballot.Length; i++)
        {
            var t = (byte[])ballot.Clone();
            t[i] ^= 0x01;
            Assert.Equal(BallotError.AuthenticationFailed, BallotCipher.DecryptWithSecret(t, Election, s, outSel, out _));
        }
        Assert.Equal(BallotError.AuthenticationFailed, BallotCipher.DecryptWithSecret(ballot, Guid.NewGuid(), s, outSel, out _));
        Assert.Equal(BallotError.AuthenticationFailed, BallotCipher.DecryptWithSecret(ballot, Election, RistrettoScalar.Random(), outSel, out _));

        // R replaced by another valid point: a different key, so the tag fails.
        var other = (byte[])ballot.Clone();
        RistrettoPoint.MultiplyBase(RistrettoScalar.Random()).Encode(other.AsSpan(1));
        Assert.Equal(BallotError.AuthenticationFailed, BallotCipher.DecryptWithSecret(other, Election, s, outSel, out _));
    }

    [Fact]
    public void Malformed_ballots_are_refused_before_any_curve_work()
    {
        var s = RistrettoScalar.Random();
        var y = RistrettoPoint.MultiplyBase(s);
        var ballot = BallotCipher.Encrypt(y, Election, [1]);
        var outSel = new ushort[4];
        var v2 = (byte[])ballot.Clone();
        v2[0] = 2;
        Assert.Equal(BallotError.Malformed, BallotCipher.TryReadEphemeral(v2, out _));
        Assert.Equal(BallotError.Malformed, BallotCipher.TryReadEphemeral(ballot.AsSpan(0, ballot.Length - 1), out _));
        Assert.Equal(BallotError.Malformed, BallotCipher.TryReadEphemeral(new byte[BallotCipher.MaxBallotBytes + 2], out _));
        var idR = (byte[])ballot.Clone();
        Array.Clear(idR, 1, 32);
        Assert.Equal(BallotError.BadEphemeral, BallotCipher.TryReadEphemeral(idR, out _));
        var badR = (byte[])ballot.Clone();
        Convert.FromHexString(RistrettoTests.BadEncodings[1]).CopyTo(badR, 1);
        Assert.Equal(BallotError.BadEphemeral, BallotCipher.DecryptWithSecret(badR, Election, s, outSel, out _));
        Assert.Throws<ArgumentException>(() => BallotCipher.Encrypt(RistrettoPoint.Identity, Election, [1]));
    }
}
