using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Engine.Tally;

/// <summary>The tally cannot proceed (too few trustees, a missing or wrong share, …): nothing was decrypted.</summary>
public sealed class TallyException(string message) : Exception(message);

/// <summary>Why a ballot is counted as spoiled.</summary>
public enum SpoilReason : byte
{
    None = 0,
    /// <summary>Bad ballot encoding: length, version, or R not a valid point.</summary>
    Malformed,
    /// <summary>AES-256-GCM tag fails: the ballot was not encrypted to this election's key (or was altered).</summary>
    AuthenticationFailed,
    /// <summary>The plaintext is not a well-formed selections list.</summary>
    BadSelections,
    /// <summary>A different number of selections than the election has contests.</summary>
    WrongContestCount,
    /// <summary>A choice is not a candidate index of its contest.</summary>
    ChoiceOutOfRange,
}

/// <summary>Which DLEQ proofs <see cref="Tallier.Run"/> verifies before it publishes a result.</summary>
public enum TallyProofs
{
    /// <summary>Every proof of every share, before anything is decrypted (the default).</summary>
    All = 0,
    /// <summary>
    /// Combine first; verify the proofs of a ballot's shares only when its AES-GCM tag fails. A
    /// tag that verifies under the key derived from the combined D shows D is right (a wrong
    /// share would have to hit a key under which the voter's ciphertext authenticates), so every
    /// wrong share that could change the count is still caught, with its trustee and ballot.
    /// What it does not catch is a malformed proof beside a right share: that changes no count,
    /// and the record's verifier (<c>tvs verify</c>) still checks every proof. For national-scale
    /// tallies (docs/election-guide.md, "Tally").
    /// </summary>
    OnFailure = 1,
}

/// <summary>One trustee's shares for all ballots, decoded, and the file each came from (for messages).</summary>
public sealed class TrusteeShares
{
    internal TrusteeShares(int trustee, DecryptionShare[] shares, bool[] present, List<(long First, int Count, string Path)> files)
    {
        Trustee = trustee;
        Shares = shares;
        Present = present;
        Files = files;
    }

    public int Trustee { get; }
    public DecryptionShare[] Shares { get; }
    /// <summary>False for ballots without R (their share is 96 zero bytes).</summary>
    public bool[] Present { get; }
    public IReadOnlyList<(long First, int Count, string Path)> Files { get; }

    public string FileOf(long ballot) => Files.FirstOrDefault(f => ballot >= f.First && ballot < f.First + f.Count).Path ?? "?";
}

/// <summary>
/// Combining the trustees' shares (docs/election-guide.md, "Tally"): load and check every shares
/// file, verify every DLEQ proof, then for each ballot D = Σ λ_i·D_i, decrypt, and count. Used by
/// <c>tvs tally</c> and, identically, by the verifier's recount.
/// </summary>
public static class Tallier
{
    public static string Code(SpoilReason r) => r switch
    {
        SpoilReason.Malformed => "malformed",
        SpoilReason.AuthenticationFailed => "authentication_failed",
        SpoilReason.BadSelections => "bad_selections",
        SpoilReason.WrongContestCount => "wrong_contest_count",
        SpoilReason.ChoiceOutOfRange => "choice_out_of_range",
        _ => "none",
    };

    /// <summary>R of every ballot (identity where the ballot has none).</summary>
    public static RistrettoPoint[] Ephemerals(IReadOnlyList<byte[]> ballots)
    {
        var r = new RistrettoPoint[ballots.Count];
        Parallel.For(0, ballots.Count, i => BallotCipher.TryReadEphemeral(ballots[i], out r[i]));
        return r;
    }

    /// <summary>
    /// Reads every shares file under <paramref name="directories"/>, grouped by trustee. Throws
    /// <see cref="TallyException"/> naming the file for anything that is not a complete set of
    /// shares for exactly these ballots.
    /// </summary>
    public static Dictionary<int, TrusteeShares> LoadShares(IEnumerable<string> directories, Guid electionId, IReadOnlyList<byte[]> ballots, RistrettoPoint[] ephemerals)
    {
        var chunks = new Dictionary<int, SortedDictionary<long, (ShareChunk Chunk, string Path)>>();
        foreach (var dir in directories)
        {
            if (!Directory.Exists(dir))
            {
                throw new TallyException($"{dir}: no such directory");
            }
            foreach (var path in ShareChunk.FindFiles(dir))
            {
                var bytes = File.ReadAllBytes(path);
                var chunk = ShareChunk.TryDecode(bytes, out var why) ?? throw new TallyException($"{path}: {why}");
                if (chunk.ElectionId != electionId)
                {
                    throw new TallyException($"{path}: shares for election {chunk.ElectionId}, not {electionId}");
                }
                var mine = chunks.TryGetValue(chunk.Trustee, out var m) ? m : chunks[chunk.Trustee] = [];
                if (mine.TryGetValue(chunk.First, out var other))
                {
                    if (!other.Chunk.Body.AsSpan().SequenceEqual(chunk.Body) || other.Chunk.Count != chunk.Count)
                    {
                        throw new TallyException($"{path}: trustee {chunk.Trustee}: a different shares file for ballots from {chunk.First} is also in {other.Path}");
                    }
                    continue; // the same file given twice
                }
                mine[chunk.First] = (chunk, path);
            }
        }
        var result = new Dictionary<int, TrusteeShares>();
        foreach (var (trustee, files) in chunks)
        {
            var shares = new DecryptionShare[ballots.Count];
            var present = new bool[ballots.Count];
            var list = new List<(long, int, string)>();
            long next = 0;
            foreach (var (first, (chunk, path)) in files)
            {
                if (first != next)
                {
                    throw new TallyException(first > next
                        ? $"trustee {trustee}: ballots {next}–{first - 1} have no shares file"
                        : $"{path}: trustee {trustee}: ballots from {first} overlap the previous file");
                }
                if (first + chunk.Count > ballots.Count)
                {
                    throw new TallyException($"{path}: trustee {trustee}: covers ballots up to {first + chunk.Count - 1}, the record has {ballots.Count}");
                }
                if (!chunk.BallotsDigest.AsSpan().SequenceEqual(ShareChunk.DigestBallots(ballots, first, chunk.Count)))
                {
                    throw new TallyException($"{path}: trustee {trustee}: made for other ballots (its ballots digest differs from ballots {first}–{first + chunk.Count - 1})");
                }
                for (int k = 0; k < chunk.Count; k++)
                {
                    long b = first + k;
                    var bytes = chunk.ShareBytes(k);
                    if (ephemerals[b].IsIdentity)
                    {
                        if (bytes.ContainsAnyExcept((byte)0))
                        {
                            throw new TallyException($"{path}: trustee {trustee}: ballot {b} has no valid R, yet its share is not zero");
                        }
                        continue;
                    }
                    if (!DecryptionShare.TryDecode(bytes, out shares[b]))
                    {
                        throw new TallyException($"{path}: trustee {trustee}: ballot {b}: the share is not a valid encoding (D_i ‖ c ‖ z)");
                    }
                    present[b] = true;
                }
                list.Add((first, chunk.Count, path));
                next = first + chunk.Count;
            }
            if (next != ballots.Count)
            {
                throw new TallyException($"trustee {trustee}: ballots {next}–{ballots.Count - 1} have no shares file");
            }
            result[trustee] = new TrusteeShares(trustee, shares, present, list);
        }
        return result;
    }

    /// <summary>Verifies every DLEQ proof of <paramref name="shares"/> against Y_i; returns one message per bad share (at most <paramref name="limit"/>), ballot order.</summary>
    public static List<string> VerifyProofs(Guid electionId, DkgResult dkg, RistrettoPoint[] ephemerals, TrusteeShares shares, int limit = 10)
    {
        if (shares.Trustee < 1 || shares.Trustee > dkg.Parameters.Trustees)
        {
            return [$"trustee {shares.Trustee}: no such trustee (the election has {dkg.Parameters.Trustees})"];
        }
        var yi = dkg.VerificationKey(shares.Trustee);
        var bad = new bool[ephemerals.Length];
        Parallel.For(0, (ephemerals.Length + ThresholdDecryption.ChunkSize - 1) / ThresholdDecryption.ChunkSize, c =>
        {
            int lo = c * ThresholdDecryption.ChunkSize, hi = Math.Min(lo + ThresholdDecryption.ChunkSize, ephemerals.Length);
            for (int b = lo; b < hi; b++)
            {
                if (shares.Present[b])
                {
                    bad[b] = !ThresholdDecryption.VerifyShare(electionId, yi, ephemerals[b], shares.Shares[b]);
                }
            }
        });
        var messages = new List<string>();
        for (int b = 0; b < bad.Length && messages.Count < limit; b++)
        {
            if (bad[b])
            {
                messages.Add($"{shares.FileOf(b)}: trustee {shares.Trustee}: ballot {b}: the DLEQ proof of the decryption share does not verify against Y_{shares.Trustee}");
            }
        }
        return messages;
    }

    /// <summary>
    /// The whole tally: at least t trustees (else nothing is decrypted), every proof verified
    /// (a wrong share refuses the tally with its trustee and ballot), then combine, decrypt, count.
    /// With <see cref="TallyProofs.OnFailure"/> the proofs are verified only for ballots whose tag
    /// fails after combining; a wrong share refuses the tally the same way.
    /// </summary>
    public static TallyResult Run(Guid electionId, DkgResult dkg, ContestList contests, IReadOnlyList<byte[]> ballots, IReadOnlyDictionary<int, TrusteeShares> shares, TallyProofs proofs = TallyProofs.All)
    {
        int t = dkg.Parameters.Threshold;
        if (shares.Count < t)
        {
            throw new TallyException($"shares of {shares.Count} trustee(s) ({string.Join(", ", shares.Keys.Order())}), the threshold is {t}: nothing decrypted");
        }
        var ephemerals = Ephemerals(ballots);
        var used = shares.Values.OrderBy(s => s.Trustee).ToList();
        foreach (var s in used)
        {
            if (s.Trustee < 1 || s.Trustee > dkg.Parameters.Trustees)
            {
                throw new TallyException($"trustee {s.Trustee}: no such trustee (the election has {dkg.Parameters.Trustees}): tally refused, nothing decrypted");
            }
        }
        if (proofs == TallyProofs.OnFailure)
        {
            return Count(electionId, dkg, contests, ballots, ephemerals, used, verifyProofsOfFailures: true);
        }
        foreach (var s in used)
        {
            var bad = VerifyProofs(electionId, dkg, ephemerals, s, 1);
            if (bad.Count > 0)
            {
                throw new TallyException(bad[0] + ": tally refused, nothing decrypted");
            }
        }
        return Count(electionId, dkg, contests, ballots, ephemerals, used);
    }

    /// <summary>
    /// Combine, decrypt and count. Without <paramref name="verifyProofsOfFailures"/> the proofs
    /// must have been verified; with it, the proofs of every ballot whose tag fails are verified
    /// here, and a share whose proof fails refuses the tally (<see cref="TallyException"/>, the
    /// first such ballot named).
    /// </summary>
    public static TallyResult Count(Guid electionId, DkgResult dkg, ContestList contests, IReadOnlyList<byte[]> ballots, RistrettoPoint[] ephemerals, IReadOnlyList<TrusteeShares> used, bool verifyProofsOfFailures = false)
    {
        var verificationKeys = verifyProofsOfFailures ? used.Select(s => dkg.VerificationKey(s.Trustee)).ToArray() : [];
        long firstBadBallot = long.MaxValue;
        string? firstBad = null;
        var indices = used.Select(s => s.Trustee).ToArray();
        var lambda = new RistrettoScalar[indices.Length];
        Lagrange.CoefficientsAtZero(indices, lambda);
        // The shares and the coefficients are public: the variable-time Straus combination
        // (≈ 4× libsodium's five constant-time multiplications, docs/PERFORMANCE.md "Trustees").
        var weights = new VartimeScalars(lambda);
        var y = dkg.PublicKey;
        int contestCount = contests.Count;
        var candidates = contests.CandidateCounts();
        var reasons = new SpoilReason[ballots.Count];
        var totals = candidates.Select(c => new long[c]).ToArray();
        object gate = new();
        Parallel.For(0, (ballots.Count + ThresholdDecryption.ChunkSize - 1) / ThresholdDecryption.ChunkSize,
            () => (Counts: candidates.Select(c => new long[c]).ToArray(), Selections: new ushort[BallotCipher.MaxContests], Shares: new RistrettoPoint[used.Count]),
            (c, _, local) =>
            {
                int lo = c * ThresholdDecryption.ChunkSize, hi = Math.Min(lo + ThresholdDecryption.ChunkSize, ballots.Count);
                for (int b = lo; b < hi; b++)
                {
                    if (ephemerals[b].IsIdentity)
                    {
                        reasons[b] = SpoilReason.Malformed;
                        continue;
                    }
                    for (int k = 0; k < used.Count; k++)
                    {
                        local.Shares[k] = used[k].Shares[b].Share;
                    }
                    var d = RistrettoVartime.Combine(weights, local.Shares);
                    var e = BallotCipher.Decrypt(ballots[b], electionId, y, d, local.Selections, out int n);
                    reasons[b] = e switch
                    {
                        BallotError.None => SpoilReason.None,
                        BallotError.AuthenticationFailed => SpoilReason.AuthenticationFailed,
                        BallotError.BadSelections => SpoilReason.BadSelections,
                        _ => SpoilReason.Malformed,
                    };
                    if (e == BallotError.AuthenticationFailed && verifyProofsOfFailures)
                    {
                        // Either the voter's ciphertext is bad or some D_i is: the proofs tell which.
                        for (int k = 0; k < used.Count; k++)
                        {
                            if (!ThresholdDecryption.VerifyShare(electionId, verificationKeys[k], ephemerals[b], used[k].Shares[b]))
                            {
                                lock (gate)
                                {
                                    if (b < firstBadBallot)
                                    {
                                        firstBadBallot = b;
                                        firstBad = $"{used[k].FileOf(b)}: trustee {used[k].Trustee}: ballot {b}: the DLEQ proof of the decryption share does not verify against Y_{used[k].Trustee}";
                                    }
                                }
                                break;
                            }
                        }
                    }
                    if (e != BallotError.None)
                    {
                        continue;
                    }
                    if (n != contestCount)
                    {
                        reasons[b] = SpoilReason.WrongContestCount;
                        continue;
                    }
                    bool inRange = true;
                    for (int k = 0; k < n; k++)
                    {
                        inRange &= local.Selections[k] < candidates[k];
                    }
                    if (!inRange)
                    {
                        reasons[b] = SpoilReason.ChoiceOutOfRange;
                        continue;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        local.Counts[k][local.Selections[k]]++;
                    }
                }
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (int k = 0; k < contestCount; k++)
                    {
                        for (int j = 0; j < candidates[k]; j++)
                        {
                            totals[k][j] += local.Counts[k][j];
                        }
                    }
                }
            });
        if (firstBad != null)
        {
            throw new TallyException(firstBad + ": tally refused, nothing decrypted");
        }
        var spoiled = new List<(long, string)>();
        for (int b = 0; b < reasons.Length; b++)
        {
            if (reasons[b] != SpoilReason.None)
            {
                spoiled.Add((b, Code(reasons[b])));
            }
        }
        return new TallyResult(electionId, ballots.Count, indices, dkg.Parameters.Threshold, contests, totals, spoiled);
    }
}

/// <summary>
/// The published result, <c>result.json</c> (docs/formats.md, "Result"): counts per contest and
/// candidate, the trustees whose shares were combined, and every spoiled ballot with its reason.
/// </summary>
public sealed class TallyResult
{
    public const string FileName = "result.json";

    public TallyResult(Guid electionId, long ballots, int[] trustees, int threshold, ContestList contests, long[][] counts, List<(long Index, string Reason)> spoiled)
    {
        ElectionId = electionId;
        Ballots = ballots;
        Trustees = trustees;
        Threshold = threshold;
        Contests = contests;
        Counts = counts;
        Spoiled = spoiled;
    }

    public Guid ElectionId { get; }
    public long Ballots { get; }
    public int[] Trustees { get; }
    public int Threshold { get; }
    public ContestList Contests { get; }
    public long[][] Counts { get; }
    public List<(long Index, string Reason)> Spoiled { get; }

    public SortedDictionary<string, long> SpoiledByReason()
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (_, r) in Spoiled)
        {
            d[r] = d.GetValueOrDefault(r) + 1;
        }
        return d;
    }

    public JsonObject ToJson() => new()
    {
        ["version"] = 1,
        ["electionId"] = ElectionId.ToString("D"),
        ["ballots"] = Ballots,
        ["threshold"] = Threshold,
        ["trustees"] = new JsonArray(Trustees.Select(i => (JsonNode)i).ToArray()),
        ["contests"] = new JsonArray(Contests.Contests.Select((c, k) => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["candidates"] = new JsonArray(c.Candidates.Select((n, j) => (JsonNode)new JsonObject { ["name"] = n, ["votes"] = Counts[k][j] }).ToArray()),
        }).ToArray()),
        ["spoiled"] = new JsonObject
        {
            ["total"] = Spoiled.Count,
            ["byReason"] = new JsonObject(SpoiledByReason().Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        },
        ["spoiledBallots"] = new JsonArray(Spoiled.Select(s => (JsonNode)new JsonObject { ["index"] = s.Index, ["reason"] = s.Reason }).ToArray()),
    };

    public void Write(string path) => File.WriteAllText(path, ToJson().ToJsonString(Json.Indented) + "\n");

    /// <summary>
    /// Reads a published result. Throws <see cref="RecordFormatException"/> (a
    /// <see cref="FormatException"/>) naming <paramref name="file"/> and the field on anything
    /// malformed: not JSON, truncated, a field missing, null or of the wrong type.
    /// </summary>
    public static TallyResult Parse(string text, string file = FileName)
    {
        var json = new RecordJson(file);
        var n = json.Document(text);
        int version = json.Int(n, "version");
        if (version != 1)
        {
            throw json.Error("version", $"is {version}: unknown version");
        }
        string idText = json.String(n, "electionId");
        if (!Guid.TryParse(idText, out var id))
        {
            throw json.Error("electionId", $"'{idText}' is not a UUID");
        }
        var contests = new List<Contest>();
        var counts = new List<long[]>();
        var contestArray = json.Array(n, "contests");
        for (int k = 0; k < contestArray.Count; k++)
        {
            string at = RecordJson.PathOf("contests", k);
            var c = json.AsObject(contestArray[k], at);
            var candidates = json.Array(c, "candidates", at);
            var names = new string[candidates.Count];
            var votes = new long[candidates.Count];
            for (int j = 0; j < candidates.Count; j++)
            {
                string cat = RecordJson.PathOf(RecordJson.PathOf(at, "candidates"), j);
                var candidate = json.AsObject(candidates[j], cat);
                names[j] = json.String(candidate, "name", cat);
                votes[j] = json.Long(candidate, "votes", cat);
            }
            contests.Add(new Contest(json.String(c, "name", at), names));
            counts.Add(votes);
        }
        var spoiledArray = json.Array(n, "spoiledBallots");
        var spoiled = new List<(long Index, string Reason)>(spoiledArray.Count);
        for (int k = 0; k < spoiledArray.Count; k++)
        {
            string at = RecordJson.PathOf("spoiledBallots", k);
            var entry = json.AsObject(spoiledArray[k], at);
            spoiled.Add((json.Long(entry, "index", at), json.String(entry, "reason", at)));
        }
        var trusteeArray = json.Array(n, "trustees");
        var trustees = new int[trusteeArray.Count];
        for (int k = 0; k < trustees.Length; k++)
        {
            trustees[k] = json.AsInt(trusteeArray[k], RecordJson.PathOf("trustees", k));
        }
        long ballots = json.Long(n, "ballots");
        int threshold = json.Int(n, "threshold");
        ContestList contestList;
        try
        {
            contestList = new ContestList(contests);
        }
        catch (ArgumentException e)
        {
            throw new RecordFormatException(file, "contests", e.Message, e);
        }
        return new TallyResult(id, ballots, trustees, threshold, contestList, counts.ToArray(), spoiled);
    }

    /// <summary>The first way <paramref name="recount"/> differs from this (published) result, or null if they are equal.</summary>
    public string? FirstDifference(TallyResult recount)
    {
        if (ElectionId != recount.ElectionId) return $"election id {ElectionId}, recounted for {recount.ElectionId}";
        if (Ballots != recount.Ballots) return $"ballots: published {Ballots}, the record has {recount.Ballots}";
        if (!Trustees.SequenceEqual(recount.Trustees)) return $"trustees: published [{string.Join(",", Trustees)}], shares combined [{string.Join(",", recount.Trustees)}]";
        if (Contests.Count != recount.Contests.Count) return $"contests: published {Contests.Count}, the election has {recount.Contests.Count}";
        for (int k = 0; k < Contests.Count; k++)
        {
            var a = Contests.Contests[k];
            var b = recount.Contests.Contests[k];
            if (a.Name != b.Name || !a.Candidates.SequenceEqual(b.Candidates)) return $"contest {k}: published '{a.Name}' with other candidates than the election's '{b.Name}'";
            for (int j = 0; j < a.Candidates.Count; j++)
            {
                if (Counts[k][j] != recount.Counts[k][j])
                {
                    return string.Create(CultureInfo.InvariantCulture, $"contest '{a.Name}' candidate '{a.Candidates[j]}': published {Counts[k][j]}, recounted {recount.Counts[k][j]}");
                }
            }
        }
        if (Spoiled.Count != recount.Spoiled.Count) return $"spoiled ballots: published {Spoiled.Count}, recounted {recount.Spoiled.Count}";
        for (int i = 0; i < Spoiled.Count; i++)
        {
            if (Spoiled[i] != recount.Spoiled[i]) return $"spoiled ballot {i}: published ballot {Spoiled[i].Index} ({Spoiled[i].Reason}), recounted ballot {recount.Spoiled[i].Index} ({recount.Spoiled[i].Reason})";
        }
        return null;
    }
}
