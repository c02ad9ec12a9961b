using FASTER.core;
using TVS.Engine;

namespace TVS.Storage;

/// <summary>
/// FASTER callbacks: input = the MMR index to insert, output = the stored MMR index. A struct, so
/// the session's generic code is specialised and the callbacks are direct calls.
/// </summary>
internal struct NullifierFunctions : IFunctions<Nullifier, long, long, long, Empty>
{
    public readonly bool SingleReader(ref Nullifier key, ref long input, ref long value, ref long dst, ref ReadInfo readInfo)
    {
        dst = value;
        return true;
    }

    public readonly bool ConcurrentReader(ref Nullifier key, ref long input, ref long value, ref long dst, ref ReadInfo readInfo)
    {
        dst = Volatile.Read(ref value);
        return true;
    }

    // RMW: absent → store the input; present → report the stored index, change nothing.
    public readonly bool NeedInitialUpdate(ref Nullifier key, ref long input, ref long output, ref RMWInfo rmwInfo) => true;

    public readonly bool InitialUpdater(ref Nullifier key, ref long input, ref long value, ref long output, ref RMWInfo rmwInfo)
    {
        value = input;
        output = input;
        return true;
    }

    public readonly void PostInitialUpdater(ref Nullifier key, ref long input, ref long value, ref long output, ref RMWInfo rmwInfo)
    {
    }

    public readonly bool InPlaceUpdater(ref Nullifier key, ref long input, ref long value, ref long output, ref RMWInfo rmwInfo)
    {
        output = value;
        return true;
    }

    public readonly bool NeedCopyUpdate(ref Nullifier key, ref long input, ref long oldValue, ref long output, ref RMWInfo rmwInfo)
    {
        output = oldValue;
        return false;
    }

    public readonly bool CopyUpdater(ref Nullifier key, ref long input, ref long oldValue, ref long newValue, ref long output, ref RMWInfo rmwInfo)
    {
        newValue = oldValue;
        output = oldValue;
        return true;
    }

    public readonly void PostCopyUpdater(ref Nullifier key, ref long input, ref long oldValue, ref long newValue, ref long output, ref RMWInfo rmwInfo)
    {
    }

    // Upsert is not used by the store; FASTER also calls SingleWriter to copy records (compaction, read copy).
    public readonly bool SingleWriter(ref Nullifier key, ref long input, ref long src, ref long dst, ref long output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        dst = src;
        return true;
    }

    public readonly void PostSingleWriter(ref Nullifier key, ref long input, ref long src, ref long dst, ref long output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
    }

    public readonly bool ConcurrentWriter(ref Nullifier key, ref long input, ref long src, ref long dst, ref long output, ref UpsertInfo upsertInfo)
    {
        dst = src;
        return true;
    }

    public readonly bool SingleDeleter(ref Nullifier key, ref long value, ref DeleteInfo deleteInfo) => true;

    public readonly void PostSingleDeleter(ref Nullifier key, ref DeleteInfo deleteInfo)
    {
    }

    public readonly bool ConcurrentDeleter(ref Nullifier key, ref long value, ref DeleteInfo deleteInfo) => true;

    public readonly void DisposeSingleWriter(ref Nullifier key, ref long input, ref long src, ref long dst, ref long output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
    }

    public readonly void DisposeCopyUpdater(ref Nullifier key, ref long input, ref long oldValue, ref long newValue, ref long output, ref RMWInfo rmwInfo)
    {
    }

    public readonly void DisposeInitialUpdater(ref Nullifier key, ref long input, ref long value, ref long output, ref RMWInfo rmwInfo)
    {
    }

    public readonly void DisposeSingleDeleter(ref Nullifier key, ref long value, ref DeleteInfo deleteInfo)
    {
    }

    public readonly void DisposeDeserializedFromDisk(ref Nullifier key, ref long value)
    {
    }

    public readonly void ReadCompletionCallback(ref Nullifier key, ref long input, ref long output, Empty ctx, Status status, RecordMetadata recordMetadata)
    {
    }

    public readonly void RMWCompletionCallback(ref Nullifier key, ref long input, ref long output, Empty ctx, Status status, RecordMetadata recordMetadata)
    {
    }

    public readonly void CheckpointCompletionCallback(int sessionID, string sessionName, CommitPoint commitPoint)
    {
    }
}
