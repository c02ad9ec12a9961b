using System.Buffers.Binary;
using System.Text;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Merkle.Tiles;
using TVS.Storage.Board;
using Xunit.Abstractions;

namespace TVS.Tests.Merkle;

/// <summary>
/// The tlog-tiles board against Go's x/mod tlog (tools/tlog-verify): TileBuilder writes byte for
/// byte what Go's reference writer does, and a publisher that crashes between tiles and checkpoint,
/// loses its board or finds a damaged tile leaves a board Go accepts at every moment, without ever
/// changing an immutable file.
/// </summary>
public sealed class BoardTileInteropTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-board-interop-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Small entries of varying length (1 … 97 bytes), none empty (Go refuses empty records).</summary>
    private static byte[] SmallEntry(int i)
    {
        var e = new byte[1 + (i * 31 % 97)];
        for (int j = 0; j < e.Length; j++)
        {
            e[j] = (byte)(i * 13 + j * 7);
        }
        if (e.Length >= 4)
        {
            BinaryPrimitives.WriteInt32BigEndian(e, i);
        }
        return e;
    }

    /// <summary>Real-size records: a 347-byte header and a ballot of 51 + 2k bytes, with a few of the largest entry (65,535 bytes).</summary>
    private static byte[] RecordSizeEntry(int i)
    {
        int length = i % 97 == 5 ? TileBuilder.MaxEntry : 347 + 51 + 2 * (1 + i % 40);
        var e = new byte[length];
        new Random(i).NextBytes(e);
        return e;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(255, false)]
    [InlineData(256, false)]
    [InlineData(257, false)]
    [InlineData(1000, false)]
    [InlineData(65_537, false)]
    [InlineData(300, true)]
    [InlineData(513, true)]
    public void TileBuilder_writes_exactly_the_files_Go_writes(int size, bool recordSize)
    {
        string? tool = TlogVerifyTool.Get(output);
        if (tool is null)
        {
            return;
        }
        var ours = new TileTests.MemoryTiles();
        var builder = TileBuilder.Empty();
        string entries = Path.Combine(_dir, "entries");
        using (var f = File.Create(entries))
        {
            Span<byte> length = stackalloc byte[2];
            for (int i = 0; i < size; i++)
            {
                byte[] e = recordSize ? RecordSizeEntry(i) : SmallEntry(i);
                builder.Append(e, ours);
                BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)e.Length);
                f.Write(length);
                f.Write(e);
            }
        }
        builder.WritePartials(ours);

        string goDir = Path.Combine(_dir, "go");
        var (exit, stdout, stderr) = TlogVerifyTool.Run(tool, _dir, "-make-tiles", goDir, "-entries", entries);
        Assert.True(exit == 0, $"tlog-verify -make-tiles: {stdout} {stderr}");
        Assert.Equal(builder.Root.ToBase64(), stdout.Trim());

        var theirs = Directory.EnumerateFiles(goDir, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(goDir, p).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes, StringComparer.Ordinal);
        Assert.Equal(theirs.Keys.Order(StringComparer.Ordinal), ours.Files.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, bytes) in theirs)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(ours.Files[path]), $"{path}: Go wrote {bytes.Length} bytes, TileBuilder {ours.Files[path].Length} (or other bytes)");
        }
        output.WriteLine($"size {size}: {theirs.Count} files identical, root {stdout.Trim()}");
    }

    /// <summary>An authority in memory: records, and a signed checkpoint at a chosen size.</summary>
    private sealed class MemorySource(NoteSigner signer, string origin) : IBoardSource
    {
        private readonly MerkleMountainRange _mmr = new(new InMemoryMmrNodeStore());
        private readonly List<byte[]> _records = [];
        private StoredCheckpoint? _latest;

        public void Grow(int count, Func<int, byte[]> entry)
        {
            for (int i = 0; i < count; i++)
            {
                byte[] e = entry(_records.Count);
                _records.Add(e);
                _mmr.Append(e);
            }
            var c = Checkpoint.Of(origin, _mmr, _records.Count);
            _latest = new StoredCheckpoint(0, c.Size, c.Root, c.Sign(signer));
        }

        public StoredCheckpoint? LatestCheckpoint(int partition) => _latest;

        public void ReadRecords(int partition, long from, long to, CommittedRecordVisitor visitor)
        {
            for (long i = from; i < to && i < _records.Count; i++)
            {
                visitor(i, _records[(int)i]);
            }
        }
    }

    /// <summary>A board whose <c>checkpoint</c> (or another chosen resource) cannot be written: the crash point.</summary>
    private sealed class FailingBoard(IBoardStore inner, Func<string, bool> fails) : IBoardStore
    {
        public List<string> Refused { get; } = [];

        public string Location => inner.Location;

        public void Put(string path, ReadOnlySpan<byte> content)
        {
            if (fails(path))
            {
                Refused.Add(path);
                throw new IOException($"simulated crash before {path}");
            }
            inner.Put(path, content);
        }

        public byte[]? TryGet(string path) => inner.TryGet(path);

        public IEnumerable<string> List(string prefix) => inner.List(prefix);

        public void Dispose()
        {
        }
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
        .ToDictionary(p => Path.GetRelativePath(dir, p).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes, StringComparer.Ordinal);

    /// <summary>Every file of <paramref name="before"/> but the checkpoints is still there with the same bytes.</summary>
    private static void AssertImmutableKept(Dictionary<string, byte[]> before, string dir)
    {
        var after = Snapshot(dir);
        foreach (var (path, bytes) in before.Where(kv => !kv.Key.EndsWith("/checkpoint", StringComparison.Ordinal)))
        {
            Assert.True(after.TryGetValue(path, out var now), $"{path} disappeared");
            Assert.True(bytes.AsSpan().SequenceEqual(now), $"{path} changed");
        }
    }

    private static long BoardSize(string boardRoot, NoteVerifier verifier, string origin)
        => Checkpoint.Open(File.ReadAllText(Path.Combine(boardRoot, "p0", "checkpoint")), verifier, origin).Size;

    private void GoAccepts(string tool, string keyFile, string boardRoot, long size)
    {
        var (exit, stdout, stderr) = TlogVerifyTool.Run(tool, _dir, "-key", keyFile, "-tiles", Path.Combine(boardRoot, "p0"), "-proofs-every", "97");
        output.WriteLine($"tlog-verify -tiles -> {exit}: {stdout.Trim()} {stderr.Trim()}");
        Assert.True(exit == 0, $"Go refused the board: {stdout} {stderr}");
        Assert.StartsWith($"OK tiles size {size} entries {size} ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_crash_between_tiles_and_checkpoint_leaves_the_old_checkpoint_and_a_restart_completes()
    {
        string? tool = TlogVerifyTool.Get(output);
        if (tool is null)
        {
            return;
        }
        using var signer = NoteSigner.Generate("tvs.example/board");
        const string origin = "tvs.example/e1/p0";
        string keyFile = Path.Combine(_dir, "board.vkey");
        File.WriteAllText(keyFile, signer.Verifier.VerifierKey + "\n");
        string root = Path.Combine(_dir, "board");
        var source = new MemorySource(signer, origin);
        source.Grow(1000, RecordSizeEntry);
        using (var board = new LocalBoardStore(root))
        {
            Assert.Equal(1000, new BoardPublisher(board, source, 0, signer.Verifier, origin).PublishOnce().ToSize);
        }
        GoAccepts(tool, keyFile, root, 1000);

        // The authority moves on to 1,700 (1000 → 1700 completes tiles 3 … 5 and the bundles
        // with them); the publisher writes every tile of the new size and dies at the checkpoint.
        source.Grow(700, RecordSizeEntry);
        var before = Snapshot(root);
        using (var board = new LocalBoardStore(root))
        {
            var crashing = new FailingBoard(board, p => p == "p0/checkpoint");
            var publisher = new BoardPublisher(crashing, source, 0, signer.Verifier, origin);
            Assert.Throws<IOException>(() => publisher.PublishOnce());
            Assert.Equal(["p0/checkpoint"], crashing.Refused);
        }
        var crashed = Snapshot(root);
        Assert.Contains("p0/tile/0/005", crashed.Keys);
        Assert.Contains("p0/tile/0/006.p/164", crashed.Keys);
        Assert.Contains("p0/tile/entries/006.p/164", crashed.Keys);
        Assert.Equal(before["p0/checkpoint"], crashed["p0/checkpoint"]);
        AssertImmutableKept(before, root);
        // Meanwhile readers see the old checkpoint, and everything it needs is intact.
        Assert.Equal(1000, BoardSize(root, signer.Verifier, origin));
        GoAccepts(tool, keyFile, root, 1000);

        // A restart resumes from the board's checkpoint (1000) and writes the same tiles again.
        using (var board = new LocalBoardStore(root))
        {
            var done = new BoardPublisher(board, source, 0, signer.Verifier, origin).PublishOnce();
            Assert.True(done.CheckpointWritten);
            Assert.Equal((1000L, 1700L), (done.FromSize, done.ToSize));
        }
        Assert.Equal(1700, BoardSize(root, signer.Verifier, origin));
        GoAccepts(tool, keyFile, root, 1700);
        AssertImmutableKept(crashed, root);

        // The store would have noticed: a tile that exists is never replaced by other bytes.
        using (var board = new LocalBoardStore(root))
        {
            var tile = board.TryGet("p0/tile/0/003")!;
            tile[0] ^= 1;
            Assert.Throws<InvalidDataException>(() => board.Put("p0/tile/0/003", tile));
            tile[0] ^= 1;
            board.Put("p0/tile/0/003", tile); // the same bytes again: harmless
        }
    }

    [Fact]
    public void The_same_publisher_retries_after_a_failed_tile_write()
    {
        string? tool = TlogVerifyTool.Get(output);
        if (tool is null)
        {
            return;
        }
        using var signer = NoteSigner.Generate("tvs.example/board");
        const string origin = "tvs.example/e1/p0";
        string keyFile = Path.Combine(_dir, "board.vkey");
        File.WriteAllText(keyFile, signer.Verifier.VerifierKey + "\n");
        string root = Path.Combine(_dir, "board");
        var source = new MemorySource(signer, origin);
        source.Grow(1000, SmallEntry);
        using var board = new LocalBoardStore(root);
        // S3 down for one put, in the middle of the round: a full level-0 tile (after its bundle).
        bool down = true;
        var flaky = new FailingBoard(board, p => down && p == "p0/tile/0/002");
        var publisher = new BoardPublisher(flaky, source, 0, signer.Verifier, origin);
        Assert.Throws<IOException>(() => publisher.PublishOnce());
        Assert.Null(board.TryGet("p0/checkpoint"));
        down = false;
        var done = publisher.PublishOnce();
        Assert.True(done.CheckpointWritten);
        Assert.Equal(1000, done.ToSize);
        GoAccepts(tool, keyFile, root, 1000);

        // Again on a board that has a checkpoint: the retry resumes from it.
        source.Grow(800, SmallEntry);
        down = true;
        flaky = new FailingBoard(board, p => down && p == "p0/tile/entries/005");
        publisher = new BoardPublisher(flaky, source, 0, signer.Verifier, origin);
        Assert.Throws<IOException>(() => publisher.PublishOnce());
        Assert.Equal(1000, BoardSize(root, signer.Verifier, origin));
        down = false;
        Assert.Equal(1800, publisher.PublishOnce().ToSize);
        GoAccepts(tool, keyFile, root, 1800);
    }

    [Fact]
    public void A_lost_board_is_rebuilt_from_the_authority_and_a_damaged_tile_is_refused_then_rebuilt()
    {
        string? tool = TlogVerifyTool.Get(output);
        if (tool is null)
        {
            return;
        }
        using var signer = NoteSigner.Generate("tvs.example/board");
        const string origin = "tvs.example/e1/p0";
        string keyFile = Path.Combine(_dir, "board.vkey");
        File.WriteAllText(keyFile, signer.Verifier.VerifierKey + "\n");
        string root = Path.Combine(_dir, "board");
        var source = new MemorySource(signer, origin);
        source.Grow(66_000, SmallEntry); // three tile levels
        using (var board = new LocalBoardStore(root))
        {
            new BoardPublisher(board, source, 0, signer.Verifier, origin).PublishOnce();
        }
        GoAccepts(tool, keyFile, root, 66_000);
        var published = Snapshot(root);

        // The whole board deleted: the next publisher rebuilds it from the authority, byte for byte.
        Directory.Delete(root, true);
        using (var board = new LocalBoardStore(root))
        {
            var done = new BoardPublisher(board, source, 0, signer.Verifier, origin).PublishOnce();
            Assert.Equal((0L, 66_000L), (done.FromSize, done.ToSize));
        }
        var rebuilt = Snapshot(root);
        Assert.Equal(published.Keys.Order(StringComparer.Ordinal), rebuilt.Keys.Order(StringComparer.Ordinal));
        AssertImmutableKept(published, root);
        Assert.Equal(published["p0/checkpoint"], rebuilt["p0/checkpoint"]);
        GoAccepts(tool, keyFile, root, 66_000);

        // A partial tile of the published size damaged: Go refuses the board, TryResume refuses it
        // too, and the publisher rebuilds from the authority. The store will not overwrite the
        // damaged file (tiles are immutable), so the round fails naming it; once an operator has
        // removed it, the next round writes it again and the board verifies.
        string damaged = "p0/tile/0/257.p/208"; // 66,000 = 257·256 + 208
        string damagedPath = Path.Combine(root, damaged);
        byte[] good = File.ReadAllBytes(damagedPath);
        byte[] bad = (byte[])good.Clone();
        bad[100] ^= 0x40;
        File.WriteAllBytes(damagedPath, bad);
        var refused = TlogVerifyTool.Run(tool, _dir, "-key", keyFile, "-tiles", Path.Combine(root, "p0"));
        Assert.Equal(1, refused.Exit);
        var note = File.ReadAllText(Path.Combine(root, "p0", "checkpoint"));
        var cp = Checkpoint.Open(note, signer.Verifier, origin);
        using (var board = new LocalBoardStore(root))
        {
            Assert.Null(TileBuilder.TryResume(cp.Size, cp.Root, new PrefixReader(board, "p0/"), out string? why));
            output.WriteLine($"TryResume: {why}");
            var e = Assert.Throws<InvalidDataException>(() => new BoardPublisher(board, source, 0, signer.Verifier, origin).PublishOnce());
            Assert.Contains("immutable", e.Message, StringComparison.Ordinal);
            Assert.Equal(bad, File.ReadAllBytes(damagedPath));
        }
        File.Delete(damagedPath);
        using (var board = new LocalBoardStore(root))
        {
            Assert.Null(TileBuilder.TryResume(cp.Size, cp.Root, new PrefixReader(board, "p0/"), out _));
            new BoardPublisher(board, source, 0, signer.Verifier, origin).PublishOnce();
        }
        Assert.Equal(good, File.ReadAllBytes(damagedPath));
        AssertImmutableKept(published, root);
        GoAccepts(tool, keyFile, root, 66_000);

        // A damaged full tile is not read by TryResume (only the right edge is), so a resumed
        // publisher does not see it; Go does.
        string full = Path.Combine(root, "p0", "tile", "0", "100");
        byte[] fullGood = File.ReadAllBytes(full);
        byte[] fullBad = (byte[])fullGood.Clone();
        fullBad[8000] ^= 1;
        File.WriteAllBytes(full, fullBad);
        Assert.Equal(1, TlogVerifyTool.Run(tool, _dir, "-key", keyFile, "-tiles", Path.Combine(root, "p0")).Exit);
        File.WriteAllBytes(full, fullGood);
        GoAccepts(tool, keyFile, root, 66_000);
    }

    private sealed class PrefixReader(IBoardStore board, string prefix) : ITileReader
    {
        public byte[]? Read(string path) => board.TryGet(prefix + path);
    }
}
