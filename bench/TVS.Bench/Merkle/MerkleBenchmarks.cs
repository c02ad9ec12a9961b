using BenchmarkDotNet.Attributes;
using TVS.Merkle;
using TVS.Storage;

namespace TVS.Bench.Merkle;

/// <summary>
/// Merkle Mountain Range costs: append per leaf (in memory; file store with one fsync per
/// 1024-leaf batch) and proof generation in a 2^20-leaf tree. Results: docs/PERFORMANCE.md.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class MerkleBenchmarks
{
    private const int Batch = 1024;
    private const int TreeSize = 1 << 20;

    private readonly byte[] _leafData = new byte[100];
    private Hash256[] _leafHashes = [];
    private MerkleMountainRange _appendMemory = null!;
    private MerkleMountainRange _appendFile = null!;
    private MerkleMountainRange _tree = null!;
    private MerkleMountainRange _fileTree = null!;
    private string _dir = "";
    private long[] _indexes = [];
    private Hash256[] _proofBuffer = [];
    private int _next;
    private Hash256[][] _proofs = [];
    private Hash256[] _proofLeaves = [];
    private Hash256 _treeRoot;

    [GlobalSetup]
    public void Setup()
    {
        _leafHashes = new Hash256[Batch];
        for (int i = 0; i < Batch; i++)
        {
            _leafHashes[i] = Rfc9162.HashLeaf(BitConverter.GetBytes(i));
        }
        _dir = Directory.CreateTempSubdirectory("tvs-bench-mmr-").FullName;
        _appendMemory = new MerkleMountainRange(new InMemoryMmrNodeStore());
        _appendFile = new MerkleMountainRange(FileMmrNodeStore.Open(Path.Combine(_dir, "append.mmr")));
        _tree = new MerkleMountainRange(new InMemoryMmrNodeStore());
        _fileTree = new MerkleMountainRange(FileMmrNodeStore.Open(Path.Combine(_dir, "tree.mmr")));
        for (int i = 0; i < TreeSize; i++)
        {
            _tree.AppendLeafHash(_leafHashes[i % Batch]);
            _fileTree.AppendLeafHash(_leafHashes[i % Batch]);
        }
        _fileTree.Flush();
        var rng = new Random(42);
        _indexes = new long[4096];
        for (int i = 0; i < _indexes.Length; i++)
        {
            _indexes[i] = rng.NextInt64(TreeSize - 1000);
        }
        _proofBuffer = new Hash256[64];
        _treeRoot = _tree.Root;
        _proofs = new Hash256[64][];
        _proofLeaves = new Hash256[64];
        for (int k = 0; k < 64; k++)
        {
            _proofs[k] = _tree.GetInclusionProof(_indexes[k], TreeSize);
            _proofLeaves[k] = _tree.GetLeafHash(_indexes[k]);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _appendFile.Store.Dispose();
        _fileTree.Store.Dispose();
        Directory.Delete(_dir, true);
    }

    /// <summary>Append a precomputed leaf hash, nodes to memory (per leaf).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Hash256 AppendLeafHash_Memory()
    {
        if (_appendMemory.LeafCount >= TreeSize)
        {
            _appendMemory.TruncateTo(0);
        }
        for (int i = 0; i < Batch; i++)
        {
            _appendMemory.AppendLeafHash(_leafHashes[i]);
        }
        return _appendMemory.Root;
    }

    /// <summary>Append 100-byte leaf data (leaf hash included), nodes to memory (per leaf).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long AppendData_Memory()
    {
        if (_appendMemory.LeafCount >= TreeSize)
        {
            _appendMemory.TruncateTo(0);
        }
        long last = 0;
        for (int i = 0; i < Batch; i++)
        {
            _leafData[0] = (byte)i;
            last = _appendMemory.Append(_leafData);
        }
        return last;
    }

    /// <summary>Append a leaf hash to the file store, Flush (write + fsync) once per 1024-leaf batch (per leaf).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Hash256 AppendLeafHash_File_FsyncPerBatch()
    {
        if (_appendFile.LeafCount >= TreeSize)
        {
            _appendFile.TruncateTo(0);
        }
        for (int i = 0; i < Batch; i++)
        {
            _appendFile.AppendLeafHash(_leafHashes[i]);
        }
        _appendFile.Flush();
        return _appendFile.Root;
    }

    /// <summary>Inclusion proof of a random leaf in a 2^20-leaf tree, nodes in memory.</summary>
    [Benchmark]
    public Hash256 InclusionProof_Memory()
    {
        long index = _indexes[_next++ & 4095];
        Span<Hash256> proof = _proofBuffer.AsSpan(0, MerkleMountainRange.InclusionProofLength(index, TreeSize - 1));
        _tree.WriteInclusionProof(index, TreeSize - 1, proof); // size 2^20 − 1: 20 peaks, the bagging worst case
        return proof[0];
    }

    /// <summary>Inclusion proof of a random leaf in a 2^20-leaf tree, nodes read from the file (page cache warm).</summary>
    [Benchmark]
    public Hash256 InclusionProof_File()
    {
        long index = _indexes[_next++ & 4095];
        Span<Hash256> proof = _proofBuffer.AsSpan(0, MerkleMountainRange.InclusionProofLength(index, TreeSize - 1));
        _fileTree.WriteInclusionProof(index, TreeSize - 1, proof);
        return proof[0];
    }

    /// <summary>Consistency proof from a random old size to 2^20 − 1, nodes in memory.</summary>
    [Benchmark]
    public int ConsistencyProof_Memory() => _tree.GetConsistencyProof(_indexes[_next++ & 4095] + 1, TreeSize - 1).Length;

    /// <summary>Verify an inclusion proof (RFC 9162 §2.1.3.2) in a 2^20-leaf tree (20 node hashes).</summary>
    [Benchmark]
    public bool VerifyInclusion()
    {
        int k = _next++ & 63;
        return Rfc9162.VerifyInclusion(_indexes[k], TreeSize, _proofLeaves[k], _proofs[k], _treeRoot);
    }

    /// <summary>One RFC 9162 node hash, SHA-256 of 65 bytes.</summary>
    [Benchmark]
    public Hash256 HashNode() => Rfc9162.HashNode(_leafHashes[0], _leafHashes[1]);
}
