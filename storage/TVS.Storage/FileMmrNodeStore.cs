using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TVS.Merkle;

namespace TVS.Storage;

/// <summary>
/// Append-only file of MMR node hashes (docs/formats.md, "MMR node file"): a 32-byte header
/// (magic "TVSMMR\r\n", u32 LE version 1, u32 LE record size 32, 16 zero bytes) followed by one
/// 32-byte record per node in position order. Appends are buffered in memory and written on
/// <see cref="Flush"/> (write + fsync) or when the buffer fills (written, not yet fsynced). On open
/// a torn final record (length not header + 32·k) is truncated away. One writer; not thread-safe.
/// </summary>
public sealed class FileMmrNodeStore : IMmrNodeStore
{
    /// <summary>Header length in bytes.</summary>
    public const int HeaderSize = 32;

    /// <summary>Current format version.</summary>
    public const uint Version = 1;

    private const int RecordSize = Hash256.Size;
    private static ReadOnlySpan<byte> Magic => "TVSMMR\r\n"u8;

    private readonly SafeFileHandle _handle;
    private readonly Hash256[] _pending;
    private int _pendingCount;
    private long _written; // records in the file (written, maybe not yet fsynced)
    private bool _disposed;

    private FileMmrNodeStore(string path, SafeFileHandle handle, long written, int bufferRecords)
    {
        Path = path;
        _handle = handle;
        _written = written;
        _pending = new Hash256[bufferRecords];
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Bytes truncated from a torn final record when the file was opened (0 if none).</summary>
    public int TornBytesTruncated { get; private init; }

    /// <inheritdoc/>
    public long Count => _written + _pendingCount;

    /// <summary>
    /// Opens (or creates) the node file at <paramref name="path"/>. Throws <see cref="InvalidDataException"/>
    /// if the file has a foreign header. <paramref name="bufferRecords"/> nodes are buffered between writes.
    /// </summary>
    public static FileMmrNodeStore Open(string path, int bufferRecords = 2048)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferRecords, 1);
        SafeFileHandle handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> header = stackalloc byte[HeaderSize];
            WriteHeader(header);
            if (length < HeaderSize)
            {
                // New file, or a crash while creating it: the header must be a prefix of ours.
                Span<byte> existing = stackalloc byte[(int)length];
                RandomAccess.Read(handle, existing, 0);
                if (!header.StartsWith(existing))
                {
                    throw new InvalidDataException($"{path}: not an MMR node file");
                }
                RandomAccess.Write(handle, header, 0);
                RandomAccess.SetLength(handle, HeaderSize);
                RandomAccess.FlushToDisk(handle);
                return new FileMmrNodeStore(path, handle, 0, bufferRecords);
            }
            Span<byte> got = stackalloc byte[HeaderSize];
            RandomAccess.Read(handle, got, 0);
            if (!got[..8].SequenceEqual(Magic))
            {
                throw new InvalidDataException($"{path}: not an MMR node file");
            }
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(got[8..]);
            uint recordSize = BinaryPrimitives.ReadUInt32LittleEndian(got[12..]);
            if (version != Version || recordSize != RecordSize)
            {
                throw new InvalidDataException($"{path}: MMR node file version {version}, record size {recordSize} not supported");
            }
            long records = (length - HeaderSize) / RecordSize;
            int torn = (int)((length - HeaderSize) % RecordSize);
            if (torn != 0)
            {
                RandomAccess.SetLength(handle, HeaderSize + records * RecordSize);
                RandomAccess.FlushToDisk(handle);
            }
            return new FileMmrNodeStore(path, handle, records, bufferRecords) { TornBytesTruncated = torn };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Append(in Hash256 node)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pendingCount == _pending.Length)
        {
            WritePending();
        }
        _pending[_pendingCount++] = node;
    }

    /// <inheritdoc/>
    public Hash256 Read(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, Count);
        if (position >= _written)
        {
            return _pending[position - _written];
        }
        Hash256 h = default;
        Span<byte> dest = MemoryMarshal.AsBytes(new Span<Hash256>(ref h));
        int n = RandomAccess.Read(_handle, dest, HeaderSize + position * RecordSize);
        if (n != RecordSize)
        {
            throw new IOException($"{Path}: short read at node {position}");
        }
        return h;
    }

    /// <inheritdoc/>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WritePending();
        RandomAccess.FlushToDisk(_handle);
    }

    /// <inheritdoc/>
    public void TruncateTo(long count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= Count)
        {
            return;
        }
        if (count >= _written)
        {
            _pendingCount = (int)(count - _written);
            return;
        }
        _pendingCount = 0;
        _written = count;
        RandomAccess.SetLength(_handle, HeaderSize + count * RecordSize);
        RandomAccess.FlushToDisk(_handle);
    }

    /// <summary>Writes buffered nodes (no fsync) and closes the file. Call <see cref="Flush"/> first for durability.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        try
        {
            WritePending();
        }
        finally
        {
            _disposed = true;
            _handle.Dispose();
        }
    }

    private void WritePending()
    {
        if (_pendingCount == 0)
        {
            return;
        }
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(_pending.AsSpan(0, _pendingCount));
        RandomAccess.Write(_handle, bytes, HeaderSize + _written * RecordSize);
        _written += _pendingCount;
        _pendingCount = 0;
    }

    private static void WriteHeader(Span<byte> header)
    {
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], RecordSize);
    }
}
