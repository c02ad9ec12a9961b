using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace TVS.Engine.Votes;

/// <summary>An accepted vote as stored and published: its MMR index, input offset and plaintext vote record.</summary>
public sealed record AcceptedVote(long MmrIndex, long Offset, byte[] Record)
{
    /// <summary>The ballot inside the record (empty if the record does not parse).</summary>
    public ReadOnlySpan<byte> Ballot => VoteRecord.TryParse(Record, out var r, out _) ? r.Ballot(Record) : default;

    /// <summary>The 32 big-endian bytes of the sealed nullifier.</summary>
    public ReadOnlySpan<byte> NullifierBytes => VoteRecord.SealedNullifier(Record);
}

/// <summary>
/// The accepted vote entry (docs/formats.md, "Accepted vote entry"): u64 MMR index ‖ u64 input
/// offset ‖ u32 record length ‖ record, all big-endian. The one encoding of an accepted vote in a
/// file: the engine's batches, the local vote store's <c>votes.log</c>, the batch objects and the
/// election record's vote files all hold it, so every reader and writer goes through here.
/// </summary>
public static class AcceptedVoteEntry
{
    /// <summary>MMR index (8) ‖ input offset (8) ‖ record length (4).</summary>
    public const int HeaderSize = 20;

    /// <summary>Writes the header of an entry whose record is <paramref name="recordLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> header, long mmrIndex, long offset, int recordLength)
    {
        BinaryPrimitives.WriteInt64BigEndian(header, mmrIndex);
        BinaryPrimitives.WriteInt64BigEndian(header[8..], offset);
        BinaryPrimitives.WriteInt32BigEndian(header[16..], recordLength);
    }

    /// <summary>Whether a record of <paramref name="length"/> bytes may be an entry's record (a v1 record's bounds).</summary>
    public static bool IsValidRecordLength(int length) => length >= VoteRecord.HeaderSize && length <= VoteRecord.MaxPlaintext;
}

/// <summary>
/// Reads accepted vote entries one by one from a stream, from its current position up to
/// <c>end</c> (a committed length; bytes after it are ignored): the one reader of the format.
/// A truncated or oversized entry throws <see cref="InvalidDataException"/> naming the entry and
/// its byte position. The streaming calls (<see cref="TryReadHeader"/>, then
/// <see cref="ReadRecord"/> or <see cref="SkipRecord"/>) allocate nothing.
/// </summary>
public sealed class AcceptedVoteReader
{
    private readonly Stream _stream;
    private readonly long _end;
    private readonly string? _source;
    private readonly byte[] _header = new byte[AcceptedVoteEntry.HeaderSize];
    private int _pending = -1;

    /// <param name="stream">Positioned at the start of an entry.</param>
    /// <param name="end">The stream position where the entries end.</param>
    /// <param name="source">Prefixed to error messages (a file name), or null.</param>
    public AcceptedVoteReader(Stream stream, long end, string? source = null)
    {
        _stream = stream;
        _end = end;
        _source = source;
        Position = stream.Position;
    }

    /// <summary>The byte position of the next entry.</summary>
    public long Position { get; private set; }

    /// <summary>How many entries have been read (headers).</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Reads the next entry's header; false at the end. Then exactly one of
    /// <see cref="ReadRecord"/> and <see cref="SkipRecord"/> must follow.
    /// </summary>
    public bool TryReadHeader(out long mmrIndex, out long offset, out int recordLength)
    {
        mmrIndex = offset = 0;
        recordLength = 0;
        if (_pending >= 0)
        {
            throw new InvalidOperationException("the previous entry's record was neither read nor skipped");
        }
        if (Position >= _end)
        {
            return false;
        }
        if (_end - Position < AcceptedVoteEntry.HeaderSize)
        {
            throw Corrupt("truncated header");
        }
        _stream.ReadExactly(_header);
        mmrIndex = BinaryPrimitives.ReadInt64BigEndian(_header);
        offset = BinaryPrimitives.ReadInt64BigEndian(_header.AsSpan(8));
        recordLength = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(16));
        if (!AcceptedVoteEntry.IsValidRecordLength(recordLength) || _end - Position - AcceptedVoteEntry.HeaderSize < recordLength)
        {
            throw Corrupt($"record length {recordLength} is out of range or past the end");
        }
        _pending = recordLength;
        return true;
    }

    /// <summary>Reads the record of the entry whose header was just read into the start of <paramref name="destination"/>.</summary>
    public void ReadRecord(Span<byte> destination)
    {
        _stream.ReadExactly(destination[..TakePending()]);
    }

    /// <summary>Skips the record of the entry whose header was just read.</summary>
    public void SkipRecord()
    {
        int n = TakePending();
        if (_stream.CanSeek)
        {
            _stream.Seek(n, SeekOrigin.Current);
        }
        else
        {
            Span<byte> scratch = stackalloc byte[512];
            for (int left = n; left > 0; left -= scratch.Length)
            {
                _stream.ReadExactly(scratch[..Math.Min(left, scratch.Length)]);
            }
        }
    }

    /// <summary>Reads the next whole entry into a new <see cref="AcceptedVote"/>; false at the end.</summary>
    public bool TryRead([NotNullWhen(true)] out AcceptedVote? vote)
    {
        vote = null;
        if (!TryReadHeader(out long mmrIndex, out long offset, out int n))
        {
            return false;
        }
        var record = new byte[n];
        ReadRecord(record);
        vote = new AcceptedVote(mmrIndex, offset, record);
        return true;
    }

    private int TakePending()
    {
        int n = _pending;
        if (n < 0)
        {
            throw new InvalidOperationException("no entry header was read");
        }
        _pending = -1;
        Position += AcceptedVoteEntry.HeaderSize + n;
        Count++;
        return n;
    }

    private InvalidDataException Corrupt(string what)
        => new($"{(_source is null ? "" : _source + ": ")}entry {Count} (byte {Position}): {what}");
}

/// <summary>
/// A file of accepted vote entries (<see cref="AcceptedVoteEntry"/>). The election record holds
/// the accepted votes in this format, so an auditor reads it with the same code the engine's own
/// files use.
/// </summary>
public static class AcceptedVoteFile
{
    /// <summary>Reads every entry; throws <see cref="InvalidDataException"/> naming the entry on a truncated or oversized one.</summary>
    public static List<AcceptedVote> Read(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var reader = new AcceptedVoteReader(f, f.Length);
        var votes = new List<AcceptedVote>();
        while (reader.TryRead(out var vote))
        {
            votes.Add(vote);
        }
        return votes;
    }

    public static void Write(string path, IEnumerable<AcceptedVote> votes)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[AcceptedVoteEntry.HeaderSize];
        foreach (var v in votes)
        {
            AcceptedVoteEntry.WriteHeader(header, v.MmrIndex, v.Offset, v.Record.Length);
            f.Write(header);
            f.Write(v.Record);
        }
        f.Flush(flushToDisk: true);
    }
}
