using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Engine.Votes;

/// <summary>
/// The rule every verifier of votes follows (the engine's verify stage, admission's single check,
/// <c>tvs verify</c>, the demo's baseline): a vote's proof is the record's 256 proof bytes (the G2 subgroup test
/// included), checked against the Semaphore signals derived from the record itself and the
/// election (<see cref="SemaphoreSignals"/>). Allocation-free.
/// </summary>
public static class VoteProofs
{
    /// <summary>
    /// Reads the proof of <paramref name="plaintext"/> (parsed as <paramref name="record"/>),
    /// derives its signals into the batch and adds it under <paramref name="tag"/>. Returns why
    /// the proof does not decode (nothing added), or <see cref="VerifyError.None"/>.
    /// </summary>
    public static VerifyError TryAdd(ProofBatch batch, VerifyingKey key, ReadOnlySpan<byte> plaintext, in VoteRecord record, in Fr scopeHash, int tag)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var e = VoteRecord.ReadProof(plaintext, out var proof);
        if (e != VerifyError.None)
        {
            return e;
        }
        SemaphoreSignals.Compute(record.Root, record.Nullifier, record.Ballot(plaintext), scopeHash, batch.NextSignals);
        batch.Add(key, proof, tag);
        return VerifyError.None;
    }

    /// <summary>The same rule for one vote: its proof decoded and verified alone against the derived signals.</summary>
    public static VerifyError Verify(VerifyingKey key, ReadOnlySpan<byte> plaintext, in VoteRecord record, in Fr scopeHash)
    {
        var e = VoteRecord.ReadProof(plaintext, out var proof);
        if (e != VerifyError.None)
        {
            return e;
        }
        Span<Fr> signals = stackalloc Fr[SemaphoreSignals.Count];
        SemaphoreSignals.Compute(record.Root, record.Nullifier, record.Ballot(plaintext), scopeHash, signals);
        return Groth16Verifier.Verify(key, proof, signals);
    }

    /// <summary>A proof batch whose signal buffers fit votes' signals.</summary>
    public static ProofBatch NewBatch(int capacity) => new(capacity, SemaphoreSignals.Count);
}
