using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Threshold;
using TVS.Engine.Election;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>
/// <c>tvs verify RECORD</c>: checks an election record with nothing but its files — no engine
/// state, no secret (docs/election-guide.md, "Verify"). Every failure is one line naming the file
/// and the item; independent checks go on after a failure, so one run reports everything it can.
/// </summary>
public sealed class RecordVerifier
{
    private readonly string _dir;
    private readonly TextWriter _out;

    private RecordVerifier(string dir, TextWriter output)
    {
        _dir = dir;
        _out = output;
    }

    public List<string> Failures { get; } = [];

    /// <summary>Verifies the whole record (or, with <paramref name="receipt"/>, one vote's inclusion). Returns the failures (empty = valid).</summary>
    public static List<string> Verify(string record, TextWriter output, string? receipt = null, int threads = -1)
    {
        var v = new RecordVerifier(record, output);
        try
        {
            v.Run(receipt, threads);
        }
        catch (StopException)
        {
            // a failure that leaves nothing further checkable was already reported
        }
        return v.Failures;
    }

    private sealed class StopException : Exception;

    private void Fail(string message)
    {
        Failures.Add(message);
        _out.WriteLine("FAIL " + message);
    }

    private void Ok(string message) => _out.WriteLine("ok   " + message);

    private StopException Stop(string message)
    {
        Fail(message);
        return new StopException();
    }

    private string PathOf(string rel) => Path.Combine(_dir, rel);

    /// <summary>One partition's published votes and the tree they make.</summary>
    private sealed record PartitionVotes(int Partition, string File, List<AcceptedVote> Votes, Hash256[] Leaves, MerkleMountainRange Mmr);

    private void Run(string? receipt, int threads)
    {
        if (!Directory.Exists(_dir))
        {
            throw Stop($"{_dir}: no such record directory");
        }
        CheckManifest();

        // election.json: the id, the partitions, the checkpoint key, the Groth16 keys, the issuers
        // and the registry roots they signed.
        Guid id;
        int partitions;
        NoteVerifier checkpointKey;
        Election.WitnessPolicy? witnesses;
        var keys = new Dictionary<int, VerifyingKey>();
        HashSet<Fr> roots;
        try
        {
            var m = JsonNode.Parse(File.ReadAllText(PathOf(ElectionRecord.ElectionFile)))!;
            id = Guid.Parse((string)m["electionId"]!);
            partitions = ElectionRecord.ReadPartitions(m);
            checkpointKey = NoteVerifier.Parse((string)m["checkpointVerifierKey"]!);
            witnesses = Election.WitnessPolicy.FromManifest(m);
            foreach (var (depthText, file) in m["verificationKeys"]!.AsObject())
            {
                var e = SnarkjsJson.TryReadVerifyingKey(File.ReadAllBytes(PathOf((string)file!)), out var vk);
                if (e != VerifyError.None)
                {
                    throw new FormatException($"verification key {(string)file!}: {e.Describe()}");
                }
                keys[int.Parse(depthText, CultureInfo.InvariantCulture)] = vk!;
            }
            roots = AcceptedRoots(id, m);
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or NullReferenceException or InvalidOperationException or ArgumentException or NoteException or InvalidDataException)
        {
            throw Stop($"{ElectionRecord.ElectionFile}: {e.Message}");
        }
        Ok($"{ElectionRecord.ElectionFile}: election {id}, {partitions} partition(s), {keys.Count} verification key(s), {roots.Count} registry root(s) signed by at least t issuers, checkpoint key {checkpointKey.Name}"
            + (witnesses is null ? "" : $", {witnesses.Witnesses.Count} witness(es), quorum {witnesses.Quorum}"));

        // The accepted votes of every partition and the tree each makes.
        CheckNoStrayPartitions(partitions);
        var parts = new List<PartitionVotes>();
        for (int k = 0; k < partitions; k++)
        {
            string file = ElectionRecord.VotesFile(k);
            List<AcceptedVote> votes;
            try
            {
                votes = AcceptedVoteFile.Read(PathOf(file));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw Stop($"{file}: {e.Message}");
            }
            var leaves = new Hash256[votes.Count];
            Parallel.For(0, votes.Count, i => leaves[i] = Rfc9162.HashLeaf(votes[i].Record));
            var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
            foreach (var h in leaves)
            {
                mmr.AppendLeafHash(h);
            }
            parts.Add(new PartitionVotes(k, file, votes, leaves, mmr));
        }

        if (receipt != null)
        {
            CheckReceipt(receipt, id, checkpointKey, keys, roots, parts);
            return;
        }

        CheckVotes(id, keys, roots, parts, threads);
        foreach (var part in parts)
        {
            CheckCheckpoints(id, checkpointKey, part, witnesses);
        }
        CheckClose(id, checkpointKey, parts);
        var all = parts.SelectMany(p => p.Votes).ToList();

        // The DKG's public output, the contests, the shares and the result.
        DkgResult? dkg = null;
        try
        {
            dkg = CeremonyFiles.ResultFromJson(JsonNode.Parse(File.ReadAllText(PathOf(ElectionRecord.ElectionKeyFile)))!);
            if (dkg.Parameters.ElectionId != id)
            {
                Fail($"{ElectionRecord.ElectionKeyFile}: made for election {dkg.Parameters.ElectionId}, not {id}");
                dkg = null;
            }
            else
            {
                Ok($"{ElectionRecord.ElectionKeyFile}: Y equals the sum of the {dkg.Qualified.Length} qualified dealers' constant commitments; every Y_j follows from the commitments (t = {dkg.Parameters.Threshold}, n = {dkg.Parameters.Trustees})");
            }
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or NullReferenceException or InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            Fail($"{ElectionRecord.ElectionKeyFile}: {e.Message}");
        }
        ContestList? contests = null;
        try
        {
            contests = ContestList.Load(PathOf(ContestList.FileName));
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            Fail($"{ContestList.FileName}: {e.Message}");
        }
        TallyResult? published = null;
        try
        {
            published = TallyResult.Parse(File.ReadAllText(PathOf(TallyResult.FileName)));
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            Fail($"{TallyResult.FileName}: {e.Message}");
        }
        if (dkg is null || contests is null || published is null)
        {
            return;
        }
        CheckTally(id, dkg, contests, published, all);
    }

    /// <summary>
    /// The registry roots an auditor accepts: those of election.json's "signedRoots" and the
    /// record's roots/*.json that carry valid signatures of at least t distinct issuers of
    /// election.json's "issuers" (the engine's rule, RootAcceptance). The informative "roots" list
    /// is not trusted: an accepted root is one the issuers signed.
    /// </summary>
    private HashSet<Fr> AcceptedRoots(Guid id, JsonNode m)
    {
        if (m["issuers"] is not JsonObject io)
        {
            throw new FormatException("no \"issuers\": no registry root can be accepted");
        }
        var issuers = new IssuerSet(((JsonArray)io["keys"]!).Select(k => Convert.FromHexString((string)k!)).ToList(), (int)io["threshold"]!);
        var acceptance = new RootAcceptance(id, issuers);
        var candidates = new List<(string Source, Func<SignedRoot> Read)>();
        int n = 0;
        foreach (var node in (JsonArray?)m["signedRoots"] ?? [])
        {
            var copy = node;
            candidates.Add(($"{ElectionRecord.ElectionFile} signedRoots[{n++}]", () => SignedRoot.FromJson(copy)));
        }
        string dir = PathOf(ElectionRecord.RootsDirectory);
        if (Directory.Exists(dir))
        {
            foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
            {
                candidates.Add(($"{ElectionRecord.RootsDirectory}/{Path.GetFileName(file)}", () => SignedRoot.Parse(File.ReadAllText(file))));
            }
        }
        var roots = new HashSet<Fr>();
        foreach (var (source, read) in candidates)
        {
            try
            {
                var signed = read();
                var verdict = acceptance.Evaluate(signed);
                if (verdict.Accepted)
                {
                    roots.Add(signed.Statement.Root);
                }
                else
                {
                    // Not a failure by itself (the engine too ignores such a root); a vote under it fails.
                    _out.WriteLine($"note {source}: root {signed.Statement.Root} not accepted: {verdict}");
                }
            }
            catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
            {
                _out.WriteLine($"note {source}: not accepted: malformed ({e.Message})");
            }
        }
        return roots;
    }

    /// <summary>Votes or checkpoints of a partition the election does not have would be counted by no one: a failure.</summary>
    private void CheckNoStrayPartitions(int partitions)
    {
        foreach (var rel in ElectionRecord.ListFiles(_dir))
        {
            var parts = rel.Split('/');
            string? name = parts is ["votes", var f] && f.EndsWith(".votes", StringComparison.Ordinal) ? f[..^6]
                : parts is ["checkpoints", var d, _] ? d : null;
            if (name is null)
            {
                continue;
            }
            bool known = name.Length > 1 && name[0] == 'p' && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                && k < partitions && name == "p" + k.ToString(CultureInfo.InvariantCulture);
            if (!known)
            {
                Fail($"{rel}: not a partition of the election (election.json: partitions {partitions}, p0..p{partitions - 1})");
            }
        }
    }

    private void CheckManifest()
    {
        JsonNode m;
        try
        {
            m = JsonNode.Parse(File.ReadAllText(PathOf(ElectionRecord.ManifestFile)))!;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw Stop($"{ElectionRecord.ManifestFile}: {e.Message}");
        }
        var listed = new HashSet<string>(StringComparer.Ordinal);
        int bad = 0;
        foreach (var f in m["files"]?.AsArray() ?? [])
        {
            string rel = (string?)f?["path"] ?? "";
            string want = (string?)f?["sha256"] ?? "";
            if (rel.Length == 0 || rel.StartsWith('/') || rel.Split('/').Any(p => p is "" or "." or ".."))
            {
                Fail($"{ElectionRecord.ManifestFile}: entry '{rel}' is not a plain relative path");
                bad++;
                continue;
            }
            listed.Add(rel);
            string full = PathOf(rel);
            if (!File.Exists(full))
            {
                Fail($"{ElectionRecord.ManifestFile}: {rel}: listed but missing from the record");
                bad++;
                continue;
            }
            string have = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full)));
            if (have != want)
            {
                Fail($"{ElectionRecord.ManifestFile}: {rel}: SHA-256 mismatch (manifest {want}, file {have})");
                bad++;
            }
        }
        foreach (var rel in ElectionRecord.ListFiles(_dir))
        {
            if (rel != ElectionRecord.ManifestFile && !listed.Contains(rel))
            {
                Fail($"{rel}: in the record but not listed in {ElectionRecord.ManifestFile}");
                bad++;
            }
        }
        if (bad == 0)
        {
            Ok($"{ElectionRecord.ManifestFile}: {listed.Count} files, every SHA-256 matches, no unlisted file");
        }
    }

    private void CheckVotes(Guid id, Dictionary<int, VerifyingKey> keys, HashSet<Fr> roots, List<PartitionVotes> parts, int threads)
    {
        int failures = Failures.Count;
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
        var items = new (VerifyingKey Key, Fr[] Signals)?[flat.Count];
        var scopeHash = SemaphoreSignals.ScopeHash(id);
        Span<byte> key = stackalloc byte[32];
        for (int x = 0; x < flat.Count; x++)
        {
            var (part, i) = flat[x];
            string f = part.File;
            var v = part.Votes[i];
            if (v.MmrIndex != i)
            {
                Fail($"{f}: entry {i}: MMR index {v.MmrIndex}, expected {i} (a vote is missing, inserted or out of order)");
            }
            if (!VoteRecord.TryParse(v.Record, out var rec, out var why))
            {
                Fail($"{f}: entry {i}: the vote record does not parse ({why})");
                continue;
            }
            string nul = rec.Nullifier.ToString();
            if (rec.ElectionId != id)
            {
                Fail($"{f}: entry {i} (nullifier {nul}): vote of election {rec.ElectionId}");
            }
            if (!roots.Contains(rec.Root))
            {
                Fail($"{f}: entry {i} (nullifier {nul}): root {rec.Root} is not a registry root signed by at least t issuers");
            }
            // Nullifier uniqueness holds per engine (its nullifier store); across partitions it holds
            // only if every nullifier reaches one engine: the record key's Kafka partition.
            rec.Nullifier.WriteBigEndian(key);
            int home = KeyPartitioner.PartitionOf(key, partitions);
            if (home != part.Partition)
            {
                Fail($"{f}: entry {i} (nullifier {nul}): belongs to partition {home} (murmur2 of the nullifier mod {partitions}), not {part.Partition}: moved between partitions");
            }
            if (seen.TryGetValue(rec.Nullifier, out var first))
            {
                Fail(first.Partition == part.Partition
                    ? $"{f}: entry {i}: nullifier {nul} already used by entry {first.Entry} (duplicate vote)"
                    : $"{f}: entry {i}: nullifier {nul} already accepted in partition {first.Partition} ({ElectionRecord.VotesFile(first.Partition)} entry {first.Entry}): the same voter counted twice");
            }
            else
            {
                seen[rec.Nullifier] = (part.Partition, i);
            }
            if (!keys.TryGetValue(rec.Depth, out var vk))
            {
                Fail($"{f}: entry {i} (nullifier {nul}): no verification key for tree depth {rec.Depth}");
                continue;
            }
            var signals = new Fr[SemaphoreSignals.Count];
            SemaphoreSignals.Compute(rec.Root, rec.Nullifier, rec.Ballot(v.Record), scopeHash, signals);
            items[x] = (vk, signals);
        }

        // Groth16, in batches over the cores: one multi-pairing per 128 proofs; a failing batch is bisected by the verifier.
        const int batch = 128;
        var errors = new VerifyError[flat.Count];
        Parallel.For(0, (flat.Count + batch - 1) / batch, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => (Verifier: new Groth16BatchVerifier(batch), Items: new BatchItem[batch], Index: new int[batch], Errors: new VerifyError[batch]),
            (b, _, local) =>
            {
                int m = 0;
                for (int i = b * batch; i < Math.Min((b + 1) * batch, flat.Count); i++)
                {
                    if (items[i] is not { } it)
                    {
                        continue;
                    }
                    var e = VoteRecord.ReadProof(flat[i].Part.Votes[flat[i].Entry].Record, out var proof);
                    if (e != VerifyError.None)
                    {
                        errors[i] = e;
                        continue;
                    }
                    local.Items[m] = new BatchItem(it.Key, proof, it.Signals);
                    local.Index[m++] = i;
                }
                local.Verifier.Verify(local.Items.AsSpan(0, m), local.Errors.AsSpan(0, m));
                for (int k = 0; k < m; k++)
                {
                    errors[local.Index[k]] = local.Errors[k];
                }
                return local;
            }, _ => { });
        for (int i = 0; i < flat.Count; i++)
        {
            if (errors[i] != VerifyError.None)
            {
                Fail($"{flat[i].Part.File}: entry {flat[i].Entry}: the Groth16 proof does not verify with the signals derived from the record ({errors[i].Describe()})");
            }
        }
        if (Failures.Count == failures)
        {
            Ok($"votes/: {flat.Count} votes in {partitions} partition(s) parse, every root signed, every vote in its nullifier's partition, every nullifier unique across partitions, every Groth16 proof verifies (scope = election, message = SHA-256 of the ballot)");
        }
    }

    /// <param name="witnesses">With witnesses in election.json, the final checkpoint (the partition's head in the close statement) must carry their quorum.</param>
    private void CheckCheckpoints(Guid id, NoteVerifier key, PartitionVotes part, Election.WitnessPolicy? witnesses)
    {
        int failures = Failures.Count;
        int n = part.Votes.Count;
        var mmr = part.Mmr;
        string dirRel = ElectionRecord.CheckpointsDirectory(part.Partition);
        string dir = PathOf(dirRel);
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.note").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0)
        {
            Fail($"{dirRel}: no signed checkpoint");
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
                cp = Checkpoint.Open(File.ReadAllText(file), key, CloseStatement.PartitionOrigin(id, part.Partition));
            }
            catch (Exception e) when (e is FormatException or NoteException)
            {
                Fail($"{rel}: not a checkpoint of this election's partition {part.Partition} signed by {key.Name}: {e.Message}");
                continue;
            }
            if (Path.GetFileName(file) != $"{cp.Size:D12}.note")
            {
                Fail($"{rel}: names size {Path.GetFileNameWithoutExtension(file)}, signs size {cp.Size}");
            }
            if (cp.Size > n)
            {
                Fail($"{rel}: size {cp.Size} exceeds the {n} votes of {part.File} (votes were removed)");
                continue;
            }
            if (mmr.RootAt(cp.Size) != cp.Root)
            {
                Fail($"{rel}: signed root {cp.Root.ToBase64()} differs from the root of the first {cp.Size} votes of {part.File} {mmr.RootAt(cp.Size).ToBase64()}");
                continue;
            }
            if (previous != null)
            {
                var proof = mmr.GetConsistencyProof(previous.Size, cp.Size);
                if (!Rfc9162.VerifyConsistency(previous.Size, cp.Size, previous.Root, cp.Root, proof))
                {
                    Fail($"{rel}: not consistent with {previousName}");
                }
            }
            previous = cp;
            previousName = rel;
            previousNote = File.ReadAllText(file);
        }
        if (previous != null && previous.Size != n)
        {
            Fail($"{previousName}: the last checkpoint covers {previous.Size} votes, {part.File} has {n} (votes were appended after it)");
        }
        string witnessed = "";
        if (witnesses != null && previousNote != null)
        {
            CosignatureCheck check = witnesses.Check(previousNote);
            if (!check.Met)
            {
                Fail($"{previousName}: the final checkpoint is not witnessed: {check} (election.json witnessQuorum {witnesses.Quorum})");
            }
            witnessed = $", the final one cosigned by {string.Join(", ", check.Cosigners.Select(c => c.Witness.Name))}";
        }
        if (Failures.Count == failures)
        {
            Ok($"{dirRel}: {files.Count} signed checkpoint(s) by {key.Name}, each root equal to the root recomputed from {part.File}, consecutive ones consistent, final size {n} root {mmr.RootAt(n).ToBase64()}{witnessed}");
        }
    }

    /// <summary>The close statement: signed, one head per partition of the election, each equal to that partition's votes.</summary>
    private void CheckClose(Guid id, NoteVerifier key, List<PartitionVotes> parts)
    {
        int failures = Failures.Count;
        ClosedElection close;
        try
        {
            close = CloseStatement.Open(File.ReadAllText(PathOf(CloseStatement.FileName)), key, id);
        }
        catch (Exception e) when (e is IOException or FormatException or NoteException)
        {
            Fail($"{CloseStatement.FileName}: {e.Message}");
            return;
        }
        if (close.Partitions < parts.Count)
        {
            string missing = string.Join(", ", parts.Skip(close.Partitions).Select(p => "p" + p.Partition.ToString(CultureInfo.InvariantCulture)));
            Fail($"{CloseStatement.FileName}: covers {close.Partitions} partition(s), the election has {parts.Count}: the final checkpoint of {missing} is not covered by the close");
        }
        else if (close.Partitions > parts.Count)
        {
            Fail($"{CloseStatement.FileName}: covers {close.Partitions} partitions, the election has {parts.Count} (election.json)");
        }
        foreach (var head in close.Heads.Where(h => h.Partition < parts.Count))
        {
            var part = parts[head.Partition];
            int n = part.Votes.Count;
            if (head.Size != n)
            {
                Fail($"{CloseStatement.FileName}: partition {head.Partition} closes at size {head.Size}, {part.File} has {n} votes");
            }
            else if (head.Root != part.Mmr.RootAt(n))
            {
                Fail($"{CloseStatement.FileName}: partition {head.Partition}: final root {head.Root.ToBase64()} differs from the root of {part.File} {part.Mmr.RootAt(n).ToBase64()}");
            }
        }
        long total = parts.Sum(p => (long)p.Votes.Count);
        if (close.Accepted != total)
        {
            Fail($"{CloseStatement.FileName}: says {close.Accepted} accepted, the record has {total} votes");
        }
        if (Failures.Count == failures)
        {
            Ok($"{CloseStatement.FileName}: signed by {key.Name}; one head per partition ({close.Partitions}), each the size and root of that partition's votes; {total} votes; root {close.Checkpoint.Root.ToBase64()}");
        }
    }

    private void CheckTally(Guid id, DkgResult dkg, ContestList contests, TallyResult published, List<AcceptedVote> votes)
    {
        int failures = Failures.Count;
        var ballots = votes.Select(v => v.Ballot.ToArray()).ToList();
        var ephemerals = Tallier.Ephemerals(ballots);
        Dictionary<int, TrusteeShares> shares;
        try
        {
            string dir = PathOf(ElectionRecord.SharesDirectory);
            shares = Tallier.LoadShares(Directory.Exists(dir) ? [dir] : [], id, ballots, ephemerals);
        }
        catch (TallyException e)
        {
            Fail(Relative(e.Message));
            return;
        }
        foreach (var s in shares.Values.OrderBy(s => s.Trustee))
        {
            foreach (var m in Tallier.VerifyProofs(id, dkg, ephemerals, s))
            {
                Fail(Relative(m));
            }
        }
        if (Failures.Count != failures)
        {
            return;
        }
        Ok($"{ElectionRecord.SharesDirectory}/: trustees {string.Join(", ", shares.Keys.Order())}: every decryption share's DLEQ proof verifies against its Y_j");
        var used = new List<TrusteeShares>();
        foreach (int t in published.Trustees)
        {
            if (!shares.TryGetValue(t, out var s))
            {
                Fail($"{TallyResult.FileName}: names trustee {t}, whose shares are not in the record");
                return;
            }
            used.Add(s);
        }
        if (used.Count < dkg.Parameters.Threshold || used.Select(u => u.Trustee).Distinct().Count() != used.Count)
        {
            Fail($"{TallyResult.FileName}: combines {used.Count} trustee(s), the threshold is {dkg.Parameters.Threshold}");
            return;
        }
        var recount = Tallier.Count(id, dkg, contests, ballots, ephemerals, used);
        var diff = published.FirstDifference(recount);
        if (diff != null)
        {
            Fail($"{TallyResult.FileName}: {diff}");
            return;
        }
        Ok($"{TallyResult.FileName}: recombined and re-counted from the shares of trustees {string.Join(", ", published.Trustees)}: {recount.Ballots - recount.Spoiled.Count} counted, {recount.Spoiled.Count} spoiled, equal to the published result");
    }

    private string Relative(string message)
    {
        int colon = message.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && Path.IsPathRooted(message[..colon]))
        {
            return Path.GetRelativePath(_dir, message[..colon]).Replace('\\', '/') + message[colon..];
        }
        return message;
    }

    private void CheckReceipt(string receipt, Guid id, NoteVerifier key, Dictionary<int, VerifyingKey> keys, HashSet<Fr> roots, List<PartitionVotes> parts)
    {
        if (!Nullifier.TryParse(receipt, out var typed) || !Fr.TryFromBigEndian(typed.AsSpan(), out var nullifier))
        {
            throw Stop($"receipt: '{receipt}' is not a nullifier (decimal, or 64 hex digits)");
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
            throw Stop($"receipt: no vote with nullifier {nullifier} in votes/ ({parts.Count} partition(s))");
        }
        var vote = part.Votes[index];
        VoteRecord.TryParse(vote.Record, out var rec, out _);
        var signals = new Fr[SemaphoreSignals.Count];
        SemaphoreSignals.Compute(rec.Root, rec.Nullifier, rec.Ballot(vote.Record), id, signals);
        if (!roots.Contains(rec.Root) || !keys.TryGetValue(rec.Depth, out var vk))
        {
            Fail($"{part.File}: entry {index}: root {rec.Root} is not accepted, or no verification key for depth {rec.Depth}");
        }
        else
        {
            var e = VoteRecord.ReadProof(vote.Record, out var proof);
            if (e == VerifyError.None)
            {
                e = Groth16Verifier.Verify(vk, proof, signals);
            }
            if (e != VerifyError.None)
            {
                Fail($"{part.File}: entry {index}: the Groth16 proof does not verify ({e.Describe()})");
            }
        }
        ClosedElection close;
        try
        {
            close = CloseStatement.Open(File.ReadAllText(PathOf(CloseStatement.FileName)), key, id);
        }
        catch (Exception ex) when (ex is IOException or FormatException or NoteException)
        {
            throw Stop($"{CloseStatement.FileName}: {ex.Message}");
        }
        if (part.Partition >= close.Partitions)
        {
            throw Stop($"{CloseStatement.FileName}: does not cover partition {part.Partition}, which holds the vote");
        }
        var head = close.Heads[part.Partition];
        var mmr = part.Mmr;
        if (index >= head.Size || head.Size > mmr.LeafCount)
        {
            throw Stop($"{CloseStatement.FileName}: closes partition {part.Partition} at size {head.Size}; the vote is entry {index} of {mmr.LeafCount}");
        }
        // Two steps: the vote to its partition's final root, that partition's head line to the close root.
        var path = mmr.GetInclusionProof(index, head.Size);
        var leaf = Rfc9162.HashLeaf(vote.Record);
        if (!Rfc9162.VerifyInclusion(index, head.Size, leaf, path, head.Root))
        {
            Fail($"{part.File}: entry {index}: its inclusion proof does not lead to partition {part.Partition}'s final root in {CloseStatement.FileName}");
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
            Fail($"{CloseStatement.FileName}: partition {part.Partition}'s head is not included in the signed close root");
            return;
        }
        Ok($"receipt {nullifier}: partition {part.Partition}, vote {index} of {head.Size}, leaf {leaf.ToBase64()}, {path.Length}-hash inclusion proof to the partition's final root {head.Root.ToBase64()}, whose line '{head.ToLine()}' is in the signed close root {close.Checkpoint.Root.ToBase64()} ({headPath.Length}-hash proof)");
        foreach (var h in path)
        {
            _out.WriteLine("       " + h.ToBase64());
        }
    }
}
