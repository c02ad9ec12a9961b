using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.Ingest.Kafka;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// The election record of a closed election (docs/formats.md "Election record"): first every
/// check that can refuse (the close statement, each partition's board against its head, the final
/// checkpoints, the dead letters against the committed counts, the tally's files), then the copy:
/// file by file (never the whole board in memory), several at once, each skipped when the target
/// already has the same bytes (a rerun after a crash finishes the export), manifest.json last.
/// </summary>
internal sealed class RecordExport : IDisposable
{
    private readonly List<(string Path, Func<byte[]> Read, bool Listed)> _small = [];
    private readonly List<(int Partition, long Size)> _boards = [];
    private readonly List<PartitionHead> _heads = [];
    private readonly List<long> _rejected = [];
    private ElectionStores _stores = null!;
    private DeadLetterSpill? _deadLetters;
    private Guid _electionId;

    private RecordExport()
    {
    }

    /// <summary>Why nothing may be exported (a check failed), or null.</summary>
    public string? Refusal { get; private set; }

    public long Votes => _heads.Sum(h => h.Size);

    public int CheckpointCount { get; private set; }

    public long DeadLetterCount { get; private set; }

    public int ShareFiles { get; private set; }

    /// <summary>Checks everything the record needs and lists its files; see <see cref="Refusal"/>.</summary>
    public static RecordExport Plan(string election, Guid id, NoteVerifier key, int partitions, ElectionStores stores, string tally, TextWriter output)
    {
        var plan = new RecordExport { _stores = stores, _electionId = id };
        try
        {
            plan.Refusal = plan.Check(election, key, partitions, tally, output);
        }
        catch
        {
            plan.Dispose();
            throw;
        }
        return plan;
    }

    private string? Check(string election, NoteVerifier key, int partitions, string tally, TextWriter output)
    {
        var board = _stores.Board;
        byte[]? closeBytes = board.TryGet(CloseStatement.FileName);
        if (closeBytes is null && _stores.Data is { } data && File.Exists(Path.Combine(data, CloseStatement.FileName)))
        {
            closeBytes = File.ReadAllBytes(Path.Combine(data, CloseStatement.FileName)); // closed before the close was published on the board
        }
        if (closeBytes is null)
        {
            return $"the board {board.Location} has no {CloseStatement.FileName}: run tvs election close first";
        }
        var close = CloseStatement.Open(Encoding.UTF8.GetString(closeBytes), key, _electionId);
        if (close.Partitions != partitions)
        {
            return $"the close statement covers {close.Partitions} partition(s), election.json names {partitions}";
        }
        string result = Path.Combine(tally, TallyResult.FileName);
        if (!File.Exists(result))
        {
            return $"{result} missing: run tvs tally first (--tally is its output directory)";
        }

        foreach (var (path, source) in RecordCommands.PublicElectionFiles(election))
        {
            _small.Add((path, () => File.ReadAllBytes(source), true));
        }
        foreach (var head in close.Heads)
        {
            int k = head.Partition;
            byte[]? published = board.TryGet(RecordLayout.BoardCheckpoint(k));
            if (published is null)
            {
                return $"the board {board.Location} has no {RecordLayout.BoardCheckpoint(k)}";
            }
            var onBoard = Checkpoint.Open(Encoding.UTF8.GetString(published), key, CloseStatement.PartitionOrigin(_electionId, k));
            if (onBoard.Size != head.Size || onBoard.Root != head.Root)
            {
                return $"the board's {RecordLayout.BoardCheckpoint(k)} is at size {onBoard.Size}, the close statement's head of partition {k} at {head.Size}: not the closed board";
            }
            try
            {
                BoardPartition.Open(board, k, head.Size, head.Root);
            }
            catch (BoardFormatException e)
            {
                return $"the board {board.Location}: {e.Message}";
            }
            _small.Add((RecordLayout.BoardCheckpoint(k), () => published, true));
            _boards.Add((k, head.Size));
            _heads.Add(head);

            // Every signed checkpoint up to the final one; the final one as the board has it (same body, with the witnesses' cosignatures).
            string finalBody = SignedNote.Parse(Encoding.UTF8.GetString(published)).Text;
            bool final = false;
            foreach (var (size, note) in _stores.Checkpoints(k).Where(c => c.Size <= head.Size))
            {
                bool isFinal = size == head.Size && SignedNote.Parse(note).Text == finalBody;
                final |= isFinal;
                byte[] bytes = isFinal ? published : Encoding.UTF8.GetBytes(note);
                _small.Add((RecordLayout.CheckpointFile(k, size), () => bytes, true));
                CheckpointCount++;
            }
            if (!final)
            {
                return $"{_stores.Authority} has no signed checkpoint of partition {k} at its closed size {head.Size} with the board's body";
            }
            var progress = _stores.Progress(k);
            if (progress is null || progress.Value.MmrSize != head.Size)
            {
                return $"{_stores.Authority}: partition {k}'s committed progress ({(progress is null ? "none" : progress.Value.MmrSize.ToString(CultureInfo.InvariantCulture))} votes) is not its closed size {head.Size}";
            }
            _rejected.Add(progress.Value.Rejected);
        }
        if (board.TryGet(RecordLayout.CombinedCheckpoint) is { } combined)
        {
            _small.Add((RecordLayout.CombinedCheckpoint, () => combined, true));
        }
        _small.Add((CloseStatement.FileName, () => closeBytes, true));

        if (CollectDeadLetters(partitions, close.Rejected, output) is { } refused)
        {
            return refused;
        }

        string shares = Path.Combine(tally, ElectionRecord.SharesDirectory);
        if (Directory.Exists(shares))
        {
            foreach (var f in ShareChunk.FindFiles(shares))
            {
                string rel = Path.GetRelativePath(tally, f).Replace('\\', '/');
                _small.Add((rel, () => File.ReadAllBytes(f), !RecordLayout.AuthenticatedElsewhere(rel)));
                ShareFiles++;
            }
        }
        _small.Add((TallyResult.FileName, () => File.ReadAllBytes(result), true));
        return null;
    }

    /// <summary>
    /// Reads the dead letters (votes.rejected with Kafka, else the data directory's files), keeps
    /// one per input record (partition, offset), and refuses when a partition's count is not its
    /// committed <c>rejected</c> count or the total is not the close statement's.
    /// </summary>
    private string? CollectDeadLetters(int partitions, long closeRejected, TextWriter output)
    {
        long total = _rejected.Sum();
        if (total != closeRejected)
        {
            return $"the partitions' committed progress counts {total} rejected records, the close statement {closeRejected}";
        }
        _deadLetters = new DeadLetterSpill(partitions);
        if (_stores.Kafka is { } kafka)
        {
            long read = KafkaDeadLetterReader.ReadAll(kafka, (p, offset, reason, k, v) => _deadLetters.Add(p, offset, reason, k, v));
            output.WriteLine($"{KafkaTopics.Rejected}: {read} record(s) read");
        }
        else if (_stores.DeadLetters is { } data)
        {
            for (int k = 0; k < partitions; k++)
            {
                foreach (var letter in LocalDeadLetterSink.ReadAll(LocalPartition.DeadLetterDirectory(data, k)))
                {
                    _deadLetters.Add(k, letter.Offset, letter.Reason, letter.Key, letter.Value);
                }
            }
        }
        else if (total > 0)
        {
            return $"{total} records were rejected but no dead letters are at hand: give --kafka (votes.rejected) or --dead-letters DATA";
        }
        var counts = _deadLetters.Seal();
        var wrong = Enumerable.Range(0, partitions).Where(k => counts[k] != _rejected[k]).ToList();
        if (_deadLetters.Stray.Count > 0)
        {
            return $"dead letters of partition(s) {string.Join(", ", _deadLetters.Stray.Order())}, which the election does not have";
        }
        if (wrong.Count > 0)
        {
            return "the dead letters are not the rejected records: " + string.Join("; ", wrong.Select(k => $"partition {k} has {counts[k]} dead letter(s), its committed progress {_rejected[k]} rejected"));
        }
        DeadLetterCount = counts.Sum();
        return null;
    }

    /// <summary>What <see cref="Write"/> did.</summary>
    public readonly record struct Outcome(long Written, long Skipped, int Listed);

    /// <summary>
    /// Copies every file into the target (<paramref name="openTarget"/> is called once per worker:
    /// a store may not be safe for concurrent writes), <paramref name="threads"/> at once, then
    /// writes manifest.json. A file already there with the same bytes is skipped; with other bytes
    /// the export stops (the target holds something else).
    /// </summary>
    public Outcome Write(Func<IRecordStore> openTarget, int threads)
    {
        var listed = new ConcurrentDictionary<string, (long Size, string Sha256)>(StringComparer.Ordinal);
        long written = 0, skipped = 0;
        void Place(IRecordStore target, string path, byte[] bytes, bool list)
        {
            var existing = target.TryGet(path);
            if (existing is not null)
            {
                if (!existing.AsSpan().SequenceEqual(bytes))
                {
                    throw new InvalidDataException($"{target.Location}: {path} exists with other content: export into an empty location (or rerun the same export to resume it)");
                }
                Interlocked.Increment(ref skipped);
            }
            else
            {
                target.Put(path, bytes);
                Interlocked.Increment(ref written);
            }
            if (list)
            {
                listed[path] = (bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }
        }
        IEnumerable<(string Path, Func<byte[]> Read, bool Listed)> Files()
        {
            foreach (var f in _small)
            {
                yield return f;
            }
            foreach (var (path, read) in _deadLetters!.Files())
            {
                yield return (path, read, true);
            }
            foreach (var (k, size) in _boards)
            {
                foreach (var path in RecordLayout.BoardFiles(k, size))
                {
                    yield return (path, () => _stores.Board.TryGet(path) ?? throw new InvalidDataException($"{_stores.Board.Location}: {path} missing from the board"), false);
                }
            }
        }
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        var source = System.Collections.Concurrent.Partitioner.Create(Files(), EnumerablePartitionerOptions.NoBuffering);
        try
        {
            Parallel.ForEach(source, options, openTarget, (file, _, target) =>
            {
                Place(target, file.Path, file.Read(), file.Listed);
                return target;
            }, target => target.Dispose());
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first worker's failure, as a sequential copy would have thrown it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }

        var manifest = new JsonObject
        {
            ["version"] = RecordLayout.ManifestVersion,
            ["electionId"] = _electionId.ToString("D"),
            ["partitions"] = new JsonArray(_heads.Select(h => (JsonNode)new JsonObject
            {
                ["partition"] = h.Partition,
                ["size"] = h.Size,
                ["root"] = h.Root.ToBase64(),
                ["rejected"] = _rejected[h.Partition],
            }).ToArray()),
            ["files"] = new JsonArray(listed.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => (JsonNode)new JsonObject
            {
                ["path"] = f.Key,
                ["size"] = f.Value.Size,
                ["sha256"] = f.Value.Sha256,
            }).ToArray()),
        };
        using (var target = openTarget())
        {
            Place(target, ElectionRecord.ManifestFile, Encoding.UTF8.GetBytes(manifest.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n"), false);
        }
        return new Outcome(written, skipped, listed.Count);
    }

    public void Dispose() => _deadLetters?.Dispose();
}

/// <summary>
/// The dead letters on their way into the record: frames spilled to a temporary file as they are
/// read (in any order, duplicates included), with an index of 20 bytes per letter in memory; then
/// per partition sorted by input offset, one per offset, cut into files of
/// <see cref="RecordLayout.DeadLettersPerFile"/> (docs/formats.md "Dead letters in the record").
/// </summary>
internal sealed class DeadLetterSpill : IDisposable
{
    private readonly FileStream _spill;
    private readonly List<(long Offset, long Position, int Length)>[] _index;
    private readonly object _gate = new();

    public DeadLetterSpill(int partitions)
    {
        _spill = new FileStream(Path.Combine(Path.GetTempPath(), $"tvs-dead-letters-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
        _index = Enumerable.Range(0, partitions).Select(_ => new List<(long, long, int)>()).ToArray();
    }

    /// <summary>Partitions named by dead letters that the election does not have.</summary>
    public HashSet<int> Stray { get; } = [];

    public void Add(int partition, long offset, string reason, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        lock (_gate)
        {
            if (partition < 0 || partition >= _index.Length)
            {
                Stray.Add(partition);
                return;
            }
            long at = _spill.Position;
            LocalDeadLetterSink.WriteFrame(_spill, offset, reason, key, value);
            _index[partition].Add((offset, at, (int)(_spill.Position - at)));
        }
    }

    /// <summary>Sorts, drops repeats of an input offset, and returns the count per partition.</summary>
    public long[] Seal()
    {
        _spill.Flush();
        var counts = new long[_index.Length];
        for (int k = 0; k < _index.Length; k++)
        {
            var list = _index[k];
            list.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.Position.CompareTo(b.Position));
            int kept = 0;
            for (int i = 0; i < list.Count; i++)
            {
                if (kept == 0 || list[kept - 1].Offset != list[i].Offset)
                {
                    list[kept++] = list[i];
                }
            }
            list.RemoveRange(kept, list.Count - kept);
            counts[k] = kept;
        }
        return counts;
    }

    /// <summary>The record's dead-letter files, each made when read.</summary>
    public IEnumerable<(string Path, Func<byte[]> Read)> Files()
    {
        for (int k = 0; k < _index.Length; k++)
        {
            var list = _index[k];
            for (int first = 0; first < list.Count; first += RecordLayout.DeadLettersPerFile)
            {
                int from = first, count = Math.Min(RecordLayout.DeadLettersPerFile, list.Count - first);
                yield return (RecordLayout.DeadLetterFile(k, first), () =>
                {
                    long size = 0;
                    for (int i = from; i < from + count; i++)
                    {
                        size += list[i].Length;
                    }
                    var bytes = new byte[size];
                    int at = 0;
                    for (int i = from; i < from + count; i++)
                    {
                        RandomAccess.Read(_spill.SafeFileHandle, bytes.AsSpan(at, list[i].Length), list[i].Position);
                        at += list[i].Length;
                    }
                    return bytes;
                }
                );
            }
        }
    }

    public void Dispose() => _spill.Dispose();
}
