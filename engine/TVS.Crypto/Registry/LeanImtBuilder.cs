using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;

namespace TVS.Crypto.Registry;

/// <summary>
/// The LeanIMT root of a registry whose leaves are all known, on all cores, without keeping the
/// tree. The leaves are cut into aligned blocks of 2^k; the node at level k over block i is the
/// LeanIMT root of that block alone (a partial last block's root is carried up unchanged, as
/// lean-imt carries a lone left child), so each worker hashes whole blocks in one reusable buffer
/// and only one node per block is kept; the block roots then form the level-k row of the tree.
/// Memory: one block per worker plus 32 bytes per block, whatever the registry's size — the
/// leaves can stream from a file (<see cref="LeafReader"/>).
/// </summary>
public static class LeanImtBuilder
{
    /// <summary>Fills <paramref name="destination"/> with the leaves from <paramref name="start"/> on. Called from several threads at once.</summary>
    public delegate void LeafReader(long start, Span<Fr> destination);

    /// <summary>2^16 leaves (2 MiB) per block: large enough that per-block work dwarfs scheduling, small enough to stay in L2/L3.</summary>
    public const int DefaultBlockLog2 = 16;

    /// <summary>The root of the LeanIMT over <paramref name="leaves"/> (zero when empty, as @semaphore-protocol/group).</summary>
    public static Fr ComputeRoot(ReadOnlyMemory<Fr> leaves, int maxDegreeOfParallelism = -1, int blockLog2 = DefaultBlockLog2)
        => ComputeRoot(leaves.Length, (start, dst) => leaves.Span.Slice(checked((int)start), dst.Length).CopyTo(dst), maxDegreeOfParallelism, blockLog2);

    /// <summary>The root of the LeanIMT over <paramref name="count"/> leaves read through <paramref name="read"/>.</summary>
    public static Fr ComputeRoot(long count, LeafReader read, int maxDegreeOfParallelism = -1, int blockLog2 = DefaultBlockLog2)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (blockLog2 is < 1 or > 26) throw new ArgumentOutOfRangeException(nameof(blockLog2));
        if (LeanImt.DepthFor(count) > LeanImt.MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(count), $"a LeanIMT of depth ≤ {LeanImt.MaxDepth} holds at most 2^{LeanImt.MaxDepth} leaves");
        if (count == 0) return Fr.Zero;

        int block = 1 << blockLog2;
        long blocks = (count + block - 1) >> blockLog2;
        var roots = new Fr[blocks];
        int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        try
        {
            Parallel.For(0L, blocks, new ParallelOptions { MaxDegreeOfParallelism = workers },
                () => new Fr[block],
                (b, _, buffer) =>
                {
                    long start = b << blockLog2;
                    int n = (int)Math.Min(block, count - start);
                    read(start, buffer.AsSpan(0, n));
                    roots[b] = SubtreeRoot(buffer.AsSpan(0, n));
                    return buffer;
                },
                _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The reader's own exception (bad leaf, short file) rather than Parallel's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
        return SubtreeRoot(roots);
    }

    /// <summary>
    /// The root of the LeanIMT over a file of leaves, each 32 bytes big-endian and below r
    /// (the registry's binary form: 350M leaves are 11.2 GB, read block by block with positioned
    /// reads that the workers issue concurrently). Throws <see cref="InvalidDataException"/> on a
    /// length that is not a multiple of 32 or a leaf ≥ r.
    /// </summary>
    public static Fr ComputeRootFromFile(string path, int maxDegreeOfParallelism = -1, int blockLog2 = DefaultBlockLog2)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        long length = RandomAccess.GetLength(handle);
        if (length % 32 != 0) throw new InvalidDataException($"{path}: {length} bytes is not a whole number of 32-byte leaves");
        return ComputeRoot(length / 32, (start, dst) =>
        {
            // Read straight into the leaf buffer, then convert each 32-byte big-endian leaf to
            // Montgomery form in place (an Fr is 32 bytes, so leaf i's bytes sit where Fr i goes).
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(dst);
            long offset = start * 32;
            for (int done = 0; done < bytes.Length;)
            {
                int n = RandomAccess.Read(handle, bytes[done..], offset + done);
                if (n <= 0) throw new EndOfStreamException($"{path}: shorter than expected");
                done += n;
            }
            for (int i = 0; i < dst.Length; i++)
            {
                if (!Fr.TryFromBigEndian(bytes.Slice(i * 32, 32), out var leaf))
                    throw new InvalidDataException($"{path}: leaf {start + i} is not below r");
                dst[i] = leaf;
            }
        }, maxDegreeOfParallelism, blockLog2);
    }

    /// <summary>
    /// The LeanIMT root of <paramref name="nodes"/>, computed in place (the span is overwritten):
    /// parent i goes to slot i, which no later parent of the same level reads.
    /// </summary>
    public static Fr SubtreeRoot(Span<Fr> nodes)
    {
        if (nodes.IsEmpty) return Fr.Zero;
        int m = nodes.Length;
        while (m > 1)
        {
            int pairs = m >> 1;
            for (int i = 0; i < pairs; i++) nodes[i] = Poseidon.Hash2(in nodes[2 * i], in nodes[2 * i + 1]);
            if ((m & 1) != 0) nodes[pairs] = nodes[m - 1];
            m = pairs + (m & 1);
        }
        return nodes[0];
    }
}
