using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// <c>tvs verify --receipt</c>: one vote's inclusion. The vote (found by its nullifier) must carry
/// an accepted root and a valid proof, and lead by its inclusion proof to its partition's final
/// root in the close statement, whose head line is included in the signed close root.
/// </summary>
internal static class ReceiptCheck
{
    public static void Run(RecordReader record, RecordElection election, List<PartitionVotes> parts, string receipt, VerificationReport report)
    {
        var id = election.Id;
        var key = election.CheckpointKey;
        var keys = election.Keys;
        var roots = election.Roots;
        if (!Nullifier.TryParse(receipt, out var typed) || !Fr.TryFromBigEndian(typed.AsSpan(), out var nullifier))
        {
            throw report.Stop($"receipt: '{receipt}' is not a nullifier (decimal, or 64 hex digits)");
        }
        PartitionVotes? part = null;
        int index = -1;
        foreach (var p in parts)
        {
            index = p.Votes.FindIndex(v => VoteRecord.TryParse(v.Record, out var r, out _) && r.Nullifier == nullifier);
            if (index >= 0)
            {
                part = p;
                break;
            }
        }
        if (part is null)
        {
            throw report.Stop($"receipt: no vote with nullifier {nullifier} in votes/ ({parts.Count} partition(s))");
        }
        var vote = part.Votes[index];
        VoteRecord.TryParse(vote.Record, out var rec, out _);
        if (!roots.Contains(rec.Root) || !keys.TryGetValue(rec.Depth, out var vk))
        {
            report.Fail($"{part.File}: entry {index}: root {rec.Root} is not accepted, or no verification key for depth {rec.Depth}");
        }
        else
        {
            var e = VoteProofs.Verify(vk, vote.Record, rec, SemaphoreSignals.ScopeHash(id));
            if (e != VerifyError.None)
            {
                report.Fail($"{part.File}: entry {index}: the Groth16 proof does not verify ({e.Describe()})");
            }
        }
        ClosedElection close;
        try
        {
            close = CloseStatement.Open(File.ReadAllText(record.PathOf(CloseStatement.FileName)), key, id);
        }
        catch (Exception ex) when (ex is IOException or FormatException or NoteException)
        {
            throw report.Stop($"{CloseStatement.FileName}: {ex.Message}");
        }
        if (part.Partition >= close.Partitions)
        {
            throw report.Stop($"{CloseStatement.FileName}: does not cover partition {part.Partition}, which holds the vote");
        }
        var head = close.Heads[part.Partition];
        var mmr = part.Mmr;
        if (index >= head.Size || head.Size > mmr.LeafCount)
        {
            throw report.Stop($"{CloseStatement.FileName}: closes partition {part.Partition} at size {head.Size}; the vote is entry {index} of {mmr.LeafCount}");
        }
        // Two steps: the vote to its partition's final root, that partition's head line to the close root.
        var path = mmr.GetInclusionProof(index, head.Size);
        var leaf = Rfc9162.HashLeaf(vote.Record);
        if (!Rfc9162.VerifyInclusion(index, head.Size, leaf, path, head.Root))
        {
            report.Fail($"{part.File}: entry {index}: its inclusion proof does not lead to partition {part.Partition}'s final root in {CloseStatement.FileName}");
            return;
        }
        var headLeaves = close.Heads.Select(h => Checkpoint.CombinedLeafHash(h.ToLine())).ToArray();
        var heads = new MerkleMountainRange(new InMemoryMmrNodeStore());
        foreach (var h in headLeaves)
        {
            heads.AppendLeafHash(h);
        }
        var headPath = heads.GetInclusionProof(part.Partition, headLeaves.Length);
        if (!Rfc9162.VerifyInclusion(part.Partition, headLeaves.Length, headLeaves[part.Partition], headPath, close.Checkpoint.Root))
        {
            report.Fail($"{CloseStatement.FileName}: partition {part.Partition}'s head is not included in the signed close root");
            return;
        }
        report.Ok($"receipt {nullifier}: partition {part.Partition}, vote {index} of {head.Size}, leaf {leaf.ToBase64()}, {path.Length}-hash inclusion proof to the partition's final root {head.Root.ToBase64()}, whose line '{head.ToLine()}' is in the signed close root {close.Checkpoint.Root.ToBase64()} ({headPath.Length}-hash proof)");
        foreach (var h in path)
        {
            report.Detail(h.ToBase64());
        }
    }
}
