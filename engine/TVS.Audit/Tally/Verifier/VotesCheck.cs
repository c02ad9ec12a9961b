using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;

namespace TVS.Engine.Tally;

/// <summary>
/// Every partition's votes: each entry at its MMR index, its record parses, of this election,
/// under a registry root the issuers signed, in its nullifier's partition, its nullifier unique
/// across partitions, and its Groth16 proof valid for the signals derived from the record.
/// </summary>
internal static class VotesCheck
{
    public static void Run(RecordElection election, List<PartitionVotes> parts, int threads, VerificationReport report)
    {
        var id = election.Id;
        var keys = election.Keys;
        var roots = election.Roots;
        int failures = report.FailureCount;
        int partitions = parts.Count;
        var seen = new Dictionary<Fr, (int Partition, int Entry)>();
        var flat = new List<(PartitionVotes Part, int Entry)>();
        foreach (var part in parts)
        {
            for (int i = 0; i < part.Votes.Count; i++)
            {
                flat.Add((part, i));
            }
        }
        var keyOf = new VerifyingKey?[flat.Count];
        var scopeHash = SemaphoreSignals.ScopeHash(id);
        Span<byte> key = stackalloc byte[32];
        for (int x = 0; x < flat.Count; x++)
        {
            var (part, i) = flat[x];
            string f = part.File;
            var v = part.Votes[i];
            if (v.MmrIndex != i)
            {
                report.Fail($"{f}: entry {i}: MMR index {v.MmrIndex}, expected {i} (a vote is missing, inserted or out of order)");
            }
            if (!VoteRecord.TryParse(v.Record, out var rec, out var why))
            {
                report.Fail($"{f}: entry {i}: the vote record does not parse ({why})");
                continue;
            }
            string nul = rec.Nullifier.ToString();
            if (rec.ElectionId != id)
            {
                report.Fail($"{f}: entry {i} (nullifier {nul}): vote of election {rec.ElectionId}");
            }
            if (!roots.Contains(rec.Root))
            {
                report.Fail($"{f}: entry {i} (nullifier {nul}): root {rec.Root} is not a registry root signed by at least t issuers");
            }
            // Nullifier uniqueness holds per engine (its nullifier store); across partitions it holds
            // only if every nullifier reaches one engine: the record key's Kafka partition.
            rec.Nullifier.WriteBigEndian(key);
            int home = KeyPartitioner.PartitionOf(key, partitions);
            if (home != part.Partition)
            {
                report.Fail($"{f}: entry {i} (nullifier {nul}): belongs to partition {home} (murmur2 of the nullifier mod {partitions}), not {part.Partition}: moved between partitions");
            }
            if (seen.TryGetValue(rec.Nullifier, out var first))
            {
                report.Fail(first.Partition == part.Partition
                    ? $"{f}: entry {i}: nullifier {nul} already used by entry {first.Entry} (duplicate vote)"
                    : $"{f}: entry {i}: nullifier {nul} already accepted in partition {first.Partition} ({ElectionRecord.VotesFile(first.Partition)} entry {first.Entry}): the same voter counted twice");
            }
            else
            {
                seen[rec.Nullifier] = (part.Partition, i);
            }
            if (!keys.TryGetValue(rec.Depth, out var vk))
            {
                report.Fail($"{f}: entry {i} (nullifier {nul}): no verification key for tree depth {rec.Depth}");
                continue;
            }
            keyOf[x] = vk;
        }

        // Groth16, in batches over the cores: one multi-pairing per 128 proofs; a failing batch is split until each proof has its verdict.
        const int batch = 128;
        var errors = new VerifyError[flat.Count];
        Parallel.For(0, (flat.Count + batch - 1) / batch, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => VoteProofs.NewBatch(batch),
            (b, loop, proofs) =>
            {
                for (int i = b * batch; i < Math.Min((b + 1) * batch, flat.Count); i++)
                {
                    if (keyOf[i] is not { } vk)
                    {
                        continue;
                    }
                    var record = flat[i].Part.Votes[flat[i].Entry].Record;
                    VoteRecord.TryParse(record, out var rec, out _);
                    errors[i] = VoteProofs.TryAdd(proofs, vk, record, rec, scopeHash, tag: i);
                }
                var verdicts = proofs.Verify(out var entries);
                for (int k = 0; k < verdicts.Length; k++)
                {
                    errors[entries[k]] = verdicts[k];
                }
                return proofs;
            }, _ => { });
        for (int i = 0; i < flat.Count; i++)
        {
            if (errors[i] != VerifyError.None)
            {
                report.Fail($"{flat[i].Part.File}: entry {flat[i].Entry}: the Groth16 proof does not verify with the signals derived from the record ({errors[i].Describe()})");
            }
        }
        if (report.FailureCount == failures)
        {
            report.Ok($"votes/: {flat.Count} votes in {partitions} partition(s) parse, every root signed, every vote in its nullifier's partition, every nullifier unique across partitions, every Groth16 proof verifies (scope = election, message = SHA-256 of the ballot)");
        }
    }
}
