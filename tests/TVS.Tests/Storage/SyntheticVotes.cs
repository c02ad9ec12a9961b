using System.Buffers.Binary;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Merkle;

namespace TVS.Tests.Storage;

/// <summary>
/// Batches of well-formed-looking v1 plaintexts (docs/formats.md "Vote record (v1)": random
/// root, nullifier, proof and ballot) for storage tests that do not need valid proofs.
/// </summary>
internal static class SyntheticVotes
{
    public static byte[] Record(Guid election, Random rng, int ballotBytes = 160)
    {
        var r = new byte[347 + ballotBytes];
        rng.NextBytes(r);
        "TVSV"u8.CopyTo(r);
        r[4] = 1;
        r[5] = 0;
        election.TryWriteBytes(r.AsSpan(6, 16), bigEndian: true, out _);
        r[22] = 20;
        BinaryPrimitives.WriteInt32BigEndian(r.AsSpan(343), ballotBytes);
        return r;
    }

    /// <summary><paramref name="count"/> accepted votes with MMR indexes from <paramref name="firstIndex"/> at input offsets 10 apart.</summary>
    public static VoteBatch Batch(Guid election, int partition, long firstIndex, int count, int seed, int ballotBytes = 160)
    {
        var batch = new VoteBatch(election, partition);
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var record = Record(election, rng, ballotBytes);
            batch.AddAccepted(firstIndex + i, (firstIndex + i) * 10, record, Rfc9162.HashLeaf(record), 0);
        }
        return batch;
    }
}
