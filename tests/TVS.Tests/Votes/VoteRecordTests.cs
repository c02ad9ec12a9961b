using System.Buffers;
using System.Buffers.Binary;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;
using TVS.Engine.Votes;

namespace TVS.Tests.Votes;

public class VoteRecordTests : IClassFixture<VoteTestKit>
{
    private readonly VoteTestKit _kit;

    public VoteRecordTests(VoteTestKit kit) => _kit = kit;

    private static readonly byte[] FpModulusBe = Convert.FromHexString("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47");
    private static readonly byte[] FrModulusBe = Convert.FromHexString("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001");

    [Fact]
    public void Layout_is_the_documented_one()
    {
        var v = _kit.MakeVote();
        var p = v.Plaintext;
        Assert.Equal(347 + v.Ballot.Length, p.Length);
        Assert.Equal("TVSV"u8.ToArray(), p[..4]);
        Assert.Equal(1, p[4]);
        Assert.Equal(0, p[5]);
        Assert.Equal(Convert.FromHexString("6f1c2b9e8d4a4e3b9a7c2f5e1d0b3a94"), p[6..22]);
        Assert.Equal(VoteTestKit.Depth, p[22]);
        var rootBe = new byte[32];
        _kit.Root.WriteBigEndian(rootBe);
        Assert.Equal(rootBe, p[23..55]);
        Assert.Equal(v.Key, p[55..87]);
        var proofBytes = new byte[256];
        v.Proof.Write(proofBytes);
        Assert.Equal(proofBytes, p[87..343]);
        Assert.Equal((uint)v.Ballot.Length, BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(343)));
        Assert.Equal(v.Ballot, p[347..]);
        Assert.Equal(p.Length + HpkeEnvelope.Overhead, v.Envelope.Length);
    }

    [Fact]
    public void Round_trip_seal_open_parse_verify()
    {
        var v = _kit.MakeVote();
        var buffer = new byte[VoteRecord.MaxPlaintext];
        var reason = _kit.Opener.Open(v.Key, v.Envelope, buffer, out var record, out int n);
        Assert.True(reason.IsAccepted, reason.Code());
        Assert.Equal(v.Plaintext.Length, n);
        Assert.Equal(_kit.Election, record.ElectionId);
        Assert.Equal(VoteTestKit.Depth, record.Depth);
        Assert.Equal(_kit.Root, record.Root);
        Assert.Equal(v.Nullifier, record.Nullifier);
        Assert.True(record.NullifierEquals(v.Key));
        Assert.Equal(v.Ballot, record.Ballot(buffer).ToArray());
        Assert.Equal(VoteRejectReason.None, _kit.Admission.Verify(record, buffer.AsSpan(0, n)));
    }

    [Fact]
    public void The_largest_record_is_one_tlog_tiles_entry()
    {
        // A record is published whole as one entry of the board's bundles (uint16 length).
        Assert.Equal(65_188, VoteRecord.MaxBallot);
        Assert.Equal(TVS.Merkle.Tiles.TileBuilder.MaxEntry, VoteRecord.MaxPlaintext);
        Assert.Equal(65_583, VoteRecord.MaxEnvelope);
        Assert.Equal(VoteRecord.MaxBallot, TVS.Crypto.Threshold.BallotCipher.MaxBallotBytes);

        var v = _kit.MakeVote(new byte[VoteRecord.MaxBallot]);
        Assert.Equal(VoteRecord.MaxPlaintext, v.Plaintext.Length);
        Assert.Equal(VoteRecord.MaxEnvelope, v.Envelope.Length);
        var buffer = new byte[VoteRecord.MaxPlaintext];
        var reason = _kit.Opener.Open(v.Key, v.Envelope, buffer, out _, out int n);
        Assert.True(reason.IsAccepted, reason.Code());
        Assert.Equal(VoteRecord.MaxPlaintext, n);
        TVS.Merkle.Tiles.TileBuilder.Empty().Append(buffer.AsSpan(0, n), new NullSink());
        Assert.Throws<ArgumentOutOfRangeException>(() => _kit.MakeVote(new byte[VoteRecord.MaxBallot + 1]));
    }

    private sealed class NullSink : TVS.Merkle.Tiles.ITileSink
    {
        public void Write(string path, ReadOnlySpan<byte> content)
        {
        }
    }

    [Fact]
    public void The_proof_binds_the_ballot()
    {
        var v = _kit.MakeVote();
        var forged = (byte[])v.Plaintext.Clone();
        forged[^1] ^= 0x01;
        var reason = _kit.Process(v.Key, _kit.Seal(v.Key, forged));
        Assert.Equal(VoteRejectReason.Proof(VerifyError.PairingCheckFailed), reason);
        Assert.Equal("bad_proof", reason.Code());
    }

    [Fact]
    public void Changing_the_clear_key_fails_to_open()
    {
        var v = _kit.MakeVote();
        for (int i = 0; i < 32; i += 7)
        {
            var key = (byte[])v.Key.Clone();
            key[i] ^= 0x40;
            Assert.Equal(VoteRejectReason.Envelope, _kit.Process(key, v.Envelope));
        }
    }

    private byte[] Mutate(Action<byte[]> change, out byte[] key)
    {
        var v = _kit.MakeVote();
        var p = (byte[])v.Plaintext.Clone();
        change(p);
        key = v.Key;
        return p;
    }

    public static TheoryData<string> MalformedCases() =>
    [
        "magic", "version", "flags", "depth0", "depth33", "root_ge_r", "root_all_ones", "nullifier_ge_r",
        "ballot_len0", "ballot_len_too_big", "ballot_len_huge", "trailing", "truncated", "header_only",
    ];

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void Malformed_records(string what)
    {
        var v = _kit.MakeVote();
        var p = v.Plaintext.ToList();
        switch (what)
        {
            case "magic": p[0] = (byte)'X'; break;
            case "version": p[4] = 2; break;
            case "flags": p[5] = 0x80; break;
            case "depth0": p[22] = 0; break;
            case "depth33": p[22] = 33; break;
            case "root_ge_r": p.RemoveRange(23, 32); p.InsertRange(23, FrModulusBe); break;
            case "root_all_ones": for (int i = 23; i < 55; i++) p[i] = 0xff; break;
            case "nullifier_ge_r": p.RemoveRange(55, 32); p.InsertRange(55, FrModulusBe); break;
            case "ballot_len0": SetLen(p, 0); break;
            case "ballot_len_too_big": SetLen(p, VoteRecord.MaxBallot + 1); break;
            case "ballot_len_huge": SetLen(p, uint.MaxValue); break;
            case "trailing": p.Add(0); break;
            case "truncated": p.RemoveAt(p.Count - 1); break;
            case "header_only": p.RemoveRange(347, p.Count - 347); break;
        }
        var plaintext = p.ToArray();
        Assert.False(VoteRecord.TryParse(plaintext, out _, out var reason));
        Assert.Equal(VoteRejectReason.Malformed, reason);
        Assert.Equal("malformed", reason.Code());
        // The same through the envelope (a sealed nullifier ≥ r cannot match a clear key, so the clear key is kept).
        Assert.Equal(VoteRejectReason.Malformed, _kit.Process(v.Key, _kit.Seal(v.Key, plaintext)));

        static void SetLen(List<byte> p, uint len)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, len);
            for (int i = 0; i < 4; i++) p[343 + i] = b[i];
        }
    }

    [Fact]
    public void Malformed_outer_framing()
    {
        var v = _kit.MakeVote();
        var buffer = new byte[VoteRecord.MaxPlaintext];
        Assert.Equal(VoteRejectReason.Malformed, _kit.Opener.Open(v.Key.AsSpan(1), v.Envelope, buffer, out _, out _));
        Assert.Equal(VoteRejectReason.Malformed, _kit.Opener.Open([.. v.Key, 0], v.Envelope, buffer, out _, out _));
        Assert.Equal(VoteRejectReason.Malformed, _kit.Opener.Open(v.Key, new byte[VoteRecord.MaxEnvelope + 1], buffer, out _, out _));
        Assert.Equal(VoteRejectReason.Malformed, _kit.Opener.Open(v.Key, v.Envelope.AsSpan(0, 347 + 48), buffer, out _, out _));
        Assert.Equal(VoteRejectReason.Malformed, _kit.Opener.Open(v.Key, [], buffer, out _, out _));
    }

    [Fact]
    public void Envelope_reasons()
    {
        var v = _kit.MakeVote();
        // Sealed to another ingest key.
        using var other = HpkePrivateKey.Generate();
        var wrongKey = VoteSealer.SealPlaintext(other.PublicKey, _kit.Election, v.Key, v.Plaintext);
        Assert.Equal(VoteRejectReason.Envelope, _kit.Process(v.Key, wrongKey));
        // Sealed for another election (info differs), even with the same ingest key.
        var otherElection = VoteSealer.SealPlaintext(_kit.IngestKey.PublicKey, Guid.NewGuid(), v.Key, v.Plaintext);
        Assert.Equal(VoteRejectReason.Envelope, _kit.Process(v.Key, otherElection));
        // Tampered ciphertext, tag, enc.
        foreach (int i in new[] { 0, 31, 32, 100, v.Envelope.Length - 1 })
        {
            var t = (byte[])v.Envelope.Clone();
            t[i] ^= 1;
            Assert.Equal(VoteRejectReason.Envelope, _kit.Process(v.Key, t));
        }
        Assert.Equal("envelope", VoteRejectReason.Envelope.Code());
    }

    [Fact]
    public void Nullifier_mismatch()
    {
        var v = _kit.MakeVote();
        var otherKey = new byte[32];
        SimulatedSetup.RandomNonZero().WriteBigEndian(otherKey);
        // Correctly sealed under (aad =) the other key, but the sealed nullifier is v's.
        var reason = _kit.Process(otherKey, _kit.Seal(otherKey, v.Plaintext));
        Assert.Equal(VoteRejectReason.NullifierMismatch, reason);
        Assert.Equal("nullifier_mismatch", reason.Code());
    }

    [Fact]
    public void Wrong_election()
    {
        var p = Mutate(p => Guid.NewGuid().TryWriteBytes(p.AsSpan(6, 16), bigEndian: true, out _), out var key);
        var reason = _kit.Process(key, _kit.Seal(key, p));
        Assert.Equal(VoteRejectReason.WrongElection, reason);
        Assert.Equal("wrong_election", reason.Code());
    }

    [Fact]
    public void Unknown_depth_and_unknown_root()
    {
        var p = Mutate(p => p[22] = 20, out var key);
        var reason = _kit.Process(key, _kit.Seal(key, p));
        Assert.Equal(VoteRejectReason.UnknownDepth, reason);
        Assert.Equal("unknown_depth", reason.Code());

        p = Mutate(p => SimulatedSetup.RandomNonZero().WriteBigEndian(p.AsSpan(23, 32)), out key);
        reason = _kit.Process(key, _kit.Seal(key, p));
        Assert.Equal(VoteRejectReason.UnknownRoot, reason);
        Assert.Equal("unknown_root", reason.Code());
    }

    public static TheoryData<string, string> ProofCases() => new()
    {
        { "a_x_is_p", "non_canonical" },
        { "a_not_on_curve", "not_on_curve" },
        { "a_infinity", "infinity" },
        { "b_not_in_subgroup", "not_in_subgroup" },
        { "a_negated", "bad_proof" },
    };

    [Theory]
    [MemberData(nameof(ProofCases))]
    public void Proof_reasons(string what, string code)
    {
        var p = Mutate(p =>
        {
            var a = p.AsSpan(87, 64);
            switch (what)
            {
                case "a_x_is_p": FpModulusBe.CopyTo(a); break;
                case "a_not_on_curve": a.Clear(); a[31] = 1; a[63] = 1; break;
                case "a_infinity": a.Clear(); break;
                case "b_not_in_subgroup": TwistPointOutsideG2().CopyTo(p.AsSpan(87 + 64, 128)); break;
                case "a_negated":
                    // (x, p − y): still on the curve, the pairing equation fails.
                    var y = Fp.FromBigInteger(new System.Numerics.BigInteger(a[32..], isUnsigned: true, isBigEndian: true));
                    (-y).WriteBigEndian(a[32..]);
                    break;
            }
        }, out var key);
        var reason = _kit.Process(key, _kit.Seal(key, p));
        Assert.Equal(VoteRejectKind.Proof, reason.Kind);
        Assert.Equal(code, reason.Code());
    }

    /// <summary>A point on the twist E'(Fp2) that is not in G2: random, not cofactor-cleared.</summary>
    private static byte[] TwistPointOutsideG2()
    {
        var rng = new Random(7);
        while (true)
        {
            var q = TVS.Tests.Bn254.CurveTests.RandomTwistPoint(rng);
            if (!q.IsInSubgroup())
            {
                var b = new byte[128];
                PointEncoding.WriteG2(q, b);
                return b;
            }
        }
    }

    [Fact]
    public void Duplicate_code()
    {
        Assert.Equal("duplicate", VoteRejectReason.Duplicate.Code());
        Assert.Equal("ok", VoteRejectReason.None.Code());
        Assert.Equal(VoteRejectReason.None, VoteRejectReason.Proof(VerifyError.None));
    }

    [Fact]
    public void Fuzz_plaintext_mutations_never_throw_and_never_pass()
    {
        var v = _kit.MakeVote();
        var rng = new Random(12345);
        var buffer = new byte[v.Plaintext.Length + 8];
        for (int iter = 0; iter < 5000; iter++)
        {
            int len = v.Plaintext.Length;
            v.Plaintext.CopyTo(buffer, 0);
            bool changed = false;
            int mutations = 1 + rng.Next(3);
            for (int m = 0; m < mutations; m++)
            {
                int pos = rng.Next(len);
                byte x = (byte)(1 + rng.Next(255));
                buffer[pos] ^= x;
                changed = true;
            }
            if (rng.Next(20) == 0) len = rng.Next(buffer.Length + 1); // truncate or extend
            changed |= len != v.Plaintext.Length;
            if (!buffer.AsSpan(0, len).SequenceEqual(v.Plaintext)) Assert.True(changed);
            else continue;

            var span = buffer.AsSpan(0, len);
            bool framing = len < VoteRecord.HeaderSize
                || !span[..6].SequenceEqual(v.Plaintext.AsSpan(0, 6))
                || span[22] != v.Plaintext[22]
                || !span[343..347].SequenceEqual(v.Plaintext.AsSpan(343, 4));
            // Magic, version, flags, depth and ballot length: the parser alone refuses (depth may
            // land on another valid depth, which then has no key).
            if (framing && VoteRecord.TryParse(span, out var parsed, out _)) Assert.NotEqual(VoteTestKit.Depth, parsed.Depth);
            var reason = _kit.ProcessPlaintext(v.Key, span);
            Assert.False(reason.IsAccepted, $"iteration {iter} accepted");
            // Sequence reader agrees with the span parser on the fixed fields.
            var seq = new ReadOnlySequence<byte>(buffer, 0, len);
            _ = VoteRecord.TryRead(ref seq, out _, out _);
        }
    }

    [Fact]
    public void Fuzz_envelope_mutations_never_throw_and_never_open()
    {
        var v = _kit.MakeVote();
        var rng = new Random(54321);
        var env = new byte[v.Envelope.Length + 4];
        var key = new byte[32];
        var plaintext = new byte[VoteRecord.MaxPlaintext];
        for (int iter = 0; iter < 5000; iter++)
        {
            v.Envelope.CopyTo(env, 0);
            v.Key.CopyTo(key, 0);
            int len = v.Envelope.Length;
            int mutations = 1 + rng.Next(2);
            for (int m = 0; m < mutations; m++)
            {
                if (rng.Next(8) == 0) key[rng.Next(32)] ^= (byte)(1 + rng.Next(255));
                else env[rng.Next(len)] ^= (byte)(1 + rng.Next(255));
            }
            if (rng.Next(20) == 0) len = rng.Next(env.Length + 1);
            var reason = _kit.Opener.Open(key, env.AsSpan(0, len), plaintext, out _, out _);
            Assert.True(reason == VoteRejectReason.Envelope || reason == VoteRejectReason.Malformed, $"iteration {iter}: {reason.Code()}");
        }
    }

    [Fact]
    public void Sequence_reader_reads_back_to_back_records_across_segments()
    {
        var v1 = _kit.MakeVote("first ballot"u8.ToArray());
        var v2 = _kit.MakeVote(new byte[1000]);
        var stream = v1.Plaintext.Concat(v2.Plaintext).ToArray();
        foreach (var cuts in new[] { Array.Empty<int>(), [1], [5, 200], [346, 347, 348], [100, 358, 400, 700], Enumerable.Range(1, stream.Length - 1).Where(i => i % 97 == 0).ToArray() })
        {
            var buffer = VoteTestKit.Segmented(stream, cuts);
            var start = buffer;
            Assert.Equal(VoteParseResult.Complete, VoteRecord.TryRead(ref buffer, out var r1));
            Assert.Equal(v1.Ballot, r1.Ballot(start).ToArray());
            Assert.Equal(v1.Nullifier, r1.Nullifier);
            start = buffer;
            Assert.Equal(VoteParseResult.Complete, VoteRecord.TryRead(ref buffer, out var r2));
            Assert.Equal(v2.Ballot, r2.Ballot(start).ToArray());
            Assert.Equal(v2.Nullifier, r2.Nullifier);
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Sequence_reader_incomplete_and_early_refusal()
    {
        var v = _kit.MakeVote();
        for (int n = 0; n < v.Plaintext.Length; n += 13)
        {
            var buffer = VoteTestKit.Segmented(v.Plaintext[..n], n / 2);
            var before = buffer;
            Assert.Equal(VoteParseResult.Incomplete, VoteRecord.TryRead(ref buffer, out _, out var reason));
            Assert.True(reason.IsAccepted);
            Assert.Equal(before, buffer);
        }
        // A wrong magic is refused from its first bytes, without waiting for the header.
        var bad = VoteTestKit.Segmented("TVSX"u8.ToArray());
        Assert.Equal(VoteParseResult.Invalid, VoteRecord.TryRead(ref bad, out _, out var r));
        Assert.Equal(VoteRejectReason.Malformed, r);
        // An oversized ballot length is refused once the fixed part is there, not buffered for.
        var header = v.Plaintext[..VoteRecord.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(343), VoteRecord.MaxBallot + 1);
        var big = VoteTestKit.Segmented(header, 100);
        Assert.Equal(VoteParseResult.Invalid, VoteRecord.TryRead(ref big, out _, out r));
        Assert.Equal(VoteRejectReason.Malformed, r);
    }

    [Fact]
    public void Open_and_parse_allocate_nothing_in_steady_state()
    {
        var v = _kit.MakeVote();
        var buffer = new byte[VoteRecord.MaxPlaintext];
        var seq = new ReadOnlySequence<byte>(v.Plaintext);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(_kit.Opener.Open(v.Key, v.Envelope, buffer, out _, out _).IsAccepted);
            var s = seq;
            Assert.Equal(VoteParseResult.Complete, VoteRecord.TryRead(ref s, out _));
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            var reason = _kit.Opener.Open(v.Key, v.Envelope, buffer, out var record, out _);
            if (!reason.IsAccepted || record.BallotLength != v.Ballot.Length) Assert.Fail("open failed");
            var s = seq;
            if (VoteRecord.TryRead(ref s, out _) != VoteParseResult.Complete) Assert.Fail("read failed");
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
