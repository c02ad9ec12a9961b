using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Threshold;
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

    private void Run(string? receipt, int threads)
    {
        if (!Directory.Exists(_dir))
        {
            throw Stop($"{_dir}: no such record directory");
        }
        CheckManifest();

        // election.json: the id, the checkpoint key, the Groth16 keys, the accepted roots.
        Guid id;
        NoteVerifier checkpointKey;
        var keys = new Dictionary<int, VerifyingKey>();
        var roots = new HashSet<Fr>();
        try
        {
            var m = JsonNode.Parse(File.ReadAllText(PathOf(ElectionRecord.ElectionFile)))!;
            id = Guid.Parse((string)m["electionId"]!);
            checkpointKey = NoteVerifier.Parse((string)m["checkpointVerifierKey"]!);
            foreach (var (depthText, file) in m["verificationKeys"]!.AsObject())
            {
                var e = SnarkjsJson.TryReadVerifyingKey(File.ReadAllBytes(PathOf((string)file!)), out var vk);
                if (e != VerifyError.None)
                {
                    throw new FormatException($"verification key {(string)file!}: {e.Describe()}");
                }
                keys[int.Parse(depthText, CultureInfo.InvariantCulture)] = vk!;
            }
            foreach (var r in m["roots"]!.AsArray())
            {
                var v = BigInteger.Parse((string)r!, NumberStyles.None, CultureInfo.InvariantCulture);
                if (v >= Fr.Modulus)
                {
                    throw new FormatException($"root {v} is not a field element");
                }
                roots.Add(Fr.FromBigInteger(v));
            }
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or NullReferenceException or InvalidOperationException or ArgumentException or NoteException)
        {
            throw Stop($"{ElectionRecord.ElectionFile}: {e.Message}");
        }
        Ok($"{ElectionRecord.ElectionFile}: election {id}, {keys.Count} verification key(s), {roots.Count} accepted root(s), checkpoint key {checkpointKey.Name}");

        // The accepted votes and the tree they make.
        List<AcceptedVote> votes;
        try
        {
            votes = AcceptedVoteFile.Read(PathOf(ElectionRecord.VotesFile));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw Stop($"{ElectionRecord.VotesFile}: {e.Message}");
        }
        var leaves = new Hash256[votes.Count];
        Parallel.For(0, votes.Count, i => leaves[i] = Rfc9162.HashLeaf(votes[i].Record));
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        foreach (var h in leaves)
        {
            mmr.AppendLeafHash(h);
        }

        if (receipt != null)
        {
            CheckReceipt(receipt, id, checkpointKey, keys, roots, votes, mmr);
            return;
        }

        CheckVotes(id, keys, roots, votes, threads);
        CheckCheckpoints(id, checkpointKey, votes.Count, leaves, mmr);

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
        CheckTally(id, dkg, contests, published, votes);
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

    private void CheckVotes(Guid id, Dictionary<int, VerifyingKey> keys, HashSet<Fr> roots, List<AcceptedVote> votes, int threads)
    {
        string f = ElectionRecord.VotesFile;
        int failures = Failures.Count;
        var seen = new Dictionary<Fr, int>();
        var items = new (VerifyingKey Key, Fr[] Signals)?[votes.Count];
        var scopeHash = SemaphoreSignals.ScopeHash(id);
        for (int i = 0; i < votes.Count; i++)
        {
            var v = votes[i];
            if (v.Index != i)
            {
                Fail($"{f}: entry {i}: MMR index {v.Index}, expected {i} (a vote is missing, inserted or out of order)");
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
                Fail($"{f}: entry {i} (nullifier {nul}): root {rec.Root} is not an accepted registry root of election.json");
            }
            if (seen.TryGetValue(rec.Nullifier, out int first))
            {
                Fail($"{f}: entry {i}: nullifier {nul} already used by entry {first} (duplicate vote)");
            }
            else
            {
                seen[rec.Nullifier] = i;
            }
            if (!keys.TryGetValue(rec.Depth, out var key))
            {
                Fail($"{f}: entry {i} (nullifier {nul}): no verification key for tree depth {rec.Depth}");
                continue;
            }
            var signals = new Fr[SemaphoreSignals.Count];
            SemaphoreSignals.Compute(rec.Root, rec.Nullifier, rec.Ballot(v.Record), scopeHash, signals);
            items[i] = (key, signals);
        }

        // Groth16, in batches over the cores: one multi-pairing per 128 proofs; a failing batch is bisected by the verifier.
        const int batch = 128;
        var errors = new VerifyError[votes.Count];
        Parallel.For(0, (votes.Count + batch - 1) / batch, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => (Verifier: new Groth16BatchVerifier(batch), Items: new BatchItem[batch], Index: new int[batch], Errors: new VerifyError[batch]),
            (b, _, local) =>
            {
                int m = 0;
                for (int i = b * batch; i < Math.Min((b + 1) * batch, votes.Count); i++)
                {
                    if (items[i] is not { } it)
                    {
                        continue;
                    }
                    var e = VoteRecord.ReadProof(votes[i].Record, out var proof);
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
        for (int i = 0; i < votes.Count; i++)
        {
            if (errors[i] != VerifyError.None)
            {
                Fail($"{f}: entry {i}: the Groth16 proof does not verify with the signals derived from the record ({errors[i].Describe()})");
            }
        }
        if (Failures.Count == failures)
        {
            Ok($"{f}: {votes.Count} votes parse, every root accepted, every nullifier unique, every Groth16 proof verifies (scope = election, message = SHA-256 of the ballot)");
        }
    }

    private void CheckCheckpoints(Guid id, NoteVerifier key, int n, Hash256[] leaves, MerkleMountainRange mmr)
    {
        int failures = Failures.Count;
        var fullRoot = Rfc9162.MerkleTreeHash(leaves);
        string dir = PathOf(ElectionRecord.CheckpointsDirectory);
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.note").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0)
        {
            Fail($"{ElectionRecord.CheckpointsDirectory}: no signed checkpoint");
        }
        Checkpoint? previous = null;
        string? previousName = null;
        foreach (var file in files)
        {
            string rel = ElectionRecord.CheckpointsDirectory + "/" + Path.GetFileName(file);
            Checkpoint cp;
            try
            {
                cp = Checkpoint.Open(File.ReadAllText(file), key, CloseStatement.PartitionOrigin(id, 0));
            }
            catch (Exception e) when (e is FormatException or NoteException)
            {
                Fail($"{rel}: not a checkpoint of this election signed by {key.Name}: {e.Message}");
                continue;
            }
            if (Path.GetFileName(file) != $"{cp.Size:D12}.note")
            {
                Fail($"{rel}: names size {Path.GetFileNameWithoutExtension(file)}, signs size {cp.Size}");
            }
            if (cp.Size > n)
            {
                Fail($"{rel}: size {cp.Size} exceeds the {n} votes of the record (votes were removed)");
                continue;
            }
            if (mmr.RootAt(cp.Size) != cp.Root)
            {
                Fail($"{rel}: signed root {cp.Root.ToBase64()} differs from the root of the record's first {cp.Size} votes {mmr.RootAt(cp.Size).ToBase64()}");
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
        }
        if (previous != null && previous.Size != n)
        {
            Fail($"{previousName}: the last checkpoint covers {previous.Size} votes, the record has {n} (votes were appended after it)");
        }
        try
        {
            var (close, accepted, _) = CloseStatement.Open(File.ReadAllText(PathOf(CloseStatement.FileName)), key, id);
            if (close.Size != n || accepted != n)
            {
                Fail($"{CloseStatement.FileName}: closes at size {close.Size} with {accepted} accepted, the record has {n} votes");
            }
            else if (close.Root != fullRoot)
            {
                Fail($"{CloseStatement.FileName}: final root {close.Root.ToBase64()} differs from the root of the record's votes {fullRoot.ToBase64()}");
            }
        }
        catch (Exception e) when (e is IOException or FormatException or NoteException)
        {
            Fail($"{CloseStatement.FileName}: {e.Message}");
        }
        if (Failures.Count == failures)
        {
            Ok($"{files.Count} signed checkpoint(s) and {CloseStatement.FileName}: signatures by {key.Name}, each root equal to the root recomputed from the votes, consecutive ones consistent, final size {n} root {fullRoot.ToBase64()}");
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

    private void CheckReceipt(string receipt, Guid id, NoteVerifier key, Dictionary<int, VerifyingKey> keys, HashSet<Fr> roots, List<AcceptedVote> votes, MerkleMountainRange mmr)
    {
        if (!TryParseNullifier(receipt, out var nullifier))
        {
            throw Stop($"receipt: '{receipt}' is not a nullifier (decimal, or 64 hex digits)");
        }
        int index = votes.FindIndex(v => VoteRecord.TryParse(v.Record, out var r, out _) && r.Nullifier == nullifier);
        if (index < 0)
        {
            throw Stop($"receipt: no vote with nullifier {nullifier} in {ElectionRecord.VotesFile}");
        }
        var vote = votes[index];
        VoteRecord.TryParse(vote.Record, out var rec, out _);
        var signals = new Fr[SemaphoreSignals.Count];
        SemaphoreSignals.Compute(rec.Root, rec.Nullifier, rec.Ballot(vote.Record), id, signals);
        if (!roots.Contains(rec.Root) || !keys.TryGetValue(rec.Depth, out var vk))
        {
            Fail($"{ElectionRecord.VotesFile}: entry {index}: root {rec.Root} is not accepted, or no verification key for depth {rec.Depth}");
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
                Fail($"{ElectionRecord.VotesFile}: entry {index}: the Groth16 proof does not verify ({e.Describe()})");
            }
        }
        Checkpoint close;
        try
        {
            close = CloseStatement.Open(File.ReadAllText(PathOf(CloseStatement.FileName)), key, id).Checkpoint;
        }
        catch (Exception ex) when (ex is IOException or FormatException or NoteException)
        {
            throw Stop($"{CloseStatement.FileName}: {ex.Message}");
        }
        if (index >= close.Size || close.Size > mmr.LeafCount)
        {
            throw Stop($"{CloseStatement.FileName}: closes at size {close.Size}; the vote is entry {index} of {mmr.LeafCount}");
        }
        var path = mmr.GetInclusionProof(index, close.Size);
        var leaf = Rfc9162.HashLeaf(vote.Record);
        if (!Rfc9162.VerifyInclusion(index, close.Size, leaf, path, close.Root))
        {
            Fail($"{ElectionRecord.VotesFile}: entry {index}: its inclusion proof does not lead to the signed final root of {CloseStatement.FileName}");
            return;
        }
        Ok($"receipt {nullifier}: vote {index} of {close.Size}, leaf {leaf.ToBase64()}, {path.Length}-hash inclusion proof to the signed final root {close.Root.ToBase64()}");
        foreach (var h in path)
        {
            _out.WriteLine("       " + h.ToBase64());
        }
    }

    /// <summary>A nullifier as decimal (below r) or 64 hex digits (0x optional).</summary>
    public static bool TryParseNullifier(string text, out Fr nullifier)
    {
        nullifier = default;
        string t = text.Trim();
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        t = hex ? t[2..] : t;
        if (hex || (t.Length == 64 && t.Any(char.IsAsciiLetter)))
        {
            return t.Length == 64 && t.All(char.IsAsciiHexDigit) && Fr.TryFromBigEndian(Convert.FromHexString(t), out nullifier);
        }
        if (t.Length == 0 || !t.All(char.IsAsciiDigit) || !BigInteger.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v >= Fr.Modulus)
        {
            return false;
        }
        nullifier = Fr.FromBigInteger(v);
        return true;
    }
}
