using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// A partition's signed checkpoints: each signed by the election's key for that partition, its
/// root equal to the root of that many of the partition's votes, consecutive ones consistent, the
/// last covering every vote; with witnesses in election.json, the final one (the partition's head
/// in the close statement) carrying their quorum.
/// </summary>
internal static class CheckpointsCheck
{
    public static void Run(RecordReader record, RecordElection election, PartitionVotes part, VerificationReport report)
    {
        int failures = report.FailureCount;
        var key = election.CheckpointKey;
        var witnesses = election.Witnesses;
        int n = part.Votes.Count;
        var mmr = part.Mmr;
        string dirRel = ElectionRecord.CheckpointsDirectory(part.Partition);
        string dir = record.PathOf(dirRel);
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.note").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0)
        {
            report.Fail($"{dirRel}: no signed checkpoint");
        }
        Checkpoint? previous = null;
        string? previousName = null;
        string? previousNote = null;
        foreach (var file in files)
        {
            string rel = dirRel + "/" + Path.GetFileName(file);
            Checkpoint cp;
            try
            {
                cp = Checkpoint.Open(File.ReadAllText(file), key, CloseStatement.PartitionOrigin(election.Id, part.Partition));
            }
            catch (Exception e) when (e is FormatException or NoteException)
            {
                report.Fail($"{rel}: not a checkpoint of this election's partition {part.Partition} signed by {key.Name}: {e.Message}");
                continue;
            }
            if (Path.GetFileName(file) != $"{cp.Size:D12}.note")
            {
                report.Fail($"{rel}: names size {Path.GetFileNameWithoutExtension(file)}, signs size {cp.Size}");
            }
            if (cp.Size > n)
            {
                report.Fail($"{rel}: size {cp.Size} exceeds the {n} votes of {part.File} (votes were removed)");
                continue;
            }
            if (mmr.RootAt(cp.Size) != cp.Root)
            {
                report.Fail($"{rel}: signed root {cp.Root.ToBase64()} differs from the root of the first {cp.Size} votes of {part.File} {mmr.RootAt(cp.Size).ToBase64()}");
                continue;
            }
            if (previous != null)
            {
                var proof = mmr.GetConsistencyProof(previous.Size, cp.Size);
                if (!Rfc9162.VerifyConsistency(previous.Size, cp.Size, previous.Root, cp.Root, proof))
                {
                    report.Fail($"{rel}: not consistent with {previousName}");
                }
            }
            previous = cp;
            previousName = rel;
            previousNote = File.ReadAllText(file);
        }
        if (previous != null && previous.Size != n)
        {
            report.Fail($"{previousName}: the last checkpoint covers {previous.Size} votes, {part.File} has {n} (votes were appended after it)");
        }
        string witnessed = "";
        if (witnesses != null && previousNote != null)
        {
            CosignatureCheck check = witnesses.Check(previousNote);
            if (!check.Met)
            {
                report.Fail($"{previousName}: the final checkpoint is not witnessed: {check} (election.json witnessQuorum {witnesses.Quorum})");
            }
            witnessed = $", the final one cosigned by {string.Join(", ", check.Cosigners.Select(c => c.Witness.Name))}";
        }
        if (report.FailureCount == failures)
        {
            report.Ok($"{dirRel}: {files.Count} signed checkpoint(s) by {key.Name}, each root equal to the root recomputed from {part.File}, consecutive ones consistent, final size {n} root {mmr.RootAt(n).ToBase64()}{witnessed}");
        }
    }
}
