using System.Buffers.Binary;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Tests.Merkle;

/// <summary>The tlog-tiles writer, resume and tile-backed proofs against the MMR and the spec's examples.</summary>
public class TileTests
{
    /// <summary>A board in memory that, like the real ones, refuses to change an immutable resource.</summary>
    internal sealed class MemoryTiles : ITileSink, ITileReader
    {
        public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
        public int Writes { get; private set; }

        public void Write(string path, ReadOnlySpan<byte> content)
        {
            Writes++;
            if (Files.TryGetValue(path, out var old))
            {
                Assert.True(old.AsSpan().SequenceEqual(content), $"{path} rewritten with other bytes");
            }
            Files[path] = content.ToArray();
        }

        public byte[]? Read(string path) => Files.TryGetValue(path, out var b) ? b : null;
    }

    private static byte[] Entry(int i)
    {
        // Lengths vary (4 … 703 bytes), so bundles hold entries of different sizes.
        var e = new byte[4 + (i * 37 % 700)];
        BinaryPrimitives.WriteInt32BigEndian(e, i);
        e[^1] ^= (byte)(i * 7);
        return e;
    }

    [Theory]
    [InlineData(1234067L, "x001/x234/067")]
    [InlineData(0L, "000")]
    [InlineData(999L, "999")]
    [InlineData(1000L, "x001/000")]
    [InlineData(1000000L, "x001/x000/000")]
    public void Index_is_written_in_groups_of_three(long n, string expected) => Assert.Equal(expected, TilePaths.EncodeIndex(n));

    [Fact]
    public void Paths_follow_the_spec()
    {
        Assert.Equal("tile/0/x001/x234/067", TilePaths.Hash(0, 1234067, 256));
        Assert.Equal("tile/2/000.p/1", TilePaths.Hash(2, 0, 1));
        Assert.Equal("tile/entries/x002/417.p/112", TilePaths.Entries(2417, 112));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePaths.Hash(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePaths.Hash(64, 0, 1));
    }

    [Fact]
    public void A_tree_of_70000_has_the_tiles_the_spec_lists()
    {
        // C2SP tlog-tiles: "273 full level 0 tiles, one partial level 0 tile of width 112, one
        // full level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1".
        var tiles = new MemoryTiles();
        var b = TileBuilder.Empty();
        for (int i = 0; i < 70_000; i++)
        {
            b.Append(Entry(i), tiles);
        }
        b.WritePartials(tiles);
        var hashTiles = tiles.Files.Keys.Where(k => !k.StartsWith("tile/entries/", StringComparison.Ordinal)).ToList();
        Assert.Equal(273, hashTiles.Count(k => k.StartsWith("tile/0/", StringComparison.Ordinal) && !k.Contains(".p/", StringComparison.Ordinal)));
        Assert.Contains("tile/0/273.p/112", hashTiles);
        Assert.Contains("tile/1/000", hashTiles);
        Assert.Contains("tile/1/001.p/17", hashTiles);
        Assert.Contains("tile/2/000.p/1", hashTiles);
        Assert.Equal(273 + 1 + 1 + 1 + 1, hashTiles.Count);
        Assert.Equal(274, tiles.Files.Keys.Count(k => k.StartsWith("tile/entries/", StringComparison.Ordinal)));
        Assert.All(hashTiles.Where(k => !k.Contains(".p/", StringComparison.Ordinal)), k => Assert.Equal(8192, tiles.Files[k].Length));
    }

    [Fact]
    public void Root_resume_and_proofs_from_tiles_equal_the_MMR_at_every_checkpointed_size()
    {
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        var tiles = new MemoryTiles();
        var b = TileBuilder.Empty();
        var rng = new Random(7);
        long[] checkpoints = [1, 2, 255, 256, 257, 511, 512, 513, 1000, 65_535, 65_536, 65_537, 66_000, 70_000];
        int next = 0;
        foreach (long size in checkpoints)
        {
            for (; next < size; next++)
            {
                var e = Entry(next);
                mmr.Append(e);
                b.Append(e, tiles);
            }
            Assert.Equal(mmr.Root, b.Root);
            b.WritePartials(tiles);

            // A new builder resumed from the tiles alone reaches the same root and continues identically.
            var resumed = TileBuilder.TryResume(size, mmr.Root, tiles, out string? error);
            Assert.True(resumed is not null, error);
            Assert.Equal(size, resumed!.Size);
            b = resumed;

            // Proofs computed from the tiles are the MMR's, byte for byte.
            var fromTiles = TileNodeStore.OpenTree(tiles, size);
            Assert.Equal(mmr.RootAt(size), fromTiles.Root);
            for (int k = 0; k < 8; k++)
            {
                long index = k switch { 0 => 0, 1 => size - 1, _ => rng.NextInt64(size) };
                Assert.Equal(mmr.GetInclusionProof(index, size), fromTiles.GetInclusionProof(index, size));
                Assert.Equal(mmr.GetLeafHash(index), fromTiles.GetLeafHash(index));
            }
            long old = 1 + rng.NextInt64(size);
            Assert.Equal(mmr.GetConsistencyProof(old, size), fromTiles.GetConsistencyProof(old, size));
        }
    }

    [Fact]
    public void Resume_refuses_missing_damaged_or_foreign_tiles()
    {
        var tiles = new MemoryTiles();
        var b = TileBuilder.Empty();
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        for (int i = 0; i < 300; i++)
        {
            b.Append(Entry(i), tiles);
            mmr.Append(Entry(i));
        }
        b.WritePartials(tiles);
        Assert.NotNull(TileBuilder.TryResume(300, mmr.Root, tiles, out _));

        Assert.Null(TileBuilder.TryResume(300, mmr.RootAt(299), tiles, out string? wrongRoot));
        Assert.Contains("root", wrongRoot);

        var damaged = new MemoryTiles();
        foreach (var (k, v) in tiles.Files)
        {
            damaged.Files[k] = (byte[])v.Clone();
        }
        damaged.Files["tile/entries/001.p/44"][5] ^= 1;
        Assert.Null(TileBuilder.TryResume(300, mmr.Root, damaged, out string? badEntry));
        Assert.Contains("entry", badEntry);

        damaged.Files.Remove("tile/0/001.p/44");
        Assert.Null(TileBuilder.TryResume(300, mmr.Root, damaged, out string? missing));
        Assert.Contains("missing", missing);
    }

    [Fact]
    public void Entries_larger_than_a_uint16_are_refused()
    {
        var b = TileBuilder.Empty();
        var tiles = new MemoryTiles();
        b.Append(new byte[TileBuilder.MaxEntry], tiles);
        Assert.Throws<ArgumentException>(() => b.Append(new byte[TileBuilder.MaxEntry + 1], tiles));
        Assert.Equal(1, b.Size);
    }
}
