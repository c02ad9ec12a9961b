namespace TVS.Engine.Ports;

/// <summary>
/// A partition's nullifier set: nullifier → MMR index of the vote that used it. The engine's
/// commit stage is its single writer (<see cref="TryInsert"/>, <see cref="Checkpoint"/>,
/// <see cref="Recover"/>, always from one thread at a time); the pre-check stage reads it
/// concurrently (<see cref="TryGet"/>, from any number of other threads).
/// </summary>
/// <remarks>
/// <para>Hot-path shape: the engine is generic over the store
/// (<c>where TStore : class, INullifierStore</c> or a struct wrapper), so calls are direct, not
/// virtual; keys pass by <c>in</c> reference and results are small structs, so no call allocates.</para>
/// <para>Durability: inserts become durable only at <see cref="Checkpoint"/>. A checkpoint records
/// the caller's <c>coveredPosition</c> (the engine passes the input offset up to which the store
/// holds every nullifier) and the store's <see cref="Count"/>, which for the engine is the MMR size
/// (one nullifier per accepted vote); after a crash <see cref="Recover"/> returns the store to its
/// last completed checkpoint and hands both back, and the engine replays its input from there
/// (docs/design.md, Durability and recovery), re-inserting the same nullifiers with the same indexes.</para>
/// </remarks>
public interface INullifierStore : IDisposable
{
    /// <summary>Number of nullifiers inserted (including those not yet checkpointed).</summary>
    long Count { get; }

    /// <summary>The last completed checkpoint (the one <see cref="Recover"/> would return to), or <see cref="NullifierCheckpoint.None"/>.</summary>
    NullifierCheckpoint LastCheckpoint { get; }

    /// <summary>
    /// Looks a nullifier up. Read-only; safe from any thread concurrently with the writer. A key the
    /// writer is inserting at the same instant may or may not be seen; a key seen has its final value.
    /// </summary>
    bool TryGet(in Nullifier nullifier, out long mmrIndex);

    /// <summary>
    /// Inserts <paramref name="nullifier"/> → <paramref name="mmrIndex"/> if absent; if present,
    /// changes nothing and returns <see cref="InsertResult.Duplicate"/> with the stored index
    /// (first valid vote wins). Writer thread only.
    /// </summary>
    InsertResult TryInsert(in Nullifier nullifier, long mmrIndex);

    /// <summary>
    /// Makes every insert so far durable and records <paramref name="coveredPosition"/> with it;
    /// returns when the checkpoint is complete on disk. Writer thread only.
    /// </summary>
    NullifierCheckpoint Checkpoint(long coveredPosition);

    /// <summary>
    /// Discards every insert after the last completed checkpoint and returns that checkpoint
    /// (<see cref="NullifierCheckpoint.None"/> and an empty store if there is none). Writer thread
    /// only, with no reader running: the engine recovers before it starts its stages.
    /// </summary>
    NullifierCheckpoint Recover();
}

/// <summary>Outcome of <see cref="INullifierStore.TryInsert"/>.</summary>
public enum InsertOutcome : byte
{
    /// <summary>The nullifier was absent and is now stored with the given index.</summary>
    Inserted = 1,

    /// <summary>The nullifier was already stored; <see cref="InsertResult.ExistingMmrIndex"/> holds its index.</summary>
    Duplicate = 2,
}

/// <summary>Result of <see cref="INullifierStore.TryInsert"/>: a 16-byte value, no allocation.</summary>
public readonly record struct InsertResult(InsertOutcome Outcome, long ExistingMmrIndex)
{
    /// <summary>The insert succeeded.</summary>
    public static InsertResult Inserted => new(InsertOutcome.Inserted, -1);

    /// <summary>The nullifier was already stored at <paramref name="existingMmrIndex"/>.</summary>
    public static InsertResult Duplicate(long existingMmrIndex) => new(InsertOutcome.Duplicate, existingMmrIndex);

    /// <summary>True if the insert succeeded.</summary>
    public bool IsInserted => Outcome == InsertOutcome.Inserted;
}

/// <summary>
/// A completed checkpoint of a nullifier store: an opaque token naming it, the position the
/// caller said it covers (the engine: its input offset), and the number of nullifiers it holds
/// (the engine: the MMR size).
/// </summary>
public readonly record struct NullifierCheckpoint(Guid Token, long CoveredPosition, long Count)
{
    /// <summary>No checkpoint: an empty store covering nothing.</summary>
    public static NullifierCheckpoint None => default;

    /// <summary>True for <see cref="None"/>.</summary>
    public bool IsNone => Token == Guid.Empty;
}
