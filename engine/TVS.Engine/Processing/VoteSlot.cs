using System.Runtime.InteropServices;
using TVS.Crypto.Groth16;
using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Processing;

/// <summary>What a ring slot carries.</summary>
public enum SlotKind : byte
{
    /// <summary>One input record (a sealed vote, or whatever bytes arrived).</summary>
    Vote,

    /// <summary>The ingest thread's clock: lets the flush stage commit a partial batch when input is slow.</summary>
    Tick,

    /// <summary>
    /// Everything before it is made durable: the append stage fsyncs the MMR nodes, the flush stage
    /// commits its batch and signs a checkpoint. Always followed by a <see cref="Checkpoint"/>.
    /// </summary>
    Sync,

    /// <summary>The commit stage checkpoints the nullifier store once the preceding Sync is durable.</summary>
    Checkpoint,
}

/// <summary>
/// One preallocated slot of the partition's ring. The record's bytes are not in the slot but in
/// the <see cref="SlotArena"/> (key, envelope, then room for the plaintext), so a slot stays a few
/// hundred bytes whatever the vote's size. Each stage writes only its own fields; the next stage
/// reads them after the ring's sequence hand-over, which orders the memory.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public struct VoteSlot
{
    // Written by the ingest thread.
    public SlotKind Kind;
    public long Offset;
    public long NextOffset;
    public long ArenaStart;
    public int KeyLength;
    public int ValueLength;
    public long ReadTimestamp;

    // Open stage.
    public int PlaintextLength;
    public VoteRecord Record;
    public VerifyingKey? Key;

    // Every stage may refuse: the first refusal stands.
    public VoteRejectReason Reason;

    // Pre-check stage: the nullifier was already accepted, the proof need not be checked.
    public bool KnownNullifier;

    // Verify stage (for a vote still accepted): RFC 9162 leaf hash of the plaintext record.
    public Hash256 LeafHash;

    // Commit stage: the accepted vote's MMR index; for a Checkpoint marker, the checkpoint taken.
    public long MmrIndex;
    public NullifierCheckpoint NullifierCheckpoint;

    // Append stage: the MMR after this slot, set on the last slot of each append batch and on markers.
    public bool HasRoot;
    public long MmrSizeAfter;
    public Hash256 MmrRootAfter;

    /// <summary>True for a vote slot that no stage has refused so far.</summary>
    public readonly bool IsLiveVote => Kind == SlotKind.Vote && Reason.IsAccepted;
}
