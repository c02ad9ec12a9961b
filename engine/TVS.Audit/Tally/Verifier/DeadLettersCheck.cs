using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;

namespace TVS.Engine.Tally;

/// <summary>
/// The dead letters (<c>dead-letters/…</c>: the records the engines refused, each a frame of the
/// dead-letter format, docs/formats.md "Dead letter": <c>TVSD</c> ‖ version 1 ‖ code length ‖
/// reason code ‖ input offset ‖ key length ‖ value length ‖ key ‖ value ‖ CRC-32C): every file
/// made of whole frames with a reason code, and their number the close statement's
/// <c>rejected</c>. A record without the directory gets a note (records exported before the
/// dead letters were).
/// </summary>
internal static class DeadLettersCheck
{
    private static ReadOnlySpan<byte> Magic => "TVSD"u8;
    private const byte Version = 1;

    public static void Run(RecordReader record, ClosedElection close, VerificationReport report)
    {
        int failures = report.FailureCount;
        var files = record.Store.List(RecordLayout.DeadLettersDirectory + "/").ToList();
        if (files.Count == 0)
        {
            if (close.Rejected > 0)
            {
                report.Note($"{RecordLayout.DeadLettersDirectory}/: absent: the {close.Rejected} rejected record(s) of {CloseStatement.FileName} are not in the record");
            }
            return;
        }
        long count = 0;
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var bytes = record.Store.TryGet(file) ?? [];
            string? problem = Scan(bytes, reasons, ref count);
            if (problem != null)
            {
                report.Fail($"{file}: {problem}");
            }
        }
        if (count != close.Rejected)
        {
            report.Fail($"{RecordLayout.DeadLettersDirectory}/: {count} dead letter(s), {CloseStatement.FileName} says {close.Rejected} rejected");
        }
        if (report.FailureCount == failures)
        {
            report.Ok($"{RecordLayout.DeadLettersDirectory}/: {count} dead letter(s) in {files.Count} file(s), as many as {CloseStatement.FileName} rejected ({string.Join(", ", reasons.Select(r => $"{r.Key} {r.Value}"))})");
        }
    }

    /// <summary>Counts the whole frames of <paramref name="data"/>; returns what is wrong with the first bad one, or null.</summary>
    private static string? Scan(ReadOnlySpan<byte> data, SortedDictionary<string, long> reasons, ref long count)
    {
        int p = 0;
        for (int frame = 0; p < data.Length; frame++)
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"frame {frame} at byte {p}");
            if (data.Length - p < 6 || !data.Slice(p, 4).SequenceEqual(Magic) || data[p + 4] != Version)
            {
                return $"{at}: not a dead-letter frame (TVSD, version {Version})";
            }
            int codeLength = data[p + 5];
            int q = p + 6 + codeLength;
            if (codeLength == 0 || data.Length - q < 16)
            {
                return $"{at}: truncated or without a reason code";
            }
            var code = data.Slice(p + 6, codeLength);
            if (code.IndexOfAnyExceptInRange((byte)'!', (byte)'~') >= 0)
            {
                return $"{at}: the reason code is not printable ASCII";
            }
            int k = BinaryPrimitives.ReadInt32BigEndian(data[(q + 8)..]);
            int v = BinaryPrimitives.ReadInt32BigEndian(data[(q + 12)..]);
            if (k < 0 || v < 0 || (long)data.Length - q - 16 < (long)k + v + 4)
            {
                return $"{at}: truncated (key {k} and value {v} bytes declared, {data.Length - q - 16} remain)";
            }
            int end = q + 16 + k + v + 4;
            if (Crc32C(data[p..(end - 4)]) != BinaryPrimitives.ReadUInt32BigEndian(data[(end - 4)..]))
            {
                return $"{at}: CRC-32C mismatch";
            }
            string reason = System.Text.Encoding.ASCII.GetString(code);
            reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            count++;
            p = end;
        }
        return null;
    }

    /// <summary>CRC-32C (Castagnoli), as the dead-letter frames carry it.</summary>
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
