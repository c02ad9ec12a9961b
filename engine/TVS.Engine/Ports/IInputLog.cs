namespace TVS.Engine.Ports;

/// <summary>
/// One input record of a partition: its position in the log, the key (the nullifier in clear, 32
/// bytes for a well-formed vote, anything for a hostile one) and the value (the sealed envelope).
/// The spans belong to the log and stay valid only until its next <see cref="IInputLog.TryRead"/>.
/// </summary>
public readonly ref struct InputRecord
{
    public InputRecord(long offset, long nextOffset, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Offset = offset;
        NextOffset = nextOffset;
        Key = key;
        Value = value;
    }

    /// <summary>Position of this record (Kafka: the offset; local log: the byte position).</summary>
    public long Offset { get; }

    /// <summary>Where reading resumes after this record: what progress records once it is durable.</summary>
    public long NextOffset { get; }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }
}

/// <summary>
/// A partition's ordered input (docs/design.md, "Durability and recovery": the partition's state is a
/// deterministic function of it). Kafka's consumer and the local append-only log implement it.
/// Read by the engine's single ingest thread.
/// </summary>
/// <remarks>
/// A log never drops a record, so the dead-letter output sees every one. Records with a key over
/// <see cref="MaxKey"/> or a value over <see cref="MaxValue"/> should not exist (Kafka's default
/// message limit is 1 MB, the local log refuses them on append); if one arrives the engine
/// refuses it as malformed and dead-letters its first <see cref="MaxKey"/> / <see cref="MaxValue"/> bytes.
/// </remarks>
public interface IInputLog : IDisposable
{
    /// <summary>Largest key the engine keeps (a vote key is 32 bytes).</summary>
    const int MaxKey = 1024;

    /// <summary>Largest value the engine keeps (a vote is at most <see cref="Votes.VoteRecord.MaxEnvelope"/>).</summary>
    const int MaxValue = 1 << 20;

    /// <summary>Positions the log so that the next record read is the first at or after <paramref name="offset"/>.</summary>
    void Seek(long offset);

    /// <summary>
    /// Reads the next record, waiting at most <paramref name="timeout"/> for one to arrive. False
    /// when none came in time (for a finite log: at its end). The spans of <paramref name="record"/>
    /// are valid until the next call.
    /// </summary>
    bool TryRead(TimeSpan timeout, out InputRecord record);

    /// <summary>True once the log knows no record will ever follow (a closed local file); Kafka never ends.</summary>
    bool IsComplete { get; }
}
