using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Ports;

/// <summary>
/// Where an accepted vote of a batch sits in the batch's entries (its entry is encoded by
/// <see cref="AcceptedVoteEntry"/>; the record bytes: <see cref="VoteBatch.Record"/>), with what
/// the engine knows of it beyond the entry.
/// </summary>
public readonly record struct BatchedVote(long MmrIndex, long Offset, int EntryStart, int RecordLength, Hash256 LeafHash, long ReadTimestamp)
{
    /// <summary>Where the record starts inside <see cref="VoteBatch.AcceptedEntries"/>.</summary>
    public int RecordStart => EntryStart + AcceptedVoteEntry.HeaderSize;
}

/// <summary>A refused input record of a batch with its reason; its bytes are in the batch.</summary>
public readonly record struct RejectedVote(long Offset, VoteRejectReason Reason, int KeyStart, int KeyLength, int ValueLength, long ReadTimestamp)
{
    public int ValueStart => KeyStart + KeyLength;
}

/// <summary>
/// The flush stage's batch: the accepted votes (MMR index, input offset, plaintext record) and the
/// refused records (offset, reason, original key and value), copied out of the ring so the slots
/// can be reused while the batch is written. One instance, reused: its buffers grow to the
/// largest batch and stay. Formats: docs/formats.md, "Accepted vote entry" and "Batch object".
/// It is what the flush stage hands to the ports (<see cref="IVoteStore"/>, <see cref="IBlobSink"/>,
/// <see cref="IDeadLetterSink"/>), so it lives with them: the ports do not depend on the pipeline.
/// </summary>
public sealed class VoteBatch
{
    /// <summary>"TVSB" ‖ version ‖ 3 zero bytes ‖ election (16) ‖ partition (4) ‖ first index (8) ‖ count (4).</summary>
    public const int ObjectHeaderSize = 40;
    public static ReadOnlySpan<byte> ObjectMagic => "TVSB"u8;
    public const byte ObjectVersion = 1;

    private BatchedVote[] _accepted = new BatchedVote[256];
    private RejectedVote[] _rejected = new RejectedVote[64];
    private byte[] _entries = new byte[256 * 1024];
    private byte[] _rejectBytes = new byte[64 * 1024];
    private byte[] _object = [];
    private int _acceptedCount, _rejectedCount, _entriesLength, _rejectLength;

    public VoteBatch(Guid electionId, int partition)
    {
        ElectionId = electionId;
        Partition = partition;
    }

    public Guid ElectionId { get; }
    public int Partition { get; }

    public int AcceptedCount => _acceptedCount;
    public int RejectedCount => _rejectedCount;
    public bool IsEmpty => _acceptedCount == 0 && _rejectedCount == 0;

    public ReadOnlySpan<BatchedVote> Accepted => _accepted.AsSpan(0, _acceptedCount);
    public ReadOnlySpan<RejectedVote> Rejected => _rejected.AsSpan(0, _rejectedCount);

    /// <summary>The accepted votes as consecutive entries (the local vote file appends exactly these bytes).</summary>
    public ReadOnlySpan<byte> AcceptedEntries => _entries.AsSpan(0, _entriesLength);

    public ReadOnlySpan<byte> Record(in BatchedVote v) => _entries.AsSpan(v.RecordStart, v.RecordLength);
    public ReadOnlySpan<byte> Key(in RejectedVote r) => _rejectBytes.AsSpan(r.KeyStart, r.KeyLength);
    public ReadOnlySpan<byte> Value(in RejectedVote r) => _rejectBytes.AsSpan(r.ValueStart, r.ValueLength);

    public long FirstMmrIndex => _acceptedCount == 0 ? -1 : _accepted[0].MmrIndex;
    public long LastMmrIndex => _acceptedCount == 0 ? -1 : _accepted[_acceptedCount - 1].MmrIndex;

    /// <summary>
    /// The signed checkpoint of this batch's progress (C2SP note), set by the flush stage at a Sync:
    /// a store that keeps checkpoints (PostgreSQL's <c>checkpoints</c>) writes it in the same
    /// transaction as the progress it covers, so the authority and the board never disagree.
    /// </summary>
    public string? SignedCheckpoint { get; set; }

    public void Clear()
    {
        _acceptedCount = _rejectedCount = _entriesLength = _rejectLength = 0;
        SignedCheckpoint = null;
    }

    public void AddAccepted(long mmrIndex, long offset, ReadOnlySpan<byte> record, in Hash256 leafHash, long readTimestamp)
    {
        int need = AcceptedVoteEntry.HeaderSize + record.Length;
        Grow(ref _entries, _entriesLength + need);
        var e = _entries.AsSpan(_entriesLength, need);
        AcceptedVoteEntry.WriteHeader(e, mmrIndex, offset, record.Length);
        record.CopyTo(e[AcceptedVoteEntry.HeaderSize..]);
        if (_acceptedCount == _accepted.Length)
        {
            Array.Resize(ref _accepted, _accepted.Length * 2);
        }
        _accepted[_acceptedCount++] = new BatchedVote(mmrIndex, offset, _entriesLength, record.Length, leafHash, readTimestamp);
        _entriesLength += need;
    }

    public void AddRejected(long offset, VoteRejectReason reason, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long readTimestamp)
    {
        Grow(ref _rejectBytes, _rejectLength + key.Length + value.Length);
        key.CopyTo(_rejectBytes.AsSpan(_rejectLength));
        value.CopyTo(_rejectBytes.AsSpan(_rejectLength + key.Length));
        if (_rejectedCount == _rejected.Length)
        {
            Array.Resize(ref _rejected, _rejected.Length * 2);
        }
        _rejected[_rejectedCount++] = new RejectedVote(offset, reason, _rejectLength, key.Length, value.Length, readTimestamp);
        _rejectLength += key.Length + value.Length;
    }

    /// <summary>The batch object's key: <c>elections/{election}/p{partition}/{first:D12}-{last:D12}</c> (MMR indexes, inclusive).</summary>
    public string ObjectKey() => ObjectKey(ElectionId, Partition, FirstMmrIndex, LastMmrIndex);

    public static string ObjectKey(Guid electionId, int partition, long first, long last)
        => string.Create(CultureInfo.InvariantCulture, $"elections/{electionId:D}/p{partition}/{first:D12}-{last:D12}");

    /// <summary>
    /// The batch object of the accepted votes: header, entries, SHA-256 of all before it. Valid
    /// until the next change of the batch.
    /// </summary>
    public ReadOnlySpan<byte> EncodeObject()
    {
        int total = ObjectHeaderSize + _entriesLength + 32;
        Grow(ref _object, total);
        var o = _object.AsSpan(0, total);
        ObjectMagic.CopyTo(o);
        o[4] = ObjectVersion;
        o[5] = o[6] = o[7] = 0;
        ElectionId.TryWriteBytes(o.Slice(8, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(o[24..], Partition);
        BinaryPrimitives.WriteInt64BigEndian(o[28..], FirstMmrIndex);
        BinaryPrimitives.WriteInt32BigEndian(o[36..], _acceptedCount);
        AcceptedEntries.CopyTo(o[ObjectHeaderSize..]);
        SHA256.HashData(o[..^32], o[^32..]);
        return o;
    }

    private static void Grow(ref byte[] buffer, int need)
    {
        if (need > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(need, buffer.Length * 2));
        }
    }
}
