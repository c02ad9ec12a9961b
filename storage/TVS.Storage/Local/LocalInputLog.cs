using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using TVS.Engine.Ports;

namespace TVS.Storage.Local;

/// <summary>
/// The embedded input: a local append-only log of (key, value) records (docs/formats.md, "Local
/// input log"). A record's offset is its byte position; a sealed log is complete. Read by the
/// engine's ingest thread while a writer (the load generator, the in-process gateway) may still
/// be appending.
/// </summary>
public sealed class LocalInputLog : IInputLog
{
    public const int HeaderSize = 16;
    public const int FrameOverhead = 12; // key length, value length, CRC-32C
    public static ReadOnlySpan<byte> Magic => "TVSL"u8;
    public const byte Version = 1;
    internal const int SealedFlagOffset = 5;

    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer = new byte[(2 << 20) + (64 << 10)];
    private long _bufferStart = HeaderSize; // file position of _buffer[0]
    private int _bufferLength;
    private long _position = HeaderSize;    // file position of the next record
    private bool _complete;

    private LocalInputLog(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    public bool IsComplete => _complete;

    /// <summary>Opens an existing log for reading (the writer may keep appending).</summary>
    public static LocalInputLog Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[HeaderSize];
        if (RandomAccess.Read(handle, header, 0) != HeaderSize || !header[..4].SequenceEqual(Magic) || header[4] != Version)
        {
            handle.Dispose();
            throw new InvalidDataException($"{path}: not a TVS input log (magic TVSL, version 1)");
        }
        return new LocalInputLog(path, handle);
    }

    public void Seek(long offset)
    {
        _position = Math.Max(offset, HeaderSize);
        _bufferStart = _position;
        _bufferLength = 0;
        _complete = false;
    }

    public bool TryRead(TimeSpan timeout, out InputRecord record)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (TryParse(out record))
            {
                return true;
            }
            if (Refill())
            {
                continue;
            }
            if (IsSealed())
            {
                // Re-read once: the last records may have landed between the read and the flag.
                if (Refill())
                {
                    continue;
                }
                _complete = true;
                record = default;
                return false;
            }
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                record = default;
                return false;
            }
            Thread.Sleep(1);
        }
    }

    private bool TryParse(out InputRecord record)
    {
        record = default;
        int at = (int)(_position - _bufferStart);
        int available = _bufferLength - at;
        if (available < 8)
        {
            return false;
        }
        var span = _buffer.AsSpan(at, available);
        uint keyLength = BinaryPrimitives.ReadUInt32BigEndian(span);
        uint valueLength = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        if (keyLength > IInputLog.MaxKey || valueLength > IInputLog.MaxValue)
        {
            throw new InvalidDataException($"{Path}: record at offset {_position} claims key {keyLength} / value {valueLength} bytes, over the limits: the log is corrupt");
        }
        int frame = 8 + (int)keyLength + (int)valueLength + 4;
        if (available < frame)
        {
            return false;
        }
        uint crc = BinaryPrimitives.ReadUInt32BigEndian(span[(frame - 4)..]);
        if (Crc32C.Compute(span[..(frame - 4)]) != crc)
        {
            throw new InvalidDataException($"{Path}: record at offset {_position} fails its CRC-32C: the log is corrupt");
        }
        record = new InputRecord(_position, _position + frame, span.Slice(8, (int)keyLength), span.Slice(8 + (int)keyLength, (int)valueLength));
        _position += frame;
        return true;
    }

    /// <summary>Moves unread bytes to the front and reads more; false if the file had nothing new.</summary>
    private bool Refill()
    {
        int at = (int)(_position - _bufferStart);
        int keep = _bufferLength - at;
        if (at > 0)
        {
            Buffer.BlockCopy(_buffer, at, _buffer, 0, keep);
            _bufferStart = _position;
            _bufferLength = keep;
        }
        int n = RandomAccess.Read(_handle, _buffer.AsSpan(_bufferLength), _bufferStart + _bufferLength);
        _bufferLength += n;
        return n > 0;
    }

    private bool IsSealed()
    {
        Span<byte> flag = stackalloc byte[1];
        return RandomAccess.Read(_handle, flag, SealedFlagOffset) == 1 && flag[0] == 1;
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>
/// Appends to a local input log. Opening an existing log cuts a torn last record (a crash while
/// appending); a sealed log refuses appends. One writer at a time.
/// </summary>
public sealed class LocalInputLogWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly byte[] _frame = new byte[8 + IInputLog.MaxKey + IInputLog.MaxValue + 4];
    private long _end;

    private LocalInputLogWriter(FileStream file, long end)
    {
        _file = file;
        _end = end;
    }

    /// <summary>Offset the next record will get (the log's end).</summary>
    public long End => _end;

    public static LocalInputLogWriter Open(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 1 << 20);
        try
        {
            if (file.Length == 0)
            {
                Span<byte> header = stackalloc byte[LocalInputLog.HeaderSize];
                header.Clear();
                LocalInputLog.Magic.CopyTo(header);
                header[4] = LocalInputLog.Version;
                file.Write(header);
                file.Flush(flushToDisk: true);
                return new LocalInputLogWriter(file, LocalInputLog.HeaderSize);
            }
            long end = ValidEnd(file, path);
            if (end != file.Length)
            {
                file.SetLength(end);
                file.Flush(flushToDisk: true);
            }
            file.Position = end;
            return new LocalInputLogWriter(file, end);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>End of the last whole record; throws if the log is sealed or not a log.</summary>
    private static long ValidEnd(FileStream file, string path)
    {
        var header = new byte[LocalInputLog.HeaderSize];
        file.Position = 0;
        file.ReadExactly(header);
        if (!header.AsSpan(0, 4).SequenceEqual(LocalInputLog.Magic) || header[4] != LocalInputLog.Version)
        {
            throw new InvalidDataException($"{path}: not a TVS input log");
        }
        if (header[LocalInputLog.SealedFlagOffset] == 1)
        {
            throw new InvalidOperationException($"{path}: the log is sealed (complete); start a new one");
        }
        long position = LocalInputLog.HeaderSize;
        var lengths = new byte[8];
        var body = new byte[IInputLog.MaxKey + IInputLog.MaxValue + 12];
        while (true)
        {
            file.Position = position;
            if (file.Read(lengths) != 8)
            {
                return position;
            }
            uint k = BinaryPrimitives.ReadUInt32BigEndian(lengths), v = BinaryPrimitives.ReadUInt32BigEndian(lengths.AsSpan(4));
            if (k > IInputLog.MaxKey || v > IInputLog.MaxValue)
            {
                return position;
            }
            int rest = (int)(k + v + 4);
            if (file.Read(body, 0, rest) != rest)
            {
                return position;
            }
            uint crc = Crc32C.Compute(body.AsSpan(0, rest - 4), Crc32C.Compute(lengths));
            if (crc != BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(rest - 4)))
            {
                return position;
            }
            position += 8 + rest;
        }
    }

    /// <summary>Appends one record (buffered; durable after <see cref="Flush"/>); returns its offset.</summary>
    public long Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length > IInputLog.MaxKey || value.Length > IInputLog.MaxValue)
        {
            throw new ArgumentException($"record over the log's limits (key ≤ {IInputLog.MaxKey}, value ≤ {IInputLog.MaxValue} bytes)");
        }
        var f = _frame.AsSpan(0, 8 + key.Length + value.Length + 4);
        BinaryPrimitives.WriteUInt32BigEndian(f, (uint)key.Length);
        BinaryPrimitives.WriteUInt32BigEndian(f[4..], (uint)value.Length);
        key.CopyTo(f[8..]);
        value.CopyTo(f[(8 + key.Length)..]);
        BinaryPrimitives.WriteUInt32BigEndian(f[^4..], Crc32C.Compute(f[..^4]));
        _file.Write(f);
        long offset = _end;
        _end += f.Length;
        return offset;
    }

    /// <summary>Writes buffered records and fsyncs them.</summary>
    public void Flush() => _file.Flush(flushToDisk: true);

    /// <summary>Marks the log complete: readers stop at its end. No appends after.</summary>
    public void Seal()
    {
        _file.Flush(flushToDisk: true);
        _file.Position = LocalInputLog.SealedFlagOffset;
        _file.WriteByte(1);
        _file.Flush(flushToDisk: true);
        _file.Position = _end;
    }

    public void Dispose()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
    }
}
