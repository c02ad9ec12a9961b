using System.Buffers.Binary;
using TVS.Engine.Processing;
using TVS.Engine.Votes;

namespace TVS.Engine.Tally;

/// <summary>An accepted vote as published: its MMR index, input offset and plaintext vote record.</summary>
public sealed record AcceptedVote(long Index, long Offset, byte[] Record)
{
    /// <summary>The ballot inside the record (empty if the record does not parse).</summary>
    public ReadOnlySpan<byte> Ballot => VoteRecord.TryParse(Record, out var r, out _) ? r.Ballot(Record) : default;
}

/// <summary>
/// A file of accepted vote entries (docs/formats.md, "Accepted vote entry"): the vote store's
/// <c>votes.log</c> format, u64 index ‖ u64 input offset ‖ u32 length ‖ record, all big-endian.
/// The election record holds the accepted votes in this format, so an auditor reads it with the
/// same code the engine's own files use.
/// </summary>
public static class AcceptedVoteFile
{
    /// <summary>Reads every entry; throws <see cref="InvalidDataException"/> naming the entry on a truncated or oversized one.</summary>
    public static List<AcceptedVote> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var votes = new List<AcceptedVote>();
        int position = 0;
        while (position < bytes.Length)
        {
            if (bytes.Length - position < VoteBatch.EntryHeaderSize)
            {
                throw new InvalidDataException($"entry {votes.Count} (byte {position}): truncated header");
            }
            long index = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(position));
            long offset = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(position + 8));
            int n = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 16));
            position += VoteBatch.EntryHeaderSize;
            if (n < VoteRecord.HeaderSize || n > VoteRecord.MaxPlaintext || bytes.Length - position < n)
            {
                throw new InvalidDataException($"entry {votes.Count} (byte {position - VoteBatch.EntryHeaderSize}): record length {n} is out of range or past the end");
            }
            votes.Add(new AcceptedVote(index, offset, bytes.AsSpan(position, n).ToArray()));
            position += n;
        }
        return votes;
    }

    public static void Write(string path, IEnumerable<AcceptedVote> votes)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[VoteBatch.EntryHeaderSize];
        foreach (var v in votes)
        {
            BinaryPrimitives.WriteInt64BigEndian(header, v.Index);
            BinaryPrimitives.WriteInt64BigEndian(header[8..], v.Offset);
            BinaryPrimitives.WriteInt32BigEndian(header[16..], v.Record.Length);
            f.Write(header);
            f.Write(v.Record);
        }
        f.Flush(flushToDisk: true);
    }
}
