using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Tests.Tally;

/// <summary>
/// Writes an election record in the layout of docs/formats.md "Election record" (manifest
/// version 2: the bulletin board plus the election's files) from an embedded election: its
/// directory, its closed data directory and a tally's output. The tests' stand-in for
/// <c>tvs record export</c> until its rewrite (issue 14) lands; the board is published from the
/// data directory by <c>tvs board publish</c>'s code.
/// </summary>
internal static class TestRecord
{
    /// <summary>Public folders of an election directory copied into the record when present.</summary>
    private static readonly string[] OptionalPublicDirectories = ["issuers", "roots", "registry"];

    public static void Write(string election, string data, string tally, IRecordStore record)
    {
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(election, ElectionRecord.ElectionFile)))!;
        var id = Guid.Parse((string)m["electionId"]!);
        void Copy(string source, string path) => record.Put(path, File.ReadAllBytes(source));
        Copy(Path.Combine(election, ElectionRecord.ElectionFile), ElectionRecord.ElectionFile);
        foreach (var (_, file) in m["verificationKeys"]!.AsObject())
        {
            Copy(Path.Combine(election, (string)file!), (string)file!);
        }
        Copy(Path.Combine(election, ContestList.FileName), ContestList.FileName);
        Copy(Path.Combine(election, ElectionRecord.ElectionKeyFile), ElectionRecord.ElectionKeyFile);
        foreach (var dir in OptionalPublicDirectories.Where(x => Directory.Exists(Path.Combine(election, x))))
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(election, dir), "*", SearchOption.AllDirectories))
            {
                Copy(f, Path.GetRelativePath(election, f).Replace('\\', '/'));
            }
        }

        // The board: every partition's tiles, bundles and checkpoint, published into a directory, then copied.
        string board = Directory.CreateTempSubdirectory("tvs-test-board-").FullName;
        try
        {
            var log = new StringWriter();
            if (BoardCommands.Publish(election, null, data, board, log, log) != ExitCodes.Ok)
            {
                throw new InvalidOperationException("board publish: " + log);
            }
            foreach (var f in Directory.EnumerateFiles(board, "*", SearchOption.AllDirectories))
            {
                Copy(f, Path.GetRelativePath(board, f).Replace('\\', '/'));
            }
        }
        finally
        {
            Directory.Delete(board, recursive: true);
        }
        var close = CloseStatement.Open(File.ReadAllText(Path.Combine(data, CloseStatement.FileName)), NoteVerifier.Parse((string)m["checkpointVerifierKey"]!), id);
        for (int k = 0; k < close.Partitions; k++)
        {
            foreach (var note in Directory.EnumerateFiles(LocalPartition.CheckpointDirectory(data, k), "*.note").Where(n => Path.GetFileName(n) != LocalCheckpointSink.LatestFile))
            {
                Copy(note, ElectionRecord.CheckpointsDirectory(k) + "/" + Path.GetFileName(note));
            }
            string deadLetters = Path.Combine(LocalPartition.DeadLetterDirectory(data, k), "deadletters.log");
            if (File.Exists(deadLetters) && new FileInfo(deadLetters).Length > 0)
            {
                Copy(deadLetters, $"{RecordLayout.DeadLettersDirectory}/p{k}/chunk-000000000000.deadletters");
            }
        }
        Copy(Path.Combine(data, CloseStatement.FileName), CloseStatement.FileName);
        foreach (var f in ShareChunk.FindFiles(Path.Combine(tally, ElectionRecord.SharesDirectory)))
        {
            Copy(f, Path.GetRelativePath(tally, f).Replace('\\', '/'));
        }
        Copy(Path.Combine(tally, TallyResult.FileName), TallyResult.FileName);
        WriteManifest(record, id, close);
    }

    /// <summary>manifest.json version 2: the election, each partition's head, and every file but the tiles, bundles and shares with its size and SHA-256.</summary>
    public static void WriteManifest(IRecordStore record, Guid id, ClosedElection close)
    {
        var files = new JsonArray();
        foreach (var path in record.List("").Where(p => p != ElectionRecord.ManifestFile && ElectionRecord.IsListedInManifest(p)))
        {
            var bytes = record.TryGet(path)!;
            files.Add(new JsonObject { ["path"] = path, ["size"] = bytes.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) });
        }
        var partitions = new JsonArray();
        foreach (var h in close.Heads)
        {
            partitions.Add(new JsonObject { ["partition"] = h.Partition, ["size"] = h.Size, ["root"] = h.Root.ToBase64() });
        }
        var m = new JsonObject { ["version"] = RecordLayout.ManifestVersion, ["electionId"] = id.ToString("D"), ["partitions"] = partitions, ["files"] = files };
        if (record is DirectoryRecordStore d)
        {
            File.WriteAllText(Path.Combine(d.Root, ElectionRecord.ManifestFile), m.ToJsonString() + "\n"); // a rewrite after tampering: immutable for Put
        }
        else
        {
            record.Put(ElectionRecord.ManifestFile, System.Text.Encoding.UTF8.GetBytes(m.ToJsonString() + "\n"));
        }
    }

    /// <summary>Rewrites the manifest of the directory record <paramref name="record"/>: its partitions from close.note as it is, every listed file's hash (a careful forger updates it too).</summary>
    public static void Rehash(string record, Guid id, NoteVerifier key)
    {
        using var store = new DirectoryRecordStore(record, create: false);
        ClosedElection close;
        try
        {
            close = CloseStatement.Open(File.ReadAllText(Path.Combine(record, CloseStatement.FileName)), key, id);
        }
        catch (Exception e) when (e is FormatException or NoteException)
        {
            // a close signed by another key: keep the manifest's partitions
            var m = JsonNode.Parse(File.ReadAllText(Path.Combine(record, ElectionRecord.ManifestFile)))!;
            var heads = m["partitions"]!.AsArray().Select(p => new PartitionHead((int)p!["partition"]!, (long)p["size"]!, Hash256.FromBase64((string)p["root"]!))).ToList();
            close = new ClosedElection(new Checkpoint("x", heads.Count, Rfc9162.EmptyRoot), heads, 0, 0);
        }
        WriteManifest(store, id, close);
    }

    /// <summary>
    /// A forger with the election's key: partition <paramref name="partition"/>'s board replaced by
    /// <paramref name="records"/> (tiles, bundles, checkpoint), its signed checkpoints by one for
    /// the new head, the close statement re-signed over the new heads, the manifest rewritten.
    /// </summary>
    public static void Reforge(string record, TVS.LoadGen.ElectionSetup election, int partition, IReadOnlyList<byte[]> records)
    {
        string tiles = Path.Combine(record, $"p{partition}", "tile");
        if (Directory.Exists(tiles))
        {
            Directory.Delete(tiles, recursive: true);
        }
        using var store = new DirectoryRecordStore(record, create: false);
        var builder = TVS.Merkle.Tiles.TileBuilder.Empty();
        var sink = new PartitionSink(store, partition);
        foreach (var r in records)
        {
            builder.Append(r, sink);
        }
        builder.WritePartials(sink);
        string note = new Checkpoint(election.Origin(partition), records.Count, builder.Root).Sign(election.Signer);
        store.Put(BoardPartition.PathOf(partition, "checkpoint"), System.Text.Encoding.UTF8.GetBytes(note));
        string notes = Path.Combine(record, ElectionRecord.CheckpointsDirectory(partition));
        if (Directory.Exists(notes))
        {
            Directory.Delete(notes, recursive: true);
        }
        store.Put($"{ElectionRecord.CheckpointsDirectory(partition)}/{records.Count:D12}.note", System.Text.Encoding.UTF8.GetBytes(note));
        var close = CloseStatement.Open(File.ReadAllText(Path.Combine(record, CloseStatement.FileName)), election.Signer.Verifier, election.Id);
        var heads = close.Heads.Select(h => h.Partition == partition ? new PartitionHead(partition, records.Count, builder.Root) : h).ToList();
        File.WriteAllText(Path.Combine(record, CloseStatement.FileName), CloseStatement.Sign(election.Signer, election.Id, heads, heads.Sum(h => h.Size), close.Rejected, DateTimeOffset.UtcNow));
        Rehash(record, election.Id, election.Signer.Verifier);
    }

    private sealed class PartitionSink(IRecordStore store, int partition) : TVS.Merkle.Tiles.ITileSink
    {
        public void Write(string path, ReadOnlySpan<byte> content) => store.Put(BoardPartition.PathOf(partition, path), content);
    }

    /// <summary>Partition <paramref name="partition"/>'s entries as the record's board holds them at its close head.</summary>
    public static List<byte[]> Entries(string record, TVS.LoadGen.ElectionSetup election, int partition)
    {
        using var store = new DirectoryRecordStore(record, create: false);
        var close = CloseStatement.Open(File.ReadAllText(Path.Combine(record, CloseStatement.FileName)), election.Signer.Verifier, election.Id);
        var part = BoardPartition.Open(store, partition, close.Heads[partition].Size, close.Heads[partition].Root);
        var list = new List<byte[]>();
        for (long b = 0; b < part.Bundles; b++)
        {
            var bundle = part.ReadBundle(b);
            for (int i = 0; i < bundle.Count; i++)
            {
                list.Add(bundle.Record(i).ToArray());
            }
        }
        return list;
    }
}
