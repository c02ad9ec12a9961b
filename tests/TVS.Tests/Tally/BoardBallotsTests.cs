using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.Merkle;
using TVS.Merkle.Tiles;
using TVS.Tests.Witness;
using Xunit;

namespace TVS.Tests.Tally;

/// <summary>
/// The post-voting steps read the election's votes from the board's tiles and bundles
/// (<see cref="BoardPartition"/>, <see cref="BoardBallots"/>): authentic entries in ballot order,
/// and every board that is not the signed log refused with the file to blame.
/// </summary>
public sealed class BoardBallotsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class StoreSink(IRecordStore store, int partition) : ITileSink
    {
        public void Write(string path, ReadOnlySpan<byte> content) => store.Put(BoardPartition.PathOf(partition, path), content);
    }

    /// <summary>A board of <paramref name="size"/> distinct entries of varying length (TileBuilder, as the publisher writes it); returns the root.</summary>
    private static (Hash256 Root, List<byte[]> Entries) Publish(IRecordStore store, int partition, long size)
    {
        var builder = TileBuilder.Empty();
        var sink = new StoreSink(store, partition);
        var entries = new List<byte[]>();
        for (long i = 0; i < size; i++)
        {
            var entry = new byte[1 + (int)((i * 7919 + partition) % 700)];
            BitConverter.TryWriteBytes(entry.AsSpan(0, Math.Min(8, entry.Length)), i * 31 + partition);
            entry[^1] = (byte)partition;
            entries.Add(entry);
            builder.Append(entry, sink);
        }
        builder.WritePartials(sink);
        return (builder.Root, entries);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(256 * 256 + 3)]
    [InlineData(256 * 300)]
    public void A_partition_opens_against_its_root_and_every_entry_reads_back(long size)
    {
        using var store = new DirectoryRecordStore(_dir.Path);
        var (root, entries) = Publish(store, 2, size);
        var part = BoardPartition.Open(store, 2, size, root);
        Assert.Equal(Rfc9162.MerkleTreeHash(entries.Select(e => Rfc9162.HashLeaf(e)).ToArray()), root);
        Assert.Equal((size + 255) / 256, part.Bundles);
        long seen = 0;
        for (long b = 0; b < part.Bundles; b++)
        {
            var bundle = part.ReadBundle(b);
            for (int i = 0; i < bundle.Count; i++)
            {
                Assert.True(bundle.Record(i).SequenceEqual(entries[(int)(bundle.FirstIndex + i)]));
                seen++;
            }
        }
        Assert.Equal(size, seen);
    }

    [Fact]
    public void Ballots_come_in_ballot_order_across_partitions_for_any_range()
    {
        using var store = new DirectoryRecordStore(_dir.Path);
        long[] sizes = [300, 0, 1, 700];
        var heads = new List<PartitionHead>();
        var all = new List<(int Partition, long Index, byte[] Record)>();
        for (int k = 0; k < sizes.Length; k++)
        {
            var (root, entries) = Publish(store, k, sizes[k]);
            heads.Add(new PartitionHead(k, sizes[k], root));
            all.AddRange(entries.Select((e, i) => (k, (long)i, e)));
        }
        var close = new ClosedElection(new Checkpoint("test/close", heads.Count, CloseStatement.HeadsRoot(heads), []), heads, all.Count, 0);
        var ballots = new BoardBallots(store, close);
        Assert.Equal(all.Count, ballots.Count);
        var random = new Random(5);
        foreach (var (first, count) in new (long, int)[] { (0, all.Count), (299, 2), (300, 1), (0, 0) }.Concat(Enumerable.Range(0, 40).Select(_ =>
        {
            long f = random.NextInt64(all.Count);
            return (f, random.Next(0, (int)(all.Count - f) + 1));
        })))
        {
            long next = first;
            ballots.Read(first, count, (ballot, partition, index, record) =>
            {
                Assert.Equal(next, ballot);
                Assert.Equal(all[(int)ballot].Partition, partition);
                Assert.Equal(all[(int)ballot].Index, index);
                Assert.True(record.SequenceEqual(all[(int)ballot].Record));
                next++;
            });
            Assert.Equal(first + count, next);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ballots.Read(all.Count - 1, 2, (_, _, _, _) => { }));
    }

    [Fact]
    public void A_board_that_is_not_the_signed_log_is_refused_naming_the_file()
    {
        using var store = new DirectoryRecordStore(_dir.Path);
        const long size = 256 * 3 + 10;
        var (root, _) = Publish(store, 0, size);
        string Full(string p) => Path.Combine(_dir.Path, p);

        // An entry altered in a full bundle: the partition opens (its tiles are intact), the bundle is refused.
        string bundle1 = BoardPartition.PathOf(0, TilePaths.Entries(1, 256));
        var original = File.ReadAllBytes(Full(bundle1));
        var altered = (byte[])original.Clone();
        altered[^1] ^= 1;
        File.WriteAllBytes(Full(bundle1), altered);
        var part = BoardPartition.Open(store, 0, size, root);
        var e = Assert.Throws<BoardFormatException>(() => part.ReadBundle(1));
        Assert.Equal(bundle1, e.Path);
        Assert.Contains("do not hash", e.Message, StringComparison.Ordinal);

        // Truncated, then trailing bytes, then missing.
        File.WriteAllBytes(Full(bundle1), original[..^5]);
        Assert.Contains("truncated", Assert.Throws<BoardFormatException>(() => part.ReadBundle(1)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(Full(bundle1), [.. original, 0, 1]);
        Assert.Contains("bytes after", Assert.Throws<BoardFormatException>(() => part.ReadBundle(1)).Message, StringComparison.Ordinal);
        File.Delete(Full(bundle1));
        Assert.Contains("missing", Assert.Throws<BoardFormatException>(() => part.ReadBundle(1)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(Full(bundle1), original);

        // The partial bundle: an entry altered.
        string tail = BoardPartition.PathOf(0, TilePaths.Entries(3, 10));
        var tailBytes = File.ReadAllBytes(Full(tail));
        tailBytes[3] ^= 0x40;
        File.WriteAllBytes(Full(tail), tailBytes);
        Assert.Contains("entry 768", Assert.Throws<BoardFormatException>(() => part.ReadBundle(3)).Message, StringComparison.Ordinal);

        // Another root, a level-1 tile altered, the tail's level-0 tile missing: refused at open.
        var otherRoot = Rfc9162.HashLeaf("x"u8);
        Assert.Contains("do not hash to its signed root", Assert.Throws<BoardFormatException>(() => BoardPartition.Open(store, 0, size, otherRoot)).Message, StringComparison.Ordinal);
        Assert.Throws<BoardFormatException>(() => BoardPartition.Open(store, 0, size - 1, root));
        string level1 = BoardPartition.PathOf(0, TilePaths.Hash(1, 0, 3));
        var tile = File.ReadAllBytes(Full(level1));
        tile[40] ^= 1;
        File.WriteAllBytes(Full(level1), tile);
        Assert.Throws<BoardFormatException>(() => BoardPartition.Open(store, 0, size, root));
        tile[40] ^= 1;
        File.WriteAllBytes(Full(level1), tile);
        BoardPartition.Open(store, 0, size, root);
        File.Delete(Full(BoardPartition.PathOf(0, TilePaths.Hash(0, 3, 10))));
        var missing = Assert.Throws<BoardFormatException>(() => BoardPartition.Open(store, 0, size, root));
        Assert.Equal(BoardPartition.PathOf(0, TilePaths.Hash(0, 3, 10)), missing.Path);
    }
}
