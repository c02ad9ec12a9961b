using System.Numerics;
using TVS.Crypto.Bn254;
using TVS.Engine;
using TVS.Engine.Votes;

namespace TVS.Tests.Votes;

/// <summary>The protocol's one accepted-vote entry codec and reader, and the one typed-nullifier parser.</summary>
public sealed class AcceptedVoteEntryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-entry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Record(int ballot, byte fill)
    {
        var r = new byte[VoteRecord.HeaderSize + ballot];
        r.AsSpan().Fill(fill);
        return r;
    }

    [Fact]
    public void File_round_trips_and_the_streaming_reader_skips_and_reads_the_same_entries()
    {
        var votes = new List<AcceptedVote> { new(0, 7, Record(0, 1)), new(1, 9, Record(5, 2)), new(2, 12, Record(300, 3)) };
        string path = Path.Combine(_dir, "votes.bin");
        AcceptedVoteFile.Write(path, votes);
        Assert.Equal(votes.Sum(v => AcceptedVoteEntry.HeaderSize + v.Record.Length), new FileInfo(path).Length);

        var back = AcceptedVoteFile.Read(path);
        Assert.Equal(votes.Select(v => (v.MmrIndex, v.Offset)), back.Select(v => (v.MmrIndex, v.Offset)));
        Assert.True(votes.Zip(back).All(p => p.First.Record.AsSpan().SequenceEqual(p.Second.Record)));

        using var f = File.OpenRead(path);
        var reader = new AcceptedVoteReader(f, f.Length);
        var record = new byte[VoteRecord.MaxPlaintext];
        Assert.True(reader.TryReadHeader(out long i0, out _, out _));
        reader.SkipRecord();
        Assert.True(reader.TryReadHeader(out long i1, out long o1, out int n1));
        reader.ReadRecord(record);
        Assert.Equal((1L, 9L, votes[1].Record.Length), (i1, o1, n1));
        Assert.Equal(votes[1].Record, record.AsSpan(0, n1).ToArray());
        Assert.Equal(0, i0);
        Assert.Equal(AcceptedVoteEntry.HeaderSize * 2 + votes[0].Record.Length + votes[1].Record.Length, reader.Position);
    }

    [Fact]
    public void Truncated_or_oversized_entries_are_refused_naming_the_entry_and_its_byte()
    {
        string path = Path.Combine(_dir, "votes.bin");
        var one = new AcceptedVote(0, 0, Record(1, 4));
        int size = AcceptedVoteEntry.HeaderSize + one.Record.Length;
        AcceptedVoteFile.Write(path, [one, one with { MmrIndex = 1 }]);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..(size + 10)]);
        var e = Assert.Throws<InvalidDataException>(() => AcceptedVoteFile.Read(path));
        Assert.Equal($"entry 1 (byte {size}): truncated header", e.Message);

        File.WriteAllBytes(path, bytes[..^1]);
        e = Assert.Throws<InvalidDataException>(() => AcceptedVoteFile.Read(path));
        Assert.Equal($"entry 1 (byte {size}): record length {one.Record.Length} is out of range or past the end", e.Message);

        var small = bytes[..size];
        AcceptedVoteEntry.WriteHeader(small, 0, 0, VoteRecord.HeaderSize - 1);
        File.WriteAllBytes(path, small);
        e = Assert.Throws<InvalidDataException>(() => AcceptedVoteFile.Read(path));
        Assert.Contains("entry 0 (byte 0): record length", e.Message);

        // A reader given a committed length stops there and names its source.
        File.WriteAllBytes(path, bytes);
        using var f = File.OpenRead(path);
        var reader = new AcceptedVoteReader(f, size, "p0/votes.log");
        Assert.True(reader.TryRead(out var first));
        Assert.Equal(0, first.MmrIndex);
        Assert.False(reader.TryRead(out _));
        using var g = File.OpenRead(path);
        var cut = new AcceptedVoteReader(g, size + 5, "p0/votes.log");
        Assert.True(cut.TryRead(out _));
        e = Assert.Throws<InvalidDataException>(() => cut.TryRead(out _));
        Assert.Equal($"p0/votes.log: entry 1 (byte {size}): truncated header", e.Message);
    }

    [Fact]
    public void Sealed_nullifier_is_cut_at_the_records_one_offset()
    {
        var r = Record(0, 0);
        r[VoteRecord.NullifierOffset] = 0xAB;
        r[VoteRecord.NullifierOffset + VoteRecord.KeySize - 1] = 0xCD;
        var v = new AcceptedVote(0, 0, r);
        Assert.Equal(VoteRecord.KeySize, v.NullifierBytes.Length);
        Assert.Equal(0xAB, v.NullifierBytes[0]);
        Assert.Equal(0xCD, v.NullifierBytes[^1]);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("  12345\n")]
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000003039")]
    [InlineData("0X0000000000000000000000000000000000000000000000000000000000003039")]
    [InlineData("000000000000000000000000000000000000000000000000000000000000303a")]
    public void Nullifier_parses_decimal_and_hex(string text)
    {
        Assert.True(Nullifier.TryParse(text, out var n));
        Assert.True(Fr.TryFromBigEndian(n.AsSpan(), out var fr));
        var expected = text.Contains("303a", StringComparison.Ordinal) ? 12346 : 12345;
        Assert.Equal(Fr.FromBigInteger(expected), fr);
    }

    [Fact]
    public void Nullifier_refuses_what_is_not_a_canonical_scalar()
    {
        string r = Fr.Modulus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string rHex = Convert.ToHexStringLower(Fr.Modulus.ToByteArray(isUnsigned: true, isBigEndian: true));
        Assert.True(Nullifier.TryParse((Fr.Modulus - BigInteger.One).ToString(System.Globalization.CultureInfo.InvariantCulture), out _));
        foreach (var bad in new[] { "", "  ", "not-a-number", "-1", "+1", "1.5", r, rHex, "0x" + rHex, "0x12", "0x" + new string('g', 64), new string('f', 63) + "_" })
        {
            Assert.False(Nullifier.TryParse(bad, out _), bad);
        }
        // 64 decimal digits are a decimal number (below r), not hex.
        string digits = new('1', 64);
        Assert.True(Nullifier.TryParse(digits, out var d));
        Assert.True(Fr.TryFromBigEndian(d.AsSpan(), out var fr));
        Assert.Equal(Fr.FromBigInteger(BigInteger.Parse(digits, System.Globalization.CultureInfo.InvariantCulture)), fr);
    }
}
