using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TVS.Engine.IO;

namespace TVS.Engine.Tally;

/// <summary>
/// A nullifier (its 32 big-endian bytes as four big-endian words, so that comparing the words
/// compares the numbers) and the ballot that carries it. 40 bytes, what the verifier keeps per
/// vote for the uniqueness check.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct NullifierEntry : IComparable<NullifierEntry>
{
    public readonly ulong A, B, C, D;
    public readonly long Ballot;

    public NullifierEntry(ReadOnlySpan<byte> bigEndian, long ballot)
    {
        A = BinaryPrimitives.ReadUInt64BigEndian(bigEndian);
        B = BinaryPrimitives.ReadUInt64BigEndian(bigEndian[8..]);
        C = BinaryPrimitives.ReadUInt64BigEndian(bigEndian[16..]);
        D = BinaryPrimitives.ReadUInt64BigEndian(bigEndian[24..]);
        Ballot = ballot;
    }

    /// <summary>One of 256 buckets by the nullifier's lowest byte (uniform: the high bytes of a field element are not).</summary>
    public int Bucket => (int)(D & 0xFF);

    /// <summary>The nullifier as a decimal number (as messages name nullifiers).</summary>
    public string ToDecimal()
    {
        Span<byte> bytes = stackalloc byte[33];
        bytes[0] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(bytes[1..], A);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[9..], B);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[17..], C);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[25..], D);
        return new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    public bool SameNullifier(in NullifierEntry other) => A == other.A && B == other.B && C == other.C && D == other.D;

    public int CompareTo(NullifierEntry other)
    {
        int c = A.CompareTo(other.A);
        if (c == 0)
        {
            c = B.CompareTo(other.B);
        }
        if (c == 0)
        {
            c = C.CompareTo(other.C);
        }
        if (c == 0)
        {
            c = D.CompareTo(other.D);
        }
        return c != 0 ? c : Ballot.CompareTo(other.Ballot);
    }
}

/// <summary>
/// What the check of one range of ballots found: its failures (in ballot order) and its votes'
/// nullifiers grouped by bucket (<see cref="BucketStarts"/>[b] is the first entry of bucket b).
/// </summary>
internal sealed class RangeOutcome(long first, int count, List<string> failures, int omitted, ushort[] bucketStarts, NullifierEntry[] entries)
{
    public const int Buckets = 256;

    /// <summary>Failure lines a range keeps (the first ones, in ballot order); the rest are counted: memory stays bounded however bad a record is.</summary>
    public const int MaxFailures = 10;

    public long First { get; } = first;
    public int Count { get; } = count;
    public List<string> Failures { get; } = failures;

    /// <summary>Failures found beyond <see cref="MaxFailures"/>.</summary>
    public int Omitted { get; } = omitted;

    /// <summary>257 offsets into the entries (a range holds at most 65,535 ballots).</summary>
    public ushort[] BucketStarts { get; } = bucketStarts;

    /// <summary>The entries (null once saved: the store reads them back by bucket).</summary>
    public NullifierEntry[]? Entries { get; private set; } = entries;

    public void DropEntries() => Entries = null;

    /// <summary>Groups <paramref name="entries"/> by bucket, keeping each bucket in ballot order.</summary>
    public static RangeOutcome Of(long first, int count, List<string> failures, List<NullifierEntry> entries)
    {
        int omitted = Math.Max(0, failures.Count - MaxFailures);
        if (omitted > 0)
        {
            failures.RemoveRange(MaxFailures, omitted);
        }
        var starts = new ushort[Buckets + 1];
        foreach (var e in entries)
        {
            starts[e.Bucket + 1]++;
        }
        for (int b = 0; b < Buckets; b++)
        {
            starts[b + 1] += starts[b];
        }
        var fill = starts.AsSpan(0, Buckets).ToArray();
        var grouped = new NullifierEntry[entries.Count];
        foreach (var e in entries)
        {
            grouped[fill[e.Bucket]++] = e;
        }
        return new RangeOutcome(first, count, failures, omitted, starts, grouped);
    }
}

/// <summary>
/// Where the verifier keeps each range's outcome until the nullifier check reads them back by
/// bucket: in memory for a small election, else one file per range in a directory — the
/// <c>--state</c> directory, so that a verifier killed mid-run skips the finished ranges when run
/// again (each file written atomically, checked by its trailing SHA-256 when read back, bound to
/// the record by the directory's <c>record</c> file), or a temporary one deleted at the end.
/// The files are this machine's cache, not a format others read.
/// </summary>
internal sealed class RangeStore : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "TVSVRF\0\x01"u8;
    private const int HeaderBytes = 8 + 8 + 4 + 4 + (RangeOutcome.Buckets + 1) * 2;
    private static readonly int EntryBytes = Marshal.SizeOf<NullifierEntry>();
    private const string BindingFile = "record";

    private readonly string? _directory;
    private readonly bool _temporary;
    private readonly ConcurrentDictionary<long, byte[]> _memory = new();

    private RangeStore(string? directory, bool temporary)
    {
        _directory = directory;
        _temporary = temporary;
    }

    /// <summary>Ranges resumed from an earlier run.</summary>
    public int Resumed { get; private set; }

    /// <summary>
    /// The store for a run: <paramref name="state"/> (created; refused if it holds another
    /// record's or another range size's results), else memory up to
    /// <paramref name="inMemoryBallots"/> ballots, else a temporary directory.
    /// </summary>
    public static RangeStore Open(string? state, string binding, long ballots, long inMemoryBallots)
    {
        if (state is null)
        {
            return ballots <= inMemoryBallots ? new RangeStore(null, false) : new RangeStore(Directory.CreateTempSubdirectory("tvs-verify-").FullName, true);
        }
        Directory.CreateDirectory(state);
        string file = Path.Combine(state, BindingFile);
        if (File.Exists(file))
        {
            string had = File.ReadAllText(file);
            if (had != binding)
            {
                throw new IOException($"{state}: holds the ranges of another verification ({had.Trim()}), not of this one ({binding.Trim()}): give an empty --state directory");
            }
        }
        else
        {
            if (Directory.EnumerateFileSystemEntries(state).Any(f => !AtomicFile.IsTemporary(f)))
            {
                throw new IOException($"{state}: not empty and not a verifier's state directory: give an empty --state directory");
            }
            AtomicFile.Write(file, Encoding.UTF8.GetBytes(binding));
        }
        return new RangeStore(state, false);
    }

    private string FileOf(long first) => Path.Combine(_directory!, string.Create(CultureInfo.InvariantCulture, $"range-{first:D12}.verified"));

    /// <summary>The outcome of range [first, first + count) from an earlier run, if there is a whole one (entries dropped).</summary>
    public RangeOutcome? TryLoad(long first, int count)
    {
        if (_directory is null || _temporary)
        {
            return null;
        }
        string file = FileOf(first);
        if (!File.Exists(file))
        {
            return null;
        }
        var bytes = File.ReadAllBytes(file);
        var outcome = Decode(bytes, first, count);
        if (outcome is null)
        {
            File.Delete(file); // torn or foreign: checked again
            return null;
        }
        _ = Resumed++;
        return outcome;
    }

    /// <summary>Keeps <paramref name="outcome"/> (durably with a directory) and drops its entries from memory.</summary>
    public void Save(RangeOutcome outcome)
    {
        var bytes = Encode(outcome);
        if (_directory is null)
        {
            _memory[outcome.First] = bytes;
        }
        else
        {
            AtomicFile.Write(FileOf(outcome.First), bytes);
        }
        outcome.DropEntries();
    }

    /// <summary>Reads entries [<paramref name="from"/>, from + destination.Length) of range <paramref name="first"/>.</summary>
    public void ReadEntries(long first, int from, Span<NullifierEntry> destination)
    {
        var target = MemoryMarshal.AsBytes(destination);
        long offset = HeaderBytes + (long)from * EntryBytes;
        if (_directory is null)
        {
            _memory[first].AsSpan((int)offset, target.Length).CopyTo(target);
            return;
        }
        using var handle = File.OpenHandle(FileOf(first));
        int read = 0;
        while (read < target.Length)
        {
            int n = RandomAccess.Read(handle, target[read..], offset + read);
            if (n == 0)
            {
                throw new IOException($"{FileOf(first)}: shorter than its entries");
            }
            read += n;
        }
    }

    private static byte[] Encode(RangeOutcome o)
    {
        var entries = MemoryMarshal.AsBytes(o.Entries.AsSpan());
        var messages = o.Failures.Select(Encoding.UTF8.GetBytes).ToList();
        int length = HeaderBytes + entries.Length + 8 + messages.Sum(m => 4 + m.Length) + 32;
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], o.First);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], o.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], o.Entries!.Length);
        for (int b = 0; b <= RangeOutcome.Buckets; b++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[(24 + 2 * b)..], o.BucketStarts[b]);
        }
        entries.CopyTo(span[HeaderBytes..]);
        int at = HeaderBytes + entries.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], messages.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], o.Omitted);
        at += 8;
        foreach (var m in messages)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], m.Length);
            m.CopyTo(span[(at + 4)..]);
            at += 4 + m.Length;
        }
        SHA256.HashData(span[..at], span[at..]);
        return bytes;
    }

    private static RangeOutcome? Decode(byte[] bytes, long first, int count)
    {
        var span = bytes.AsSpan();
        if (span.Length < HeaderBytes + 8 + 32 || !span.StartsWith(Magic)
            || !SHA256.HashData(span[..^32]).AsSpan().SequenceEqual(span[^32..])
            || BinaryPrimitives.ReadInt64LittleEndian(span[8..]) != first || BinaryPrimitives.ReadInt32LittleEndian(span[16..]) != count)
        {
            return null;
        }
        int entries = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
        var starts = new ushort[RangeOutcome.Buckets + 1];
        for (int b = 0; b <= RangeOutcome.Buckets; b++)
        {
            starts[b] = BinaryPrimitives.ReadUInt16LittleEndian(span[(24 + 2 * b)..]);
        }
        int at = HeaderBytes + entries * EntryBytes;
        int n = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        int omitted = BinaryPrimitives.ReadInt32LittleEndian(span[(at + 4)..]);
        at += 8;
        var failures = new List<string>(n);
        for (int i = 0; i < n; i++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            failures.Add(Encoding.UTF8.GetString(span.Slice(at + 4, length)));
            at += 4 + length;
        }
        var outcome = new RangeOutcome(first, count, failures, omitted, starts, []);
        outcome.DropEntries();
        return outcome;
    }

    public void Dispose()
    {
        _memory.Clear();
        if (_temporary && _directory != null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // a temporary directory left behind is harmless
            }
        }
    }
}
