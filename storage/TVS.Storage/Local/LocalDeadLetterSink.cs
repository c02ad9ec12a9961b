using System.Buffers.Binary;
using System.Text;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;

namespace TVS.Storage.Local;

/// <summary>A dead letter read back: the refused record's input offset, reason code and original bytes.</summary>
public sealed record DeadLetter(long Offset, string Reason, byte[] Key, byte[] Value);

/// <summary>
/// The embedded dead-letter output: <c>deadletters.log</c>, one frame per refused input record
/// with its original key and value and its reason code (docs/formats.md, "Dead letter"). A
/// record is keyed by its input offset: on replay after a crash, offsets already in the file are
/// not written again, and a torn last frame is cut on open.
/// </summary>
public sealed class LocalDeadLetterSink : IDeadLetterSink
{
    public const string FileName = "deadletters.log";
    public static ReadOnlySpan<byte> Magic => "TVSD"u8;
    public const byte Version = 1;

    private readonly FileStream _file;
    private long _lastOffset;
    private byte[] _frame = new byte[64 * 1024];

    private LocalDeadLetterSink(FileStream file, long lastOffset)
    {
        _file = file;
        _lastOffset = lastOffset;
    }

    /// <summary>Input offset of the last dead letter written (−1 if none).</summary>
    public long LastOffset => _lastOffset;

    public static LocalDeadLetterSink Open(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        long last = -1, end = 0;
        foreach (var (letter, frameEnd) in Scan(file))
        {
            last = letter.Offset;
            end = frameEnd;
        }
        if (file.Length != end)
        {
            file.SetLength(end);
            file.Flush(flushToDisk: true);
        }
        file.Position = end;
        return new LocalDeadLetterSink(file, last);
    }

    public void Write(VoteBatch batch)
    {
        int wrote = 0;
        foreach (ref readonly var r in batch.Rejected)
        {
            if (r.Offset <= _lastOffset)
            {
                continue;
            }
            var f = Encode(r.Offset, r.Reason, batch.Key(r), batch.Value(r));
            _file.Write(f);
            _lastOffset = r.Offset;
            wrote++;
        }
        if (wrote > 0)
        {
            _file.Flush(flushToDisk: true);
        }
    }

    // Frame: magic, version, code length, code (ASCII), input offset, key length, value length, key, value, CRC-32C of all before.
    private ReadOnlySpan<byte> Encode(long offset, VoteRejectReason reason, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        string code = reason.Code();
        int size = 6 + code.Length + 16 + key.Length + value.Length + 4;
        if (_frame.Length < size)
        {
            _frame = new byte[Math.Max(size, _frame.Length * 2)];
        }
        var f = _frame.AsSpan(0, size);
        Magic.CopyTo(f);
        f[4] = Version;
        f[5] = (byte)code.Length;
        Encoding.ASCII.GetBytes(code, f[6..]);
        int p = 6 + code.Length;
        BinaryPrimitives.WriteInt64BigEndian(f[p..], offset);
        BinaryPrimitives.WriteInt32BigEndian(f[(p + 8)..], key.Length);
        BinaryPrimitives.WriteInt32BigEndian(f[(p + 12)..], value.Length);
        key.CopyTo(f[(p + 16)..]);
        value.CopyTo(f[(p + 16 + key.Length)..]);
        BinaryPrimitives.WriteUInt32BigEndian(f[^4..], Crc32C.Compute(f[..^4]));
        return f;
    }

    /// <summary>
    /// Writes one dead letter as a frame of this file's format (docs/formats.md "Dead letter") to
    /// <paramref name="destination"/>: the election record's dead-letter files are made of these frames.
    /// </summary>
    public static void WriteFrame(Stream destination, long offset, string reasonCode, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(reasonCode);
        if (reasonCode.Length is 0 or > byte.MaxValue || !reasonCode.All(char.IsAscii))
        {
            throw new ArgumentException($"reason code '{reasonCode}': 1..255 ASCII characters", nameof(reasonCode));
        }
        int size = 6 + reasonCode.Length + 16 + key.Length + value.Length + 4;
        var f = new byte[size];
        Magic.CopyTo(f);
        f[4] = Version;
        f[5] = (byte)reasonCode.Length;
        Encoding.ASCII.GetBytes(reasonCode, f.AsSpan(6));
        int p = 6 + reasonCode.Length;
        BinaryPrimitives.WriteInt64BigEndian(f.AsSpan(p), offset);
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(p + 8), key.Length);
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(p + 12), value.Length);
        key.CopyTo(f.AsSpan(p + 16));
        value.CopyTo(f.AsSpan(p + 16 + key.Length));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(size - 4), Crc32C.Compute(f.AsSpan(0, size - 4)));
        destination.Write(f);
    }

    /// <summary>Every whole frame of <paramref name="file"/> (a deadletters.log, or a dead-letter file of the election record), in file order.</summary>
    public static List<DeadLetter> ReadFrames(Stream file) => Scan(file).Select(x => x.Letter).ToList();

    /// <summary>Reads every whole dead letter in <paramref name="directory"/>.</summary>
    public static List<DeadLetter> ReadAll(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return [];
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Scan(file).Select(x => x.Letter).ToList();
    }

    private static IEnumerable<(DeadLetter Letter, long End)> Scan(Stream file)
    {
        file.Position = 0;
        var data = new byte[file.Length];
        file.ReadExactly(data);
        int p = 0;
        while (true)
        {
            if (data.Length - p < 6 || !data.AsSpan(p, 4).SequenceEqual(Magic) || data[p + 4] != Version)
            {
                yield break;
            }
            int codeLength = data[p + 5];
            int q = p + 6 + codeLength;
            if (data.Length - q < 16)
            {
                yield break;
            }
            long offset = BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(q));
            int k = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(q + 8));
            int v = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(q + 12));
            if (k < 0 || v < 0 || (long)data.Length - q - 16 < (long)k + v + 4)
            {
                yield break;
            }
            int end = q + 16 + k + v + 4;
            if (Crc32C.Compute(data.AsSpan(p, end - 4 - p)) != BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(end - 4)))
            {
                yield break;
            }
            string code = Encoding.ASCII.GetString(data, p + 6, codeLength);
            yield return (new DeadLetter(offset, code, data.AsSpan(q + 16, k).ToArray(), data.AsSpan(q + 16 + k, v).ToArray()), end);
            p = end;
        }
    }

    public void Dispose()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
    }
}
