using TVS.Merkle;
using TVS.Storage;

namespace TVS.Tests.Merkle;

public sealed class FileMmrNodeStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-mmr-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string NodeFile => Path.Combine(_dir, "p0.mmr");

    private static void AppendLeaves(MerkleMountainRange mmr, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            mmr.Append(NaiveRfc9162.LeafData(i));
        }
    }

    private static Hash256 ReferenceRoot(int n)
    {
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        AppendLeaves(mmr, 0, n);
        return mmr.Root;
    }

    [Fact]
    public void ReopenRecoversPeaksAndProofs()
    {
        Hash256 root;
        Hash256[] proof;
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile, bufferRecords: 16))
        {
            var mmr = new MerkleMountainRange(store);
            AppendLeaves(mmr, 0, 1000);
            mmr.Flush();
            root = mmr.Root;
            proof = mmr.GetInclusionProof(123, 1000);
            Assert.Equal(root, ReferenceRoot(1000));
        }
        Assert.Equal(FileMmrNodeStore.HeaderSize + (32 * MmrPositions.NodeCount(1000)), new FileInfo(NodeFile).Length);
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            var mmr = new MerkleMountainRange(store);
            Assert.Equal(1000, mmr.LeafCount);
            Assert.Equal(root, mmr.Root);
            Assert.Equal(proof, mmr.GetInclusionProof(123, 1000));
            AppendLeaves(mmr, 1000, 1500);
            Assert.Equal(ReferenceRoot(1500), mmr.Root);
            // Reads see nodes still in the write buffer.
            Assert.True(Rfc9162.VerifyInclusion(1499, 1500, mmr.GetLeafHash(1499), mmr.GetInclusionProof(1499, 1500), mmr.Root));
            mmr.Flush();
        }
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            Assert.Equal(ReferenceRoot(1500), new MerkleMountainRange(store).Root);
        }
    }

    [Fact]
    public void TornFinalRecordIsTruncatedOnOpen()
    {
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            var mmr = new MerkleMountainRange(store);
            AppendLeaves(mmr, 0, 10);
            mmr.Flush();
        }
        long full = new FileInfo(NodeFile).Length;
        using (FileStream fs = new(NodeFile, FileMode.Append))
        {
            fs.Write(new byte[17]); // a torn write of the next record
        }
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            Assert.Equal(17, store.TornBytesTruncated);
            Assert.Equal(full, new FileInfo(NodeFile).Length);
            var mmr = new MerkleMountainRange(store);
            Assert.Equal(10, mmr.LeafCount);
            Assert.Equal(ReferenceRoot(10), mmr.Root);
        }
        // A crash after the leaf of #11 was written but before the nodes it completes (leaf 11 ends 2 subtrees).
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            var mmr = new MerkleMountainRange(store);
            AppendLeaves(mmr, 10, 12);
            mmr.Flush();
        }
        using (FileStream fs = new(NodeFile, FileMode.Open))
        {
            fs.SetLength(fs.Length - 32 - 5);
        }
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            var mmr = new MerkleMountainRange(store);
            Assert.Equal(11, mmr.LeafCount);
            Assert.Equal(ReferenceRoot(11), mmr.Root);
            Assert.Equal(MmrPositions.NodeCount(11), store.Count);
        }
    }

    [Fact]
    public void TruncateToRecoversACheckpointDurably()
    {
        Hash256 root40;
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile, bufferRecords: 8))
        {
            var mmr = new MerkleMountainRange(store);
            AppendLeaves(mmr, 0, 40);
            mmr.Flush();
            root40 = mmr.Root;
            AppendLeaves(mmr, 40, 90); // partly written, partly buffered
            mmr.TruncateTo(40);
            Assert.Equal(root40, mmr.Root);
            AppendLeaves(mmr, 40, 45);
            mmr.TruncateTo(42); // truncation inside the write buffer
            Assert.Equal(ReferenceRoot(42), mmr.Root);
            mmr.TruncateTo(40);
        }
        Assert.Equal(FileMmrNodeStore.HeaderSize + (32 * MmrPositions.NodeCount(40)), new FileInfo(NodeFile).Length);
        using (FileMmrNodeStore store = FileMmrNodeStore.Open(NodeFile))
        {
            Assert.Equal(root40, new MerkleMountainRange(store).Root);
        }
    }

    [Fact]
    public void ForeignOrNewerFilesAreRefused()
    {
        File.WriteAllBytes(NodeFile, new byte[64]);
        Assert.Throws<InvalidDataException>(() => FileMmrNodeStore.Open(NodeFile));
        using (FileMmrNodeStore.Open(Path.Combine(_dir, "ok.mmr")))
        {
        }
        byte[] header = File.ReadAllBytes(Path.Combine(_dir, "ok.mmr"));
        Assert.Equal(32, header.Length);
        Assert.Equal("TVSMMR\r\n"u8.ToArray(), header[..8]);
        header[8] = 2;
        File.WriteAllBytes(NodeFile, header);
        Assert.Throws<InvalidDataException>(() => FileMmrNodeStore.Open(NodeFile));
        // A header torn while the file was being created is completed.
        File.WriteAllBytes(NodeFile, header[..5]);
        using (FileMmrNodeStore s = FileMmrNodeStore.Open(NodeFile))
        {
            Assert.Equal(0, s.Count);
        }
        Assert.Equal(32, new FileInfo(NodeFile).Length);
    }
}
