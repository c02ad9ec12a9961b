using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using TVS.Engine.IO;
using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Storage.Local;

/// <summary>
/// The embedded vote store: accepted votes appended to <c>votes.log</c> (accepted vote entries,
/// docs/formats.md) and the partition's progress in <c>progress.json</c>, replaced atomically
/// after the votes are fsynced. The progress names the committed length of the vote file, so
/// opening the store cuts whatever a crash left after it: a commit is all or nothing, and
/// repeating a commit rewrites the same bytes at the same place. Its committed votes are the
/// partition's <see cref="IVoteHistory"/> (read from the start of the file: entries have no index).
/// </summary>
public sealed class LocalVoteStore : IVoteStore, IVoteHistory
{
    public const string VotesFile = "votes.log";
    public const string ProgressFile = "progress.json";

    private readonly string _directory;
    private readonly SafeFileHandle _votes;
    private long _committedLength;

    private LocalVoteStore(string directory, SafeFileHandle votes, long committedLength)
    {
        _directory = directory;
        _votes = votes;
        _committedLength = committedLength;
    }

    public string Directory => _directory;

    public static LocalVoteStore Open(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var (_, length) = ReadProgress(directory);
        var handle = File.OpenHandle(Path.Combine(directory, VotesFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (RandomAccess.GetLength(handle) < length)
        {
            handle.Dispose();
            throw new InvalidDataException($"{directory}: {VotesFile} is shorter than its committed length {length}: votes were lost");
        }
        if (RandomAccess.GetLength(handle) > length)
        {
            RandomAccess.SetLength(handle, length);
            RandomAccess.FlushToDisk(handle);
        }
        return new LocalVoteStore(directory, handle, length);
    }

    public PartitionProgress LoadProgress() => ReadProgress(_directory).Progress;

    public void Commit(VoteBatch batch, in PartitionProgress progress)
    {
        var entries = batch.AcceptedEntries;
        if (entries.Length > 0)
        {
            RandomAccess.Write(_votes, entries, _committedLength);
            RandomAccess.FlushToDisk(_votes);
        }
        long length = _committedLength + entries.Length;
        WriteProgress(_directory, progress, length);
        _committedLength = length;
    }

    /// <summary>Writes the committed progress of the partition whose votes are in <paramref name="directory"/>, with <paramref name="votesLength"/> committed bytes of its vote file.</summary>
    public static void WriteProgress(string directory, in PartitionProgress progress, long votesLength)
    {
        var json = new JsonObject
        {
            ["nextOffset"] = progress.NextOffset,
            ["mmrSize"] = progress.MmrSize,
            ["mmrRoot"] = progress.MmrRoot.ToHex(),
            ["accepted"] = progress.Accepted,
            ["rejected"] = progress.Rejected,
            ["votesLength"] = votesLength,
        };
        AtomicFile.Write(Path.Combine(directory, ProgressFile), JsonSerializer.SerializeToUtf8Bytes(json));
    }

    private static (PartitionProgress Progress, long VotesLength) ReadProgress(string directory)
    {
        string path = Path.Combine(directory, ProgressFile);
        if (!File.Exists(path))
        {
            return (PartitionProgress.Empty, 0);
        }
        var j = JsonNode.Parse(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path}: empty");
        var progress = new PartitionProgress(
            (long)j["nextOffset"]!, (long)j["mmrSize"]!, Hash256.FromHex((string)j["mmrRoot"]!), (long)j["accepted"]!, (long)j["rejected"]!);
        return (progress, (long)j["votesLength"]!);
    }

    /// <summary>Bytes of <see cref="VotesFile"/> that are committed (readers stop there; the rest may be a batch being written).</summary>
    public static long ReadCommittedLength(string directory) => ReadProgress(directory).VotesLength;

    /// <summary>The committed progress of the partition whose votes are in <paramref name="directory"/>, null when it has none (no engine committed there).</summary>
    public static PartitionProgress? ReadCommittedProgress(string directory) =>
        File.Exists(Path.Combine(directory, ProgressFile)) ? ReadProgress(directory).Progress : null;

    /// <inheritdoc/>
    public long ReadHistory(long fromIndex, long toIndex, VoteHistoryRow onRow)
    {
        if (fromIndex >= toIndex)
        {
            return 0;
        }
        using var f = new FileStream(Path.Combine(_directory, VotesFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var reader = new AcceptedVoteReader(f, _committedLength, $"{_directory}/{VotesFile}");
        var record = new byte[VoteRecord.MaxPlaintext];
        long rows = 0;
        while (reader.TryReadHeader(out long index, out _, out int n))
        {
            if (index < fromIndex)
            {
                reader.SkipRecord();
                continue;
            }
            if (index >= toIndex)
            {
                break;
            }
            reader.ReadRecord(record);
            onRow(index, VoteRecord.SealedNullifier(record), record.AsSpan(0, n));
            rows++;
        }
        return rows;
    }

    /// <summary>Reads every committed vote of the store in <paramref name="directory"/> (auditing, proofs, tests).</summary>
    public static IEnumerable<AcceptedVote> ReadAll(string directory)
    {
        var (_, length) = ReadProgress(directory);
        using var f = new FileStream(Path.Combine(directory, VotesFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var reader = new AcceptedVoteReader(f, length, $"{directory}/{VotesFile}");
        while (reader.TryRead(out var vote))
        {
            yield return vote;
        }
    }

    public void Dispose() => _votes.Dispose();
}
