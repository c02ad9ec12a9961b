using System.Collections.Concurrent;
using TVS.Engine.IO;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Tally;

/// <summary>
/// A partition's signed checkpoints (<c>checkpoints/p{k}/{size:D12}.note</c>): each signed by the
/// election's key for that partition, named by its size, consistent with the partition's final
/// head in the close statement (an RFC 9162 consistency proof computed from the board's tiles, so
/// every earlier root is a prefix of the closed log), the last one that head; and the board's
/// own <c>p{k}/checkpoint</c> the same signed head, carrying the witnesses' quorum when
/// election.json lists witnesses.
/// </summary>
internal static class CheckpointsCheck
{
    public static void Run(RecordReader record, RecordElection election, PartitionHead head, VerificationReport report)
    {
        int failures = report.FailureCount;
        var key = election.CheckpointKey;
        int k = head.Partition;
        string origin = CloseStatement.PartitionOrigin(election.Id, k);
        string dirRel = ElectionRecord.CheckpointsDirectory(k);
        var files = record.Store.List(dirRel + "/").ToList();
        if (files.Count == 0)
        {
            report.Fail($"{dirRel}: no signed checkpoint");
        }
        var tree = TileNodeStore.OpenTree(new StoreTileReader(record.Store, BoardPartition.PathOf(k, "")), head.Size);
        Checkpoint? last = null;
        string? lastName = null;
        string? lastNote = null;
        foreach (var rel in files)
        {
            string name = rel[(dirRel.Length + 1)..];
            if (!name.EndsWith(".note", StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal))
            {
                report.Fail($"{rel}: not a checkpoint file ({dirRel}/{{size:D12}}.note)");
                continue;
            }
            string note;
            Checkpoint cp;
            try
            {
                note = record.ReadText(rel);
                cp = Checkpoint.Open(note, key, origin);
            }
            catch (Exception e) when (e is IOException or FormatException or NoteException)
            {
                report.Fail($"{rel}: not a checkpoint of this election's partition {k} signed by {key.Name}: {e.Message}");
                continue;
            }
            if (name != $"{cp.Size:D12}.note")
            {
                report.Fail($"{rel}: names size {name[..^5]}, signs size {cp.Size}");
            }
            if (cp.Size > head.Size)
            {
                report.Fail($"{rel}: size {cp.Size} exceeds partition {k}'s final size {head.Size} in {CloseStatement.FileName} (votes were removed)");
                continue;
            }
            if (!ConsistentWithHead(tree, cp, head, out string why))
            {
                report.Fail($"{rel}: signed root {cp.Root.ToBase64()} at size {cp.Size} is not consistent with partition {k}'s final head ({head.Size}, {head.Root.ToBase64()}): {why}");
                continue;
            }
            if (last is null || cp.Size >= last.Size)
            {
                last = cp;
                lastName = rel;
                lastNote = note;
            }
        }
        if (last != null && (last.Size != head.Size || last.Root != head.Root))
        {
            report.Fail($"{lastName}: the last checkpoint covers {last.Size} votes, {CloseStatement.FileName} closes partition {k} at {head.Size} (votes were appended after it)");
        }
        string witnessed = BoardCheckpoint(record, election, head, lastNote, lastName, report);
        if (report.FailureCount == failures)
        {
            report.Ok($"{dirRel}: {files.Count} signed checkpoint(s) by {key.Name}, each consistent with the final head (proofs from p{k}/tile/), the last one the head: size {head.Size} root {head.Root.ToBase64()}; p{k}/checkpoint the same{witnessed}");
        }
    }

    private static bool ConsistentWithHead(MerkleMountainRange tree, Checkpoint cp, PartitionHead head, out string why)
    {
        why = "";
        if (cp.Size == 0)
        {
            why = "the empty tree's root differs";
            return cp.Root == Rfc9162.EmptyRoot;
        }
        if (cp.Size == head.Size)
        {
            why = "same size, another root";
            return cp.Root == head.Root;
        }
        Hash256[] proof;
        try
        {
            proof = tree.GetConsistencyProof(cp.Size, head.Size);
        }
        catch (InvalidDataException e)
        {
            why = $"no consistency proof from the board's tiles: {e.Message}";
            return false;
        }
        why = "the consistency proof from the board's tiles does not verify";
        return Rfc9162.VerifyConsistency(cp.Size, head.Size, cp.Root, head.Root, proof);
    }

    /// <summary><c>p{k}/checkpoint</c>: the signed head itself (same body as the last checkpoint), with the witnesses' quorum when there are witnesses. Returns what the success line adds.</summary>
    private static string BoardCheckpoint(RecordReader record, RecordElection election, PartitionHead head, string? lastNote, string? lastName, VerificationReport report)
    {
        int k = head.Partition;
        string path = BoardPartition.PathOf(k, TilePaths.Checkpoint);
        string note;
        Checkpoint cp;
        try
        {
            note = record.ReadText(path);
            cp = Checkpoint.Open(note, election.CheckpointKey, CloseStatement.PartitionOrigin(election.Id, k));
        }
        catch (Exception e) when (e is IOException or FormatException or NoteException)
        {
            report.Fail($"{path}: not partition {k}'s checkpoint signed by {election.CheckpointKey.Name}: {e.Message}");
            return "";
        }
        if (cp.Size != head.Size || cp.Root != head.Root)
        {
            report.Fail($"{path}: the board's checkpoint is at size {cp.Size} root {cp.Root.ToBase64()}, {CloseStatement.FileName} closes partition {k} at size {head.Size} root {head.Root.ToBase64()}");
        }
        else if (lastNote != null && Body(lastNote) != Body(note))
        {
            report.Fail($"{path}: the board's checkpoint body differs from {lastName}'s");
        }
        if (election.Witnesses is not { } witnesses)
        {
            return "";
        }
        CosignatureCheck check = witnesses.Check(note);
        if (!check.Met)
        {
            report.Fail($"{path}: the final checkpoint is not witnessed: {check} (election.json witnessQuorum {witnesses.Quorum})");
            return "";
        }
        return $", cosigned by {string.Join(", ", check.Cosigners.Select(c => c.Witness.Name))}";
    }

    private static string Body(string note)
    {
        int end = note.IndexOf("\n\n", StringComparison.Ordinal);
        return end < 0 ? note : note[..(end + 1)];
    }
}

/// <summary>
/// A partition's tiles read from the record store (<c>p{k}/</c> + the tile path), the full ones
/// cached (they never change; a bounded number, so that checking thousands of checkpoints reads
/// each tile once).
/// </summary>
internal sealed class StoreTileReader(IRecordStore store, string prefix) : ITileReader
{
    private const int MaxCached = 4096;
    private readonly ConcurrentDictionary<string, byte[]> _cache = new(StringComparer.Ordinal);

    public byte[]? Read(string path)
    {
        if (_cache.TryGetValue(path, out var known))
        {
            return known;
        }
        var bytes = store.TryGet(prefix + path);
        if (bytes is { Length: TilePaths.FullTileBytes } && _cache.Count < MaxCached)
        {
            _cache.TryAdd(path, bytes);
        }
        return bytes;
    }
}
