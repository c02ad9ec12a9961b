using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;

namespace TVS.Issuer;

/// <summary>Outcome of one registration attempt on the registry file.</summary>
public enum RegisterResult
{
    Registered,
    VoterAlreadyRegistered,
    CommitmentAlreadyRegistered,
    RegistryFull,
}

/// <summary>
/// An election's registry file (docs/formats.md, "Registry file"), shared by the issuers of the
/// election, append-only: a 32-byte header <c>"TVS v1 registry\n" ‖ election id (16, BE)</c>,
/// then one 64-byte record per registration: voter key (32, SHA-256 of the voter id) ‖ identity
/// commitment (32, big-endian, &lt; r). The registry's leaves are the commitments in file order.
/// A registration is one write of one record followed by fsync, under an advisory lock on the
/// file (so issuers in several processes append one at a time and each sees the others' voters
/// before deciding); a crash can only leave a torn record at the end, which the next open cuts.
/// </summary>
public sealed class RegistryFile : IDisposable
{
    public static ReadOnlySpan<byte> Magic => "TVS v1 registry\n"u8;
    public const int HeaderSize = 32, RecordSize = 64;

    private readonly FileStream _file;
    private readonly Lock _lock = new();
    private readonly Lock _queueLock = new();
    private List<Pending> _queue = [];
    private bool _committing;
    private readonly LeanImt _tree = new();
    private readonly HashSet<string> _voters = new(StringComparer.Ordinal);
    private readonly Dictionary<Fr, int> _commitments = [];
    private long _length;

    private RegistryFile(FileStream file, Guid electionId)
    {
        _file = file;
        ElectionId = electionId;
    }

    public Guid ElectionId { get; }
    public string Path => _file.Name;

    /// <summary>Opens (creating it if absent) the registry file of <paramref name="electionId"/>.</summary>
    public static RegistryFile Open(string path, Guid electionId)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, 4096, FileOptions.None);
        try
        {
            var registry = new RegistryFile(file, electionId);
            registry.Locked(() =>
            {
                if (file.Length == 0)
                {
                    Span<byte> header = stackalloc byte[HeaderSize];
                    Magic.CopyTo(header);
                    electionId.TryWriteBytes(header[16..], bigEndian: true, out _);
                    file.Write(header);
                    file.Flush(flushToDisk: true);
                }
                var id = ReadHeader(file, path);
                if (id != electionId) throw new InvalidDataException($"{path}: the registry of election {id:D}, not {electionId:D}");
                long whole = HeaderSize + (file.Length - HeaderSize) / RecordSize * RecordSize;
                if (whole != file.Length)
                {
                    file.SetLength(whole); // a torn last record from a crash: it was never acknowledged
                    file.Flush(flushToDisk: true);
                }
                registry._length = HeaderSize;
                registry.CatchUp();
            });
            return registry;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Guid ReadHeader(FileStream file, string path)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        file.Position = 0;
        if (file.Length < HeaderSize || file.Read(header) != HeaderSize || !header[..16].SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a TVS registry file");
        return new Guid(header[16..], bigEndian: true);
    }

    /// <summary>The commitments of a registry file (what <c>tvs issuer sign-root</c> recomputes the root from).</summary>
    public static (Guid ElectionId, List<Fr> Commitments) ReadCommitments(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var id = ReadHeader(file, path);
        var leaves = new List<Fr>();
        var record = new byte[RecordSize];
        long records = (file.Length - HeaderSize) / RecordSize;
        for (long i = 0; i < records; i++)
        {
            file.ReadExactly(record);
            if (!Fr.TryFromBigEndian(record.AsSpan(32), out var c) || c.Equals(Fr.Zero)) throw new InvalidDataException($"{path}: record {i}: not a valid commitment");
            leaves.Add(c);
        }
        return (id, leaves);
    }

    public int Size { get { lock (_lock) { Refresh(); return _tree.Size; } } }

    /// <summary>Size, depth and root now (after reading what other issuers appended).</summary>
    public (int Size, int Depth, Fr Root) Snapshot()
    {
        lock (_lock)
        {
            Refresh();
            return (_tree.Size, _tree.Depth, _tree.Root);
        }
    }

    /// <summary>The LeanIMT proof of a registered commitment, or null.</summary>
    public LeanImtProof? Proof(in Fr commitment)
    {
        lock (_lock)
        {
            Refresh();
            return _commitments.TryGetValue(commitment, out int index) ? _tree.GenerateProof(index) : null;
        }
    }

    /// <summary>
    /// Appends one registration durably (fsynced before returning Registered). Concurrent callers
    /// are committed in groups: one of them writes every waiting record in one write and one fsync
    /// under the file lock, then answers all of them. The fsync was the whole cost of a registration
    /// (docs/PERFORMANCE.md, "Issuer registrations"); a group pays it once, so the throughput grows
    /// with the number of registrations in flight while each one is still durable before it is
    /// acknowledged.
    /// </summary>
    public RegisterResult Register(ReadOnlySpan<byte> voterKey, in Fr commitment, out int index)
    {
        if (voterKey.Length != 32) throw new ArgumentException("voter key: 32 bytes", nameof(voterKey));
        var record = new byte[RecordSize];
        voterKey.CopyTo(record);
        commitment.WriteBigEndian(record.AsSpan(32));
        var pending = new Pending(record, commitment);
        bool lead;
        lock (_queueLock)
        {
            _queue.Add(pending);
            lead = !_committing;
            _committing = true;
        }
        if (lead)
        {
            // The leader commits groups until nobody waits; a registration arriving meanwhile joins the next group.
            while (true)
            {
                List<Pending> group;
                lock (_queueLock)
                {
                    if (_queue.Count == 0)
                    {
                        _committing = false;
                        break;
                    }
                    group = _queue;
                    _queue = [];
                }
                CommitGroup(group);
            }
        }
        pending.Done.Wait();
        pending.Done.Dispose();
        if (pending.Failure != null) throw new IOException("the registry file could not be written: " + pending.Failure.Message, pending.Failure);
        index = pending.Index;
        return pending.Result;
    }

    private sealed class Pending(byte[] record, Fr commitment)
    {
        public byte[] Record { get; } = record;
        public Fr Commitment { get; } = commitment;
        public RegisterResult Result { get; set; }
        public int Index { get; set; } = -1;
        public Exception? Failure { get; set; }
        public ManualResetEventSlim Done { get; } = new();
    }

    private void CommitGroup(List<Pending> group)
    {
        try
        {
            lock (_lock)
            {
                Locked(() =>
                {
                    CatchUp();
                    // Decide each registration against the file (other issuers' records included)
                    // and against the group's earlier ones, in arrival order.
                    var voters = new HashSet<string>(StringComparer.Ordinal);
                    var commitments = new HashSet<Fr>();
                    var accepted = new List<Pending>();
                    foreach (var p in group)
                    {
                        string voter = Convert.ToHexStringLower(p.Record.AsSpan(0, 32));
                        if (_voters.Contains(voter) || voters.Contains(voter)) p.Result = RegisterResult.VoterAlreadyRegistered;
                        else if (_commitments.ContainsKey(p.Commitment) || commitments.Contains(p.Commitment)) p.Result = RegisterResult.CommitmentAlreadyRegistered;
                        else if (_tree.Size + accepted.Count >= int.MaxValue / 2) p.Result = RegisterResult.RegistryFull;
                        else
                        {
                            p.Result = RegisterResult.Registered;
                            voters.Add(voter);
                            commitments.Add(p.Commitment);
                            accepted.Add(p);
                        }
                    }
                    if (accepted.Count == 0) return;
                    var bytes = new byte[accepted.Count * RecordSize];
                    for (int i = 0; i < accepted.Count; i++) accepted[i].Record.CopyTo(bytes, i * RecordSize);
                    _file.Position = _length;
                    _file.Write(bytes);
                    _file.Flush(flushToDisk: true);
                    // Only durable records reach the tree (and so roots and proofs).
                    foreach (var p in accepted) p.Index = Add(p.Record);
                    _length += bytes.Length;
                });
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Nothing of the group is acknowledged; a torn write is cut at the next open, and
            // _length was not advanced, so the next group overwrites it.
            foreach (var p in group) p.Failure = e;
        }
        finally
        {
            foreach (var p in group) p.Done.Set();
        }
    }

    private void Refresh()
    {
        // Cheap when nothing changed; otherwise read the records other issuers appended.
        if (_file.Length >= _length + RecordSize) Locked(CatchUp);
    }

    private void CatchUp()
    {
        long end = HeaderSize + (_file.Length - HeaderSize) / RecordSize * RecordSize;
        if (end <= _length) return;
        var buffer = new byte[end - _length];
        _file.Position = _length;
        _file.ReadExactly(buffer);
        for (int off = 0; off < buffer.Length; off += RecordSize)
        {
            Add(buffer.AsSpan(off, RecordSize));
        }
        _length = end;
    }

    private int Add(ReadOnlySpan<byte> record)
    {
        if (!Fr.TryFromBigEndian(record[32..], out var c) || c.Equals(Fr.Zero)) throw new InvalidDataException($"{Path}: a record holds an invalid commitment");
        _voters.Add(Convert.ToHexStringLower(record[..32]));
        int index = _tree.Size;
        _commitments.TryAdd(c, index);
        _tree.Insert(c);
        return index;
    }

    private void Locked(Action action)
    {
        // An advisory whole-file lock (fcntl on Unix) serialises issuers in other processes.
        // macOS has no FileStream.Lock: there one issuer process per registry file is assumed.
        bool canLock = !OperatingSystem.IsMacOS();
        for (int attempt = 0; canLock; attempt++)
        {
            try
            {
                _file.Lock(0, long.MaxValue);
                break;
            }
            catch (IOException) when (attempt < 2000)
            {
                Thread.Sleep(5);
            }
        }
        try
        {
            action();
        }
        finally
        {
            if (canLock) _file.Unlock(0, long.MaxValue);
        }
    }

    public void Dispose() => _file.Dispose();
}
