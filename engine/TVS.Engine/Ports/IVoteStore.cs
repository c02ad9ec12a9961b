using TVS.Merkle;

namespace TVS.Engine.Ports;

/// <summary>
/// What a partition has durably committed: everything of the input before <see cref="NextOffset"/>
/// has its verdict stored (accepted rows, dead letters) and the MMR has <see cref="MmrSize"/>
/// leaves with root <see cref="MmrRoot"/>. Written in the same transaction as the batch's rows
/// (docs/design.md, "Durability and recovery").
/// </summary>
public readonly record struct PartitionProgress(long NextOffset, long MmrSize, Hash256 MmrRoot, long Accepted, long Rejected)
{
    /// <summary>Nothing committed yet: input from the start, empty MMR.</summary>
    public static PartitionProgress Empty => new(0, 0, Rfc9162.EmptyRoot, 0, 0);
}

/// <summary>
/// The flush stage's store of accepted votes and of the partition's progress (PostgreSQL rows in
/// production, a local append-only file embedded). Called once per batch, from the flush thread.
/// </summary>
public interface IVoteStore : IDisposable
{
    /// <summary>The last committed progress, <see cref="PartitionProgress.Empty"/> if none.</summary>
    PartitionProgress LoadProgress();

    /// <summary>
    /// Stores the batch's accepted votes and <paramref name="progress"/> atomically: after a crash
    /// either both are there or neither. Returns only when they are durable; throws on failure
    /// (the engine retries the same batch, so a commit must be idempotent).
    /// </summary>
    void Commit(VoteBatch batch, in PartitionProgress progress);
}

/// <summary>
/// Immutable batch objects (S3 in production, files embedded), written before the batch's rows:
/// <c>elections/{election}/p{partition}/{first}-{last}</c>, see docs/formats.md "Batch object".
/// </summary>
public interface IBlobSink : IDisposable
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/> durably; the same key and content again is a no-op.</summary>
    void Put(string key, ReadOnlySpan<byte> content);
}

/// <summary>
/// The dead-letter output (Kafka <c>votes.rejected</c> in production, a local file embedded):
/// every refused record with its original bytes and its reason. Written before the batch's
/// progress commits; a record may be written again after a crash (same input offset), never lost.
/// </summary>
public interface IDeadLetterSink : IDisposable
{
    void Write(VoteBatch batch);
}

/// <summary>Where signed checkpoints go (the bulletin board): a local file embedded.</summary>
public interface ICheckpointSink : IDisposable
{
    /// <summary>Publishes one signed note (C2SP tlog-checkpoint) for <paramref name="size"/> leaves.</summary>
    void Publish(long size, string signedNote);
}
