using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.Merkle;

namespace TVS.Engine.Board;

/// <summary>What one round of <see cref="CheckpointCosigner.CosignAsync"/> got.</summary>
/// <param name="Note">The signed note with every verified cosignature added.</param>
/// <param name="Check">The note against the election's witness policy (<see cref="CosignatureCheck.Met"/>: quorum reached).</param>
/// <param name="Results">Each witness's last answer, in the policy's order of <see cref="ICheckpointWitness"/>s given.</param>
public sealed record CosignOutcome(string Note, CosignatureCheck Check, IReadOnlyList<(ICheckpointWitness Witness, WitnessResult Result)> Results);

/// <summary>
/// The seam between the board publisher and the witnesses (issue #17): asks every witness of one
/// log (one partition's origin) to cosign a signed checkpoint, in parallel, and adds the verified
/// cosignatures to the note. It remembers per witness the size that witness last cosigned (0 at
/// first); a 409 teaches it the witness's real size (after a restart of the publisher) and the
/// call is retried once with a proof from that size. Not thread-safe: one caller per log.
/// </summary>
internal sealed class CheckpointCosigner
{
    private readonly IReadOnlyList<ICheckpointWitness> _witnesses;
    private readonly WitnessPolicy _policy;
    private readonly Dictionary<ICheckpointWitness, long> _sizes = [];

    public CheckpointCosigner(IReadOnlyList<ICheckpointWitness> witnesses, WitnessPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(witnesses);
        _witnesses = witnesses;
        _policy = policy;
    }

    /// <summary>The size each witness last cosigned, as far as this publisher knows.</summary>
    public long LastCosignedSize(ICheckpointWitness witness) => _sizes.GetValueOrDefault(witness);

    /// <param name="signedNote">The checkpoint note signed by the log.</param>
    /// <param name="proof">RFC 9162 consistency proof (old, new) for 1 ≤ old &lt; new (e.g. <c>MerkleMountainRange.GetConsistencyProof</c> or a tile-backed node store's).</param>
    public async Task<CosignOutcome> CosignAsync(string signedNote, Func<long, long, IReadOnlyList<Hash256>> proof, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(proof);
        long size = Checkpoint.Parse(SignedNote.Parse(signedNote).Text).Size;
        IReadOnlyList<Hash256> ProofFrom(long old) => old == 0 || old >= size ? [] : proof(old, size);

        async Task<WitnessResult> One(ICheckpointWitness w)
        {
            long old = Math.Min(_sizes.GetValueOrDefault(w), size);
            WitnessResult r = await w.AddCheckpointAsync(old, ProofFrom(old), signedNote, cancel).ConfigureAwait(false);
            if (r.Failure == WitnessFailure.Conflict && r.LatestSize is long latest && latest <= size)
            {
                r = await w.AddCheckpointAsync(latest, ProofFrom(latest), signedNote, cancel).ConfigureAwait(false);
            }
            return r;
        }

        WitnessResult[] results = await Task.WhenAll(_witnesses.Select(One)).ConfigureAwait(false);
        string note = signedNote;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Ok)
            {
                _sizes[_witnesses[i]] = size;
                note = Cosignatures.AddSignatureLines(note, results[i].CosignatureLines!);
            }
            else if (results[i].Failure == WitnessFailure.Conflict && results[i].LatestSize is long latest)
            {
                _sizes[_witnesses[i]] = latest; // ahead of this checkpoint: a later one will do
            }
        }
        return new CosignOutcome(note, _policy.Check(note), _witnesses.Zip(results).ToList());
    }
}
