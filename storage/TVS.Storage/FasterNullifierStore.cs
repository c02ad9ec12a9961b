using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using FASTER.core;
using TVS.Engine;
using TVS.Engine.IO;
using TVS.Engine.Ports;
using NullifierSession = FASTER.core.ClientSession<TVS.Engine.Nullifier, long, long, long, FASTER.core.Empty, TVS.Storage.NullifierFunctions>;

namespace TVS.Storage;

/// <summary>
/// The nullifier set of one partition in Microsoft FASTER (FasterKV): key = <see cref="Nullifier"/>
/// (32-byte blittable struct), value = MMR index (long), hybrid log on a local device under the
/// given directory with a bounded memory budget, fold-over checkpoints. Layout and sizing:
/// docs/formats.md, "Nullifier store".
/// </summary>
/// <remarks>
/// <para>Sessions: FASTER sessions are single-threaded. The writer (commit stage) owns one session;
/// each reader thread gets its own session on first use through a <see cref="ThreadLocal{T}"/>
/// (the pre-check stage is one long-lived thread, so this costs one session per stage thread and
/// keeps the port's signature free of session handles). FASTER 2.x takes epoch protection per
/// operation, so an idle reader session never holds a checkpoint back.</para>
/// <para>Insert: one RMW per vote. Absent → the initial updater stores the index; present → the
/// in-place updater or, for an immutable or on-disk record, <c>NeedCopyUpdate</c> reports the stored
/// index and changes nothing. Operations that must read the disk go pending and are completed at
/// once (wait), so every call returns its answer.</para>
/// <para>Checkpoints: fold-over (the log is flushed up to the tail and the tail becomes read-only).
/// Records are never updated, only appended, so fold-over writes each record once and a
/// checkpoint costs only the records since the previous one; snapshot would copy the mutable
/// region again every time. The commit point is an 80-byte file <c>nullifiers.checkpoint</c>
/// (tokens, covered MMR size, count, index tail, checksum), written after FASTER reports the
/// checkpoint complete, through <see cref="AtomicFile"/>. <see cref="Recover"/> recovers the
/// tokens that file names, never merely the newest FASTER checkpoint, and older checkpoints are
/// deleted only after the file points past them.</para>
/// </remarks>
public sealed class FasterNullifierStore : INullifierStore
{
    /// <summary>Name of the commit-point file in the store directory.</summary>
    public const string CheckpointFileName = "nullifiers.checkpoint";

    private const int MetaSize = 80;
    private const uint MetaVersion = 1;
    private static ReadOnlySpan<byte> MetaMagic => "TVSNUL\r\n"u8;

    private readonly string _directory;
    private readonly string _logDirectory;
    private readonly string _checkpointDirectory;
    private readonly FasterNullifierStoreOptions _options;
    private readonly long _indexGrowthLimit;

    private IDevice _device = null!;
    private DeviceLogCommitCheckpointManager _checkpoints = null!;
    private FasterKV<Nullifier, long> _kv = null!;
    private NullifierSession _writer = null!;
    private ThreadLocal<NullifierSession> _readers = null!;
    private long _count;
    private NullifierCheckpoint _last;
    private Guid _indexToken;
    private long _indexTail;
    private bool _disposed;

    private FasterNullifierStore(string directory, FasterNullifierStoreOptions options)
    {
        _directory = directory;
        _logDirectory = Path.Combine(directory, "log");
        _checkpointDirectory = Path.Combine(directory, "checkpoints");
        _options = options;
        _indexGrowthLimit = options.IndexCheckpointLogGrowthBytes ?? options.IndexBuckets * 64;
    }

    /// <summary>The store's directory.</summary>
    public string Directory => _directory;

    /// <inheritdoc/>
    public long Count => Volatile.Read(ref _count);

    /// <inheritdoc/>
    public NullifierCheckpoint LastCheckpoint => _last;

    /// <summary>FASTER's log addresses (begin, head = oldest in memory, tail), for tests and metrics.</summary>
    public (long Begin, long Head, long Tail) LogAddresses => (_kv.Log.BeginAddress, _kv.Log.HeadAddress, _kv.Log.TailAddress);

    /// <summary>
    /// Opens the store in <paramref name="directory"/> (created if missing) and recovers it to its
    /// last checkpoint (see <see cref="LastCheckpoint"/>); with no checkpoint it starts empty and
    /// removes whatever log a previous run left.
    /// </summary>
    public static FasterNullifierStore Open(string directory, FasterNullifierStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new FasterNullifierStoreOptions();
        if (!BitOperations.IsPow2(options.IndexBuckets) || !BitOperations.IsPow2(options.PageBytes)
            || !BitOperations.IsPow2(options.LogMemoryBytes) || !BitOperations.IsPow2(options.SegmentBytes)
            || options.LogMemoryBytes < 2 * options.PageBytes || options.SegmentBytes < options.PageBytes)
        {
            throw new ArgumentException("sizes must be powers of two, log memory ≥ 2 pages, segment ≥ 1 page", nameof(options));
        }
        var store = new FasterNullifierStore(Path.GetFullPath(directory), options);
        System.IO.Directory.CreateDirectory(store._directory);
        try
        {
            store.Start();
        }
        catch
        {
            store.Close();
            throw;
        }
        return store;
    }

    /// <inheritdoc/>
    public bool TryGet(in Nullifier nullifier, out long mmrIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var session = _readers.Value!;
        long input = 0, output = 0;
        Status status = session.Read(ref Unsafe.AsRef(in nullifier), ref input, ref output, Empty.Default, 0);
        if (status.IsPending)
        {
            (status, output) = CompletePending(session);
        }
        if (status.IsFaulted)
        {
            ThrowFaulted(status);
        }
        mmrIndex = status.Found ? output : -1;
        return status.Found;
    }

    /// <inheritdoc/>
    public InsertResult TryInsert(in Nullifier nullifier, long mmrIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long input = mmrIndex, output = 0;
        Status status = _writer.RMW(ref Unsafe.AsRef(in nullifier), ref input, ref output, Empty.Default, 0);
        if (status.IsPending)
        {
            (status, output) = CompletePending(_writer);
        }
        if (status.IsFaulted)
        {
            ThrowFaulted(status);
        }
        if (status.Found)
        {
            return InsertResult.Duplicate(output);
        }
        Volatile.Write(ref _count, _count + 1);
        return InsertResult.Inserted;
    }

    /// <inheritdoc/>
    public NullifierCheckpoint Checkpoint(long coveredPosition)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(coveredPosition);
        long tail = _kv.Log.TailAddress;
        bool full = _indexToken == Guid.Empty || tail - _indexTail > _indexGrowthLimit;
        long count = _count; // the writer is this thread: every insert so far is in the checkpoint's version
        (bool ok, Guid token) = full
            ? _kv.TakeFullCheckpointAsync(CheckpointType.FoldOver).AsTask().GetAwaiter().GetResult()
            : _kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver).AsTask().GetAwaiter().GetResult();
        if (!ok)
        {
            throw new InvalidOperationException("FASTER refused the checkpoint (another checkpoint in progress)");
        }
        Guid indexToken = full ? token : _indexToken;
        NullifierCheckpoint previous = _last;
        Guid previousIndex = _indexToken;
        long indexTail = full ? tail : _indexTail;
        WriteMeta(indexToken, token, coveredPosition, count, indexTail);
        _last = new NullifierCheckpoint(token, coveredPosition, count);
        _indexToken = indexToken;
        _indexTail = indexTail;
        // The commit point now names (indexToken, token): older checkpoints can go.
        PurgeExcept(previous.Token, indexToken, token);
        PurgeExcept(previousIndex, indexToken, token);
        return _last;
    }

    /// <inheritdoc/>
    public NullifierCheckpoint Recover()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Close();
        Start();
        return _last;
    }

    /// <summary>Closes the store without a checkpoint: inserts since the last one are not durable.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Close();
    }

    private void Start()
    {
        string metaPath = Path.Combine(_directory, CheckpointFileName);
        Meta? meta = File.Exists(metaPath) ? ReadMeta(metaPath) : null;
        if (meta is null)
        {
            // Nothing durable: a log or checkpoints left by a run that never completed a checkpoint are garbage.
            DeleteDirectory(_logDirectory);
            DeleteDirectory(_checkpointDirectory);
        }
        System.IO.Directory.CreateDirectory(_logDirectory);
        System.IO.Directory.CreateDirectory(_checkpointDirectory);
        _device = Devices.CreateLogDevice(Path.Combine(_logDirectory, "hlog"), preallocateFile: false, deleteOnClose: false, capacity: -1, recoverDevice: true);
        _checkpoints = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(_checkpointDirectory), removeOutdated: false);
        _kv = new FasterKV<Nullifier, long>(new FasterKVSettings<Nullifier, long>
        {
            IndexSize = _options.IndexBuckets * 64,
            LogDevice = _device,
            PageSize = _options.PageBytes,
            SegmentSize = _options.SegmentBytes,
            MemorySize = _options.LogMemoryBytes,
            MutableFraction = 0.9,
            EqualityComparer = NullifierComparer.Instance,
            CheckpointManager = _checkpoints,
            RemoveOutdatedCheckpoints = false,
            TryRecoverLatest = false,
            ReadCacheEnabled = false,
        });
        if (meta is { } m)
        {
            _kv.Recover(m.IndexToken, m.LogToken);
            _count = m.Count;
            _last = new NullifierCheckpoint(m.LogToken, m.CoveredPosition, m.Count);
            _indexToken = m.IndexToken;
            _indexTail = m.IndexTail;
            // Leftovers of checkpoints taken after the commit point was last written.
            foreach (Guid t in _checkpoints.GetLogCheckpointTokens().Concat(_checkpoints.GetIndexCheckpointTokens()).Distinct().ToList())
            {
                PurgeExcept(t, m.IndexToken, m.LogToken);
            }
        }
        else
        {
            _count = 0;
            _last = NullifierCheckpoint.None;
            _indexToken = Guid.Empty;
            _indexTail = 0;
        }
        var functions = new NullifierFunctions();
        _writer = _kv.For(functions).NewSession<NullifierFunctions>();
        FasterKV<Nullifier, long> kv = _kv;
        _readers = new ThreadLocal<NullifierSession>(
            () => kv.For(new NullifierFunctions()).NewSession<NullifierFunctions>(), trackAllValues: true);
    }

    private void Close()
    {
        if (_readers is not null)
        {
            foreach (var s in _readers.Values)
            {
                s.Dispose();
            }
            _readers.Dispose();
            _readers = null!;
        }
        _writer?.Dispose();
        _writer = null!;
        _kv?.Dispose();
        _kv = null!;
        _checkpoints?.Dispose();
        _checkpoints = null!;
        _device?.Dispose();
        _device = null!;
    }

    private static (Status, long) CompletePending(NullifierSession session)
    {
        session.CompletePendingWithOutputs(out var completed, wait: true);
        using (completed)
        {
            if (!completed.Next())
            {
                throw new InvalidOperationException("FASTER completed no pending operation");
            }
            return (completed.Current.Status, completed.Current.Output);
        }
    }

    private void PurgeExcept(Guid token, Guid keep1, Guid keep2)
    {
        if (token != Guid.Empty && token != keep1 && token != keep2)
        {
            _checkpoints.Purge(token);
        }
    }

    private static void DeleteDirectory(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            System.IO.Directory.Delete(path, true);
        }
    }

    private readonly record struct Meta(Guid IndexToken, Guid LogToken, long CoveredPosition, long Count, long IndexTail);

    // Layout (docs/formats.md, "Nullifier store"): magic(8) version u32 LE, size u32 LE, index token(16),
    // log token(16), covered MMR size i64 LE, count i64 LE, log tail at the index checkpoint i64 LE,
    // SHA-256(bytes 0..72)[0..8].
    private void WriteMeta(Guid indexToken, Guid logToken, long covered, long count, long indexTail)
    {
        Span<byte> b = stackalloc byte[MetaSize];
        MetaMagic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], MetaVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], MetaSize);
        indexToken.TryWriteBytes(b[16..32]);
        logToken.TryWriteBytes(b[32..48]);
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], covered);
        BinaryPrimitives.WriteInt64LittleEndian(b[56..], count);
        BinaryPrimitives.WriteInt64LittleEndian(b[64..], indexTail);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(b[..72], digest);
        digest[..8].CopyTo(b[72..]);

        AtomicFile.Write(Path.Combine(_directory, CheckpointFileName), b);
    }

    private static Meta ReadMeta(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        Span<byte> digest = stackalloc byte[32];
        if (b.Length != MetaSize || !b.AsSpan(0, 8).SequenceEqual(MetaMagic)
            || BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)) != MetaVersion
            || BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12)) != MetaSize
            || SHA256.HashData(b.AsSpan(0, 72), digest) != 32 || !digest[..8].SequenceEqual(b.AsSpan(72, 8)))
        {
            throw new InvalidDataException($"{path}: not a valid nullifier checkpoint file");
        }
        return new Meta(
            new Guid(b.AsSpan(16, 16)), new Guid(b.AsSpan(32, 16)),
            BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(48)),
            BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(56)),
            BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(64)));
    }

    private static void ThrowFaulted(Status status) => throw new IOException($"FASTER operation faulted: {status}");
}
