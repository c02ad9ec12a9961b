using System.Buffers.Binary;

namespace TVS.Engine.Votes;

/// <summary>
/// Which partition of votes.pending a record key (the nullifier) belongs to: Kafka's default
/// partitioner for keyed records, <c>(murmur2(key) &amp; 0x7fffffff) mod N</c> (the Java client's
/// <c>Utils.toPositive(Utils.murmur2(key)) % numPartitions</c>, librdkafka's <c>murmur2_random</c>
/// for non-null keys, which the gateway's producers use). The verifier needs it to tell that every
/// accepted vote sits in its nullifier's partition: cross-partition nullifier uniqueness rests on
/// a nullifier only ever reaching one engine.
/// </summary>
public static class KeyPartitioner
{
    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitions"/>.</summary>
    public static int PartitionOf(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (int)((uint)(Murmur2(key) & 0x7fffffff) % (uint)partitions);
    }

    /// <summary>Kafka's murmur2 (seed 0x9747b28c, little-endian 4-byte blocks), as a signed 32-bit value like Java's.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        uint h = 0x9747b28c ^ (uint)data.Length;
        int blocks = data.Length / 4;
        for (int i = 0; i < blocks; i++)
        {
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        var tail = data[(blocks * 4)..];
        switch (tail.Length)
        {
            case 3:
                h ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                h ^= tail[0];
                h *= m;
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
