using TVS.Merkle;

namespace TVS.Engine.Ports;

/// <summary>Why a witness did not cosign.</summary>
public enum WitnessFailure
{
    /// <summary>Cosigned.</summary>
    None,

    /// <summary>409: the old size is not the witness's latest cosigned size; retry from <see cref="WitnessResult.LatestSize"/> with a proof from it.</summary>
    Conflict,

    /// <summary>422: the consistency proof does not verify, or a fork (same size, other root): the witness will not cosign this tree, ever.</summary>
    Inconsistent,

    /// <summary>403/404: the witness does not know this log, or the log's signature does not verify with the key it trusts.</summary>
    Refused,

    /// <summary>400 or another 4xx: the request was malformed.</summary>
    BadRequest,

    /// <summary>Network error, timeout or 5xx: retry later.</summary>
    Unavailable,

    /// <summary>200 without a valid cosignature by the witness's key: the witness misbehaves or is misconfigured.</summary>
    BadResponse,
}

/// <summary>The answer of one add-checkpoint call.</summary>
/// <param name="CosignatureLines">On success, the witness's verified cosignature line(s), each ending in "\n", ready for <see cref="Cosignatures.AddSignatureLines"/>.</param>
/// <param name="LatestSize">On <see cref="WitnessFailure.Conflict"/>, the witness's latest cosigned size.</param>
public sealed record WitnessResult(WitnessFailure Failure, string? CosignatureLines, long? LatestSize, int? Status, string? Detail)
{
    public bool Ok => Failure == WitnessFailure.None;

    public static WitnessResult Cosigned(string lines) => new(WitnessFailure.None, lines, null, 200, null);
}

/// <summary>
/// One checkpoint witness as the board publisher sees it (C2SP tlog-witness add-checkpoint).
/// The publisher remembers, per witness, the size it last had cosigned (0 at first); it calls
/// with that size and the consistency proof from it to the new checkpoint, and on
/// <see cref="WitnessFailure.Conflict"/> calls again from <see cref="WitnessResult.LatestSize"/>.
/// The adapter is TVS.Witness's WitnessClient (HTTP).
/// </summary>
public interface ICheckpointWitness
{
    /// <summary>The witness's cosignature key (from election.json's witnesses).</summary>
    CosignatureVerifier Key { get; }

    /// <summary>Asks the witness to cosign <paramref name="signedNote"/> (signed by the log) given a proof from <paramref name="oldSize"/>.</summary>
    Task<WitnessResult> AddCheckpointAsync(long oldSize, IReadOnlyList<Hash256> proof, string signedNote, CancellationToken cancel = default);
}
