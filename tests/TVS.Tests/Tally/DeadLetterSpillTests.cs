using TVS.Cli;
using TVS.Engine.Tally;
using TVS.Storage.Local;

namespace TVS.Tests.Tally;

/// <summary>
/// The record's dead letters (docs/formats.md "Dead letters in the record"): read in any order with
/// repeats (votes.rejected after a retried batch or a replay), they come out one per input offset,
/// in offset order, cut into files of 4,096 frames with their original bytes and reason.
/// </summary>
public sealed class DeadLetterSpillTests
{
    [Fact]
    public void Dead_letters_come_out_once_per_offset_in_offset_order_in_files_of_4096()
    {
        const int Letters = 5000;
        var random = new Random(14);
        byte[] Key(long offset) => BitConverter.GetBytes(offset * 3);
        byte[] Value(long offset) => Enumerable.Range(0, 1 + (int)(offset % 90)).Select(i => (byte)(i + offset)).ToArray();
        string Reason(long offset) => offset % 3 == 0 ? "duplicate" : "bad_proof";
        var order = Enumerable.Range(0, Letters).Select(i => (long)i).Concat(Enumerable.Range(0, 100).Select(_ => (long)random.Next(Letters))).OrderBy(_ => random.Next()).ToList();
        using var spill = new DeadLetterSpill(2);
        foreach (long offset in order)
        {
            spill.Add(0, offset, Reason(offset), Key(offset), Value(offset));
        }
        for (long offset = 10; offset < 13; offset++)
        {
            spill.Add(1, offset, "malformed", [], Value(offset));
        }
        spill.Add(7, 0, "malformed", [], [1]);
        Assert.Equal([Letters, 3], spill.Seal());
        Assert.Equal([7], spill.Stray);

        var files = spill.Files().ToList();
        Assert.Equal([RecordLayout.DeadLetterFile(0, 0), RecordLayout.DeadLetterFile(0, 4096), RecordLayout.DeadLetterFile(1, 0)], files.Select(f => f.Path));
        var p0 = files.Take(2).SelectMany(f => LocalDeadLetterSink.ReadFrames(new MemoryStream(f.Read()))).ToList();
        Assert.Equal(4096, LocalDeadLetterSink.ReadFrames(new MemoryStream(files[0].Read())).Count);
        Assert.Equal(Enumerable.Range(0, Letters).Select(i => (long)i), p0.Select(l => l.Offset));
        Assert.All(p0, l =>
        {
            Assert.Equal(Reason(l.Offset), l.Reason);
            Assert.Equal(Key(l.Offset), l.Key);
            Assert.Equal(Value(l.Offset), l.Value);
        });
        var p1 = LocalDeadLetterSink.ReadFrames(new MemoryStream(files[2].Read()));
        Assert.Equal([10L, 11, 12], p1.Select(l => l.Offset));
        Assert.All(p1, l => Assert.Empty(l.Key));
    }
}
