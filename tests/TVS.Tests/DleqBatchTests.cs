using System.Numerics;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Tests;

/// <summary>
/// The batch verifier of decryption-share proofs (<see cref="DleqBatch"/>) and its many-point
/// multiplication: every verdict equals the single verifier's, valid shares pass, every corrupted
/// share is named, whatever the corruption and however many.
/// </summary>
public class DleqBatchTests
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");

    private sealed record Item(RistrettoPoint Y, RistrettoPoint R, byte[] Share);

    /// <summary>Shares of <paramref name="ballots"/> ballots by <paramref name="trustees"/> trustees, ballot by ballot (the order that lets R count once).</summary>
    private static List<Item> Honest(int ballots, int trustees)
    {
        var secrets = Enumerable.Range(0, trustees).Select(_ => RistrettoScalar.Random()).ToArray();
        var keys = secrets.Select(s => RistrettoPoint.MultiplyBase(s)).ToArray();
        var items = new List<Item>();
        for (int b = 0; b < ballots; b++)
        {
            var r = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
            for (int t = 0; t < trustees; t++)
            {
                var bytes = new byte[DecryptionShare.Length];
                ThresholdDecryption.CreateShare(Election, secrets[t], keys[t], r).Encode(bytes);
                items.Add(new Item(keys[t], r, bytes));
            }
        }
        return items;
    }

    private static bool[] BatchVerdicts(DleqBatch batch, IReadOnlyList<Item> items)
    {
        var verdicts = new bool[items.Count];
        var seen = new bool[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            batch.Add(items[i].Y, items[i].R, items[i].Share, tag: 1000 + i);
        }
        Assert.Equal(items.Count, batch.Count);
        var v = batch.Verify(out var tags);
        Assert.Equal(items.Count, v.Length);
        for (int k = 0; k < v.Length; k++)
        {
            int i = tags[k] - 1000;
            Assert.False(seen[i]);
            seen[i] = true;
            verdicts[i] = v[k];
        }
        Assert.Equal(0, batch.Count);
        return verdicts;
    }

    private static bool Single(Item item) => ThresholdDecryption.VerifyShare(Election, item.Y, item.R, item.Share);

    /// <summary>The corruptions a share can suffer: each makes the single verifier refuse it.</summary>
    private static Item Corrupt(Item item, int kind, RistrettoPoint otherPoint, Random rng)
    {
        var b = (byte[])item.Share.Clone();
        const int P = RistrettoPoint.Length;
        void AddGenerator(int offset)
        {
            Assert.True(RistrettoPoint.TryDecode(b.AsSpan(offset, P), out var p));
            (p + RistrettoPoint.Generator).Encode(b.AsSpan(offset));
        }
        switch (kind)
        {
            case 0: // z + 1
                Assert.True(RistrettoScalar.TryDecode(b.AsSpan(3 * P), out var z));
                (z + RistrettoScalar.One).Encode(b.AsSpan(3 * P));
                return item with { Share = b };
            case 1: AddGenerator(0); return item with { Share = b }; // D_i
            case 2: AddGenerator(P); return item with { Share = b }; // A
            case 3: AddGenerator(2 * P); return item with { Share = b }; // B
            case 4: return item with { R = item.R + RistrettoPoint.Generator };
            case 5: return item with { Y = item.Y + RistrettoPoint.Generator };
            case 6: // z + ℓ: the same residue, not canonical
                {
                    var v = new BigInteger(b.AsSpan(3 * P, 32), isUnsigned: true) + RistrettoScalar.OrderValue;
                    if (v.GetByteCount(isUnsigned: true) > 32) goto case 0;
                    Array.Clear(b, 3 * P, 32);
                    v.TryWriteBytes(b.AsSpan(3 * P), out _, isUnsigned: true, isBigEndian: false);
                    return item with { Share = b };
                }
            case 7: // a non-canonical or invalid point encoding in D_i, A or B
                {
                    var bad = RistrettoTests.BadEncodings[rng.Next(RistrettoTests.BadEncodings.Length)];
                    Convert.FromHexString(bad).CopyTo(b, P * rng.Next(3));
                    return item with { Share = b };
                }
            case 8: Array.Clear(b, 0, P); return item with { Share = b }; // D_i = identity
            case 9: return item with { Share = b[..^1] }; // truncated
            case 10: // A and B swapped
                b.AsSpan(P, P).CopyTo(b.AsSpan(2 * P));
                item.Share.AsSpan(2 * P, P).CopyTo(b.AsSpan(P));
                return item with { Share = b };
            default: // checked against another ballot's R (a valid proof of another statement)
                return item with { R = otherPoint };
        }
    }

    private const int Kinds = 12;

    [Fact]
    public void Honest_shares_of_several_trustees_all_pass_with_their_tags()
    {
        var items = Honest(ballots: 40, trustees: 5);
        var batch = new DleqBatch(Election, 256);
        Assert.All(BatchVerdicts(batch, items), Assert.True);
        // The same instance again, in trustee-major order (every R a point of its own).
        var byTrustee = items.Select((x, i) => (x, i)).OrderBy(p => p.i % 5).ThenBy(p => p.i).Select(p => p.x).ToList();
        Assert.All(BatchVerdicts(batch, byTrustee), Assert.True);
        // Decided by the combined check alone: no share went to the single verifier.
        Assert.Equal(0, batch.SingleVerifications);
    }

    [Fact]
    public void One_bad_share_among_many_costs_a_few_single_verifications()
    {
        var items = Honest(ballots: 52, trustees: 5); // 260 shares
        items[137] = Corrupt(items[137], 0, default, new Random(1));
        var batch = new DleqBatch(Election, items.Count);
        var verdicts = BatchVerdicts(batch, items);
        for (int i = 0; i < items.Count; i++) Assert.Equal(i != 137, verdicts[i]);
        // Halving 260 down to parts of two: the bad share's part, and at most its sibling.
        Assert.InRange(batch.SingleVerifications, 1, 4);
    }

    /// <summary>
    /// The property: for random batches with 0, 1, 2, several or all shares corrupted in any of
    /// the ways of <see cref="Corrupt"/>, each verdict equals the single verifier's, every
    /// corrupted share is refused and every intact one passes.
    /// </summary>
    [Fact]
    public void Verdicts_equal_the_single_verifier_with_any_number_of_corrupted_shares()
    {
        var batch = new DleqBatch(Election, 64);
        var rng = new Random(20261207);
        var other = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
        int round = 0;
        foreach (int bad in new[] { 0, 1, 2, 3, 7, -1 })
        {
            for (int rep = 0; rep < 4; rep++, round++)
            {
                int ballots = 3 + rng.Next(10), trustees = 1 + rng.Next(5);
                var items = Honest(ballots, trustees);
                int n = items.Count;
                int corruptCount = bad < 0 ? n : Math.Min(bad, n);
                var corrupted = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(corruptCount).ToHashSet();
                foreach (int i in corrupted)
                {
                    items[i] = Corrupt(items[i], (round + i) % Kinds, OtherBallotsR(items, i, other), rng);
                }
                var verdicts = BatchVerdicts(batch, items);
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(Single(items[i]), verdicts[i]);
                    Assert.Equal(!corrupted.Contains(i), verdicts[i]);
                }
            }
        }

        static RistrettoPoint OtherBallotsR(List<Item> items, int i, RistrettoPoint fallback) =>
            items.FirstOrDefault(x => x.R != items[i].R)?.R ?? fallback;
    }

    [Fact]
    public void Identity_key_or_ephemeral_fails_that_share_only()
    {
        var items = Honest(ballots: 4, trustees: 2);
        items[1] = items[1] with { Y = RistrettoPoint.Identity };
        items[6] = items[6] with { R = RistrettoPoint.Identity };
        var verdicts = BatchVerdicts(new DleqBatch(Election, 8), items);
        for (int i = 0; i < items.Count; i++) Assert.Equal(i is not 1 and not 6, verdicts[i]);
    }

    [Fact]
    public void A_share_for_another_election_is_refused()
    {
        var items = Honest(ballots: 6, trustees: 3);
        Assert.All(BatchVerdicts(new DleqBatch(Guid.NewGuid(), 32), items), Assert.False);
    }

    [Fact]
    public void A_full_batch_refuses_one_more_and_a_reused_batch_allocates_nothing()
    {
        var items = Honest(ballots: 8, trustees: 2);
        var batch = new DleqBatch(Election, items.Count);
        for (int i = 0; i < items.Count; i++) batch.Add(items[i].Y, items[i].R, items[i].Share, i);
        Assert.True(batch.IsFull);
        Assert.Throws<InvalidOperationException>(() => batch.Add(items[0].Y, items[0].R, items[0].Share, 0));
        batch.Verify(out _);

        // One corrupted share, so the bisection runs too.
        var bad = (byte[])items[5].Share.Clone();
        bad[^2] ^= 1;
        var shares = items.Select(x => x.Share).ToArray();
        shares[5] = bad;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int failed = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < items.Count; i++) batch.Add(items[i].Y, items[i].R, shares[i], i);
            var verdicts = batch.Verify(out _);
            foreach (bool v in verdicts) failed += v ? 0 : 1;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3, failed);
    }

    [Fact]
    public void Decoded_shares_are_verified_like_their_encodings()
    {
        var items = Honest(ballots: 5, trustees: 3);
        var batch = new DleqBatch(Election, 32);
        for (int i = 0; i < items.Count; i++)
        {
            Assert.True(DecryptionShare.TryDecode(items[i].Share, out var share));
            if (i == 4) share.Share += RistrettoPoint.Generator;
            batch.Add(items[i].Y, items[i].R, share, i);
        }
        var verdicts = batch.Verify(out var tags);
        for (int k = 0; k < verdicts.Length; k++) Assert.Equal(tags[k] != 4, verdicts[k]);
    }

    /// <summary>Pippenger's sum against the Straus multiplication, for counts around its window choices and scalars of every length it is told.</summary>
    [Fact]
    public void Pippenger_equals_Straus()
    {
        var rng = new Random(7);
        foreach (int n in new[] { 1, 2, 3, 17, 64, 300 })
        {
            var points = new RistrettoPoint[n];
            var scalars = new RistrettoScalar[n];
            var bits = new byte[n];
            var niels = new AffineNiels[n];
            for (int i = 0; i < n; i++)
            {
                points[i] = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
                niels[i] = AffineNiels.FromAffine(RistrettoVartime.ToEdwards(points[i]));
                int kind = rng.Next(4);
                var bytes = new byte[32];
                if (kind == 0) { rng.NextBytes(bytes.AsSpan(0, 16)); bits[i] = 128; }
                else if (kind == 1) { bytes[0] = (byte)rng.Next(3); bits[i] = 2; } // 0, 1, 2
                else if (kind == 2) { RistrettoScalar.FromBigInteger(RistrettoScalar.OrderValue - 1).Encode(bytes); bits[i] = 253; }
                else { RistrettoScalar.Random().Encode(bytes); bits[i] = 253; }
                Assert.True(RistrettoScalar.TryDecode(bytes, out scalars[i]));
            }
            var msm = new RistrettoPippenger(n);
            var sum = RistrettoVartime.ToRistrettoPoint(msm.Multiply(scalars, bits, niels));
            Assert.Equal(RistrettoVartime.MultiScalarMultiply(scalars, points), sum);
        }
    }
}
