using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;

namespace TVS.Tests.Votes;

/// <summary>
/// The shared proof-batch helper (ProofBatch, VoteProofs) that the verify stage, tvs verify, the
/// demo and tvs zk verify use: a verdict per proof under its caller's tag, the same verdicts as
/// single verification, and nothing allocated once warm (the engine's hot path).
/// </summary>
public sealed class VoteProofsTests : IDisposable
{
    private readonly VoteTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private (byte[] Plaintext, VoteRecord Record)[] Votes(int count, params int[] tampered)
    {
        var votes = new (byte[], VoteRecord)[count];
        for (int i = 0; i < count; i++)
        {
            var plaintext = _kit.MakeVote().Plaintext;
            if (tampered.Contains(i))
            {
                plaintext[^1] ^= 0x01; // another ballot: the signals no longer match the proof
            }
            Assert.True(VoteRecord.TryParse(plaintext, out var record, out _));
            votes[i] = (plaintext, record);
        }
        return votes;
    }

    [Fact]
    public void Every_proof_gets_its_own_verdict_under_its_tag_as_single_verification_gives()
    {
        var votes = Votes(12, 2, 9);
        var batch = VoteProofs.NewBatch(16);
        for (int i = 0; i < votes.Length; i++)
        {
            Assert.Equal(VerifyError.None, VoteProofs.TryAdd(batch, _kit.Setup.Key, votes[i].Plaintext, votes[i].Record, _kit.Opener.ScopeHash, tag: 100 + i));
        }
        var verdicts = batch.Verify(out var tags).ToArray();
        var tagged = tags.ToArray();
        Assert.Equal(0, batch.Count);
        Assert.Equal(Enumerable.Range(100, 12), tagged);
        for (int k = 0; k < verdicts.Length; k++)
        {
            var (plaintext, record) = votes[tagged[k] - 100];
            Assert.Equal(VoteProofs.Verify(_kit.Setup.Key, plaintext, record, _kit.Opener.ScopeHash), verdicts[k]);
            Assert.Equal(k is 2 or 9 ? VerifyError.PairingCheckFailed : VerifyError.None, verdicts[k]);
        }
    }

    [Fact]
    public void One_proof_alone_is_verified_singly_and_an_undecodable_proof_is_not_added()
    {
        var votes = Votes(2, 1);
        var batch = VoteProofs.NewBatch(4);
        Assert.Equal(VerifyError.None, VoteProofs.TryAdd(batch, _kit.Setup.Key, votes[1].Plaintext, votes[1].Record, _kit.Opener.ScopeHash, tag: 7));
        var verdicts = batch.Verify(out var tags);
        Assert.Equal([VerifyError.PairingCheckFailed], verdicts.ToArray());
        Assert.Equal([7], tags.ToArray());

        var garbled = votes[0].Plaintext.ToArray();
        garbled.AsSpan(VoteRecord.ProofOffset, Proof.EncodedSize).Fill(0xFF);
        Assert.True(VoteRecord.TryParse(garbled, out var record, out _));
        Assert.NotEqual(VerifyError.None, VoteProofs.TryAdd(batch, _kit.Setup.Key, garbled, record, _kit.Opener.ScopeHash, tag: 8));
        Assert.Equal(0, batch.Count);
        Assert.Equal(0, batch.Verify(out _).Length);
    }

    [Fact]
    public void A_full_batch_refuses_another_proof()
    {
        var votes = Votes(2);
        var batch = VoteProofs.NewBatch(1);
        VoteProofs.TryAdd(batch, _kit.Setup.Key, votes[0].Plaintext, votes[0].Record, _kit.Opener.ScopeHash, tag: 0);
        Assert.True(batch.IsFull);
        Assert.Throws<InvalidOperationException>(() => VoteProofs.TryAdd(batch, _kit.Setup.Key, votes[1].Plaintext, votes[1].Record, _kit.Opener.ScopeHash, tag: 1));
    }

    [Fact]
    public void Gathering_and_verifying_a_batch_allocates_nothing_once_warm()
    {
        var votes = Votes(16, 5);
        var batch = VoteProofs.NewBatch(votes.Length);
        var key = _kit.Setup.Key;
        Fr scope = _kit.Opener.ScopeHash;
        int Round()
        {
            for (int i = 0; i < votes.Length; i++)
            {
                VoteProofs.TryAdd(batch, key, votes[i].Plaintext, votes[i].Record, scope, tag: i);
            }
            int refused = 0;
            foreach (var verdict in batch.Verify(out _))
            {
                refused += verdict == VerifyError.None ? 0 : 1;
            }
            return refused;
        }
        Assert.Equal(1, Round()); // warm: JIT, static tables, the verifier's buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        int refusedWarm = Round();
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(1, refusedWarm);
        Assert.Equal(0, after - before);
    }
}
