using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;

namespace TVS.Tests.Tally;

/// <summary>The shares file's version byte: version 2 holds 128-byte shares with their commitments; a version-1 file (96-byte (c, z) shares) is refused, not misread.</summary>
public class ShareChunkVersionTests
{
    private static readonly Guid Election = Guid.Parse("0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f");

    [Fact]
    public void Version_2_round_trips_and_its_shares_verify_in_a_batch()
    {
        var s = RistrettoScalar.Random();
        var y = RistrettoPoint.MultiplyBase(s);
        var rs = Enumerable.Range(0, 3).Select(_ => RistrettoPoint.MultiplyBase(RistrettoScalar.Random())).ToArray();
        var body = new byte[rs.Length * DecryptionShare.Length];
        for (int k = 0; k < rs.Length; k++) ThresholdDecryption.CreateShare(Election, s, y, rs[k]).Encode(body.AsSpan(k * DecryptionShare.Length));
        var file = ShareChunk.Encode(Election, 3, 4096, rs.Length, new byte[32], body);
        Assert.Equal((byte)2, file[7]);

        var chunk = ShareChunk.TryDecode(file, out var error);
        Assert.Null(error);
        Assert.NotNull(chunk);
        var batch = new DleqBatch(Election, rs.Length);
        for (int k = 0; k < chunk.Count; k++) batch.Add(y, rs[k], chunk.ShareBytes(k), k);
        Assert.All(batch.Verify(out _).ToArray(), Assert.True);
    }

    [Fact]
    public void A_version_1_file_is_refused()
    {
        var file = ShareChunk.Encode(Election, 1, 0, 1, new byte[32], new byte[DecryptionShare.Length]);
        file[7] = 1;
        Assert.Null(ShareChunk.TryDecode(file, out var error));
        Assert.Equal("not a shares file (magic or length)", error);
    }
}
