using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Tally;

/// <summary>
/// <c>tvs verify --receipt</c>: one vote's inclusion. Its partition follows from its nullifier
/// (<see cref="KeyPartitioner"/>); that partition's board is authenticated against its head in
/// the close statement and its bundles scanned for the vote, which must carry an accepted root
/// and a valid proof, and lead by its inclusion proof (from the board's tiles) to the partition's
/// final root, whose head line is included in the signed close root.
/// </summary>
internal static class ReceiptCheck
{
    public static void Run(RecordReader record, RecordElection election, ClosedElection close, string receipt, VerificationReport report)
    {
        var id = election.Id;
        if (!Nullifier.TryParse(receipt, out var typed) || !Fr.TryFromBigEndian(typed.AsSpan(), out var nullifier))
        {
            throw report.Stop($"receipt: '{receipt}' is not a nullifier (decimal, or 64 hex digits)");
        }
        Span<byte> key = stackalloc byte[32];
        nullifier.WriteBigEndian(key);
        int k = KeyPartitioner.PartitionOf(key, election.Partitions);
        if (k >= close.Partitions)
        {
            throw report.Stop($"{CloseStatement.FileName}: does not cover partition {k}, which holds the vote");
        }
        var head = close.Heads[k];
        BoardPartition part;
        try
        {
            part = BoardPartition.Open(record.Store, k, head.Size, head.Root);
        }
        catch (IOException e)
        {
            throw report.Stop(e.Message);
        }
        long index = -1;
        byte[]? vote = null;
        try
        {
            for (long b = 0; b < part.Bundles && vote is null; b++)
            {
                var bundle = part.ReadBundle(b);
                for (int i = 0; i < bundle.Count; i++)
                {
                    var r = bundle.Record(i);
                    if (VoteRecord.TryParse(r, out var parsed, out _) && parsed.Nullifier == nullifier)
                    {
                        index = bundle.FirstIndex + i;
                        vote = r.ToArray();
                        break;
                    }
                }
            }
        }
        catch (IOException e)
        {
            throw report.Stop(e.Message);
        }
        if (vote is null)
        {
            throw report.Stop($"receipt: no vote with nullifier {nullifier} in partition {k} (its nullifier's partition): {head.Size} entries of p{k}/tile/entries/ read");
        }
        string at = VotesCheckPath(part, index);
        VoteRecord.TryParse(vote, out var rec, out _);
        if (!election.Roots.Contains(rec.Root) || !election.Keys.TryGetValue(rec.Depth, out var vk))
        {
            report.Fail($"{at}: root {rec.Root} is not accepted, or no verification key for depth {rec.Depth}");
        }
        else
        {
            var e = VoteProofs.Verify(vk, vote, rec, SemaphoreSignals.ScopeHash(id));
            if (e != VerifyError.None)
            {
                report.Fail($"{at}: the Groth16 proof does not verify ({e.Describe()})");
            }
        }
        // Two steps: the vote to its partition's final root (a proof from the tiles), that partition's head line to the close root.
        Hash256[] path;
        try
        {
            path = TileNodeStore.OpenTree(new StoreTileReader(record.Store, BoardPartition.PathOf(k, "")), head.Size).GetInclusionProof(index, head.Size);
        }
        catch (InvalidDataException e)
        {
            throw report.Stop($"p{k}/tile/: no inclusion proof for entry {index}: {e.Message}");
        }
        var leaf = Rfc9162.HashLeaf(vote);
        if (!Rfc9162.VerifyInclusion(index, head.Size, leaf, path, head.Root))
        {
            report.Fail($"{at}: its inclusion proof does not lead to partition {k}'s final root in {CloseStatement.FileName}");
            return;
        }
        var headLeaves = close.Heads.Select(h => Checkpoint.CombinedLeafHash(h.ToLine())).ToArray();
        var heads = new MerkleMountainRange(new InMemoryMmrNodeStore());
        foreach (var h in headLeaves)
        {
            heads.AppendLeafHash(h);
        }
        var headPath = heads.GetInclusionProof(k, headLeaves.Length);
        if (!Rfc9162.VerifyInclusion(k, headLeaves.Length, headLeaves[k], headPath, close.Checkpoint.Root))
        {
            report.Fail($"{CloseStatement.FileName}: partition {k}'s head is not included in the signed close root");
            return;
        }
        report.Ok($"receipt {nullifier}: partition {k}, vote {index} of {head.Size} ({at}), leaf {leaf.ToBase64()}, {path.Length}-hash inclusion proof to the partition's final root {head.Root.ToBase64()}, whose line '{head.ToLine()}' is in the signed close root {close.Checkpoint.Root.ToBase64()} ({headPath.Length}-hash proof)");
        foreach (var h in path)
        {
            report.Detail(h.ToBase64());
        }
    }

    private static string VotesCheckPath(BoardPartition part, long index) => $"{VotesCheck.BundlePath(part, index)}: entry {index}";
}
