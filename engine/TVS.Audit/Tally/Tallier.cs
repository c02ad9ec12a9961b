using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Engine.IO;

namespace TVS.Engine.Tally;

/// <summary>The tally cannot proceed (too few trustees, a missing or wrong share, …): nothing was decrypted.</summary>
public sealed class TallyException(string message, IReadOnlyList<string>? failures = null) : Exception(message)
{
    /// <summary>The failed shares, one message each (file, trustee, ballot), ballot order, at most <see cref="Tallier.MaxReportedFailures"/>; empty when the tally could not start.</summary>
    public IReadOnlyList<string> Failures { get; } = failures ?? [];
}

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

/// <summary>How <see cref="Tallier.Run"/> walks the ballots.</summary>
public sealed record TallyOptions
{
    /// <summary>Ranges tallied at once (each on one core).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The trustees whose shares are combined (at least t); default: every trustee with shares files.</summary>
    public IReadOnlyList<int>? Trustees { get; init; }

    /// <summary>
    /// Where each finished range's counts are kept (<c>tally-work/…</c>), so that a tally
    /// interrupted by a crash resumes from its finished ranges; a kept range is used again only for
    /// the same ballots, the same shares files and the same proof policy. Null: nothing kept.
    /// </summary>
    public IRecordStore? Work { get; init; }

    /// <summary>Called after each range with the ballots tallied so far and the total.</summary>
    public Action<long, long>? Progress { get; init; }

    public CancellationToken Cancel { get; init; }
}

/// <summary>
/// Combining the trustees' shares (docs/election-guide.md, "Tally"), by range of ballots, ranges
/// in parallel, in memory bounded by the ranges in flight whatever the election's size: for each
/// range (a shares file of each trustee) read the ballots from the board, check every shares
/// file against them, verify the DLEQ proofs, then for each ballot D = Σ λ_i·D_i, decrypt, and
/// count. Used by <c>tvs tally</c> and, identically, by the verifier's recount.
/// </summary>
public static class Tallier
{
    /// <summary>Messages of failed shares a refusal lists at most.</summary>
    public const int MaxReportedFailures = 10;

    public static string Code(SpoilReason r) => r switch
    {
        SpoilReason.Malformed => "malformed",
        SpoilReason.AuthenticationFailed => "authentication_failed",
        SpoilReason.BadSelections => "bad_selections",
        SpoilReason.WrongContestCount => "wrong_contest_count",
        SpoilReason.ChoiceOutOfRange => "choice_out_of_range",
        _ => "none",
    };

    private static SpoilReason ParseCode(string code) => code switch
    {
        "malformed" => SpoilReason.Malformed,
        "authentication_failed" => SpoilReason.AuthenticationFailed,
        "bad_selections" => SpoilReason.BadSelections,
        "wrong_contest_count" => SpoilReason.WrongContestCount,
        "choice_out_of_range" => SpoilReason.ChoiceOutOfRange,
        _ => throw new FormatException($"unknown spoil reason '{code}'"),
    };

    /// <summary>
    /// The whole tally: at least t trustees (else nothing is decrypted), every shares file checked
    /// against the ballots it covers, every proof verified (with <see cref="TallyProofs.OnFailure"/>
    /// only those of ballots whose tag fails after combining), then combine, decrypt, count. A wrong
    /// share refuses the tally (<see cref="TallyException"/> naming the file, trustee and ballot of
    /// the first ones, <see cref="TallyException.Failures"/>); no result is returned then.
    /// </summary>
    public static TallyResult Run(Guid electionId, DkgResult dkg, ContestList contests, IBallotSource ballots, ShareFiles shares,
        TallyProofs proofs = TallyProofs.All, TallyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dkg);
        ArgumentNullException.ThrowIfNull(contests);
        ArgumentNullException.ThrowIfNull(ballots);
        ArgumentNullException.ThrowIfNull(shares);
        options ??= new TallyOptions();
        int t = dkg.Parameters.Threshold;
        var trustees = (options.Trustees ?? shares.Trustees).Order().ToArray();
        if (trustees.Length < t)
        {
            throw new TallyException($"shares of {trustees.Length} trustee(s) ({string.Join(", ", trustees)}), the threshold is {t}: nothing decrypted");
        }
        foreach (int trustee in trustees)
        {
            if (trustee < 1 || trustee > dkg.Parameters.Trustees)
            {
                throw new TallyException($"trustee {trustee}: no such trustee (the election has {dkg.Parameters.Trustees}): tally refused, nothing decrypted");
            }
            if (!shares.Trustees.Contains(trustee))
            {
                throw new TallyException($"trustee {trustee}: no shares files: tally refused, nothing decrypted");
            }
        }
        long total = ballots.Count;
        var ranges = total == 0 ? [] : shares.Ranges(trustees, total);
        var plan = new TallyPlan(electionId, dkg, contests, trustees, proofs);
        var results = new RangeTally?[ranges.Count];
        var failures = new List<(long Ballot, string Message)>();
        long done = 0;
        try
        {
            TallyAll();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // A range that could not be read (the board, a store): its own exception, not the wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        void TallyAll() => Parallel.For(0, ranges.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads), CancellationToken = options.Cancel },
            () => new TallyScratch(trustees.Length),
            (i, loop, scratch) =>
            {
                var (first, count) = ranges[i];
                RangeTally range;
                try
                {
                    range = TallyRange(plan, ballots, shares, first, count, options.Work, scratch);
                }
                catch (TallyException e)
                {
                    // A shares file that does not fit its range: this range's failure, reported with the others in ballot order.
                    range = new RangeTally([], [], [(first, e.Message)]);
                }
                if (range.Failures.Count > 0)
                {
                    lock (failures)
                    {
                        failures.AddRange(range.Failures);
                    }
                }
                results[i] = range;
                options.Progress?.Invoke(Interlocked.Add(ref done, count), total);
                return scratch;
            }, _ => { });
        if (failures.Count > 0)
        {
            var sorted = failures.OrderBy(f => f.Ballot).Take(MaxReportedFailures).Select(f => f.Message).ToList();
            throw new TallyException(sorted[0] + (failures.Count > 1 ? $" (and {failures.Count - 1} more share(s))" : "") + ": tally refused, nothing decrypted", sorted);
        }
        var candidates = contests.CandidateCounts();
        var totals = candidates.Select(c => new long[c]).ToArray();
        var spoiled = new List<(long, string)>();
        foreach (var r in results)
        {
            for (int k = 0; k < totals.Length; k++)
            {
                for (int j = 0; j < totals[k].Length; j++)
                {
                    totals[k][j] += r!.Counts[k][j];
                }
            }
            spoiled.AddRange(r!.Spoiled.Select(x => (x.Ballot, Code(x.Reason))));
        }
        return new TallyResult(electionId, total, trustees, t, contests, totals, spoiled);
    }

    /// <summary>What every range shares: the keys, the Lagrange weights of the trustees combined, the contests.</summary>
    private sealed class TallyPlan
    {
        public TallyPlan(Guid electionId, DkgResult dkg, ContestList contests, int[] trustees, TallyProofs proofs)
        {
            ElectionId = electionId;
            Trustees = trustees;
            Proofs = proofs;
            VerificationKeys = trustees.Select(dkg.VerificationKey).ToArray();
            var lambda = new RistrettoScalar[trustees.Length];
            Lagrange.CoefficientsAtZero(trustees, lambda);
            // The shares and the coefficients are public: the variable-time Straus combination
            // (docs/PERFORMANCE.md "Trustees").
            Weights = new VartimeScalars(lambda);
            PublicKey = dkg.PublicKey;
            Candidates = contests.CandidateCounts();
        }

        public Guid ElectionId { get; }
        public int[] Trustees { get; }
        public TallyProofs Proofs { get; }
        public RistrettoPoint[] VerificationKeys { get; }
        public VartimeScalars Weights { get; }
        public RistrettoPoint PublicKey { get; }
        public int[] Candidates { get; }
    }

    /// <summary>One worker's buffers, reused from range to range.</summary>
    private sealed class TallyScratch(int trustees)
    {
        public ushort[] Selections { get; } = new ushort[BallotCipher.MaxContests];
        public RistrettoPoint[] Shares { get; } = new RistrettoPoint[trustees];
    }

    /// <summary>A range's counts and spoiled ballots (ballot order), or the shares that failed.</summary>
    private sealed record RangeTally(long[][] Counts, List<(long Ballot, SpoilReason Reason)> Spoiled, List<(long Ballot, string Message)> Failures);

    private static RangeTally TallyRange(TallyPlan plan, IBallotSource source, ShareFiles shareFiles, long first, int count, IRecordStore? work, TallyScratch scratch)
    {
        var ballots = source.ReadBallots(first, count);
        var digest = ShareChunk.DigestBallots(ballots, 0, count);
        var chunks = new ShareChunk[plan.Trustees.Length];
        for (int k = 0; k < chunks.Length; k++)
        {
            chunks[k] = shareFiles.Load(plan.ElectionId, plan.Trustees[k], first, count, digest);
        }
        string? workPath = null;
        if (work != null)
        {
            workPath = WorkPath(plan, first, digest, chunks);
            if (work.TryGet(workPath) is { } kept && TryReadKept(kept, plan.Candidates) is { } resumed)
            {
                return resumed;
            }
        }
        string FileOf(int k) => ShareChunk.TrusteeDirectory(plan.Trustees[k]) + "/" + ShareChunk.FileName(first);
        string BadProof(int k, long ballot) => $"{FileOf(k)}: trustee {plan.Trustees[k]}: ballot {ballot}: the DLEQ proof of the decryption share does not verify against Y_{plan.Trustees[k]}";

        var ephemerals = new RistrettoPoint[count];
        var shares = new DecryptionShare[chunks.Length][];
        var failures = new List<(long, string)>();
        for (int k = 0; k < chunks.Length; k++)
        {
            shares[k] = new DecryptionShare[count];
        }
        for (int b = 0; b < count; b++)
        {
            bool hasR = BallotCipher.TryReadEphemeral(ballots[b], out ephemerals[b]) == BallotError.None;
            for (int k = 0; k < chunks.Length; k++)
            {
                var bytes = chunks[k].ShareBytes(b);
                if (!hasR)
                {
                    if (bytes.ContainsAnyExcept((byte)0))
                    {
                        failures.Add((first + b, $"{FileOf(k)}: trustee {plan.Trustees[k]}: ballot {first + b} has no valid R, yet its share is not zero"));
                    }
                    continue;
                }
                if (!DecryptionShare.TryDecode(bytes, out shares[k][b]))
                {
                    failures.Add((first + b, $"{FileOf(k)}: trustee {plan.Trustees[k]}: ballot {first + b}: the share is not a valid encoding (D_i ‖ c ‖ z)"));
                }
                else if (plan.Proofs == TallyProofs.All && !ThresholdDecryption.VerifyShare(plan.ElectionId, plan.VerificationKeys[k], ephemerals[b], shares[k][b]))
                {
                    failures.Add((first + b, BadProof(k, first + b)));
                }
            }
        }
        var counts = plan.Candidates.Select(c => new long[c]).ToArray();
        var spoiled = new List<(long, SpoilReason)>();
        if (failures.Count > 0)
        {
            return new RangeTally(counts, spoiled, failures);
        }
        int contestCount = plan.Candidates.Length;
        for (int b = 0; b < count; b++)
        {
            if (ephemerals[b].IsIdentity)
            {
                spoiled.Add((first + b, SpoilReason.Malformed));
                continue;
            }
            for (int k = 0; k < chunks.Length; k++)
            {
                scratch.Shares[k] = shares[k][b].Share;
            }
            var d = RistrettoVartime.Combine(plan.Weights, scratch.Shares);
            var e = BallotCipher.Decrypt(ballots[b], plan.ElectionId, plan.PublicKey, d, scratch.Selections, out int n);
            var reason = e switch
            {
                BallotError.None => SpoilReason.None,
                BallotError.AuthenticationFailed => SpoilReason.AuthenticationFailed,
                BallotError.BadSelections => SpoilReason.BadSelections,
                _ => SpoilReason.Malformed,
            };
            if (e == BallotError.AuthenticationFailed && plan.Proofs == TallyProofs.OnFailure)
            {
                // Either the voter's ciphertext is bad or some D_i is: the proofs tell which.
                for (int k = 0; k < chunks.Length; k++)
                {
                    if (!ThresholdDecryption.VerifyShare(plan.ElectionId, plan.VerificationKeys[k], ephemerals[b], shares[k][b]))
                    {
                        failures.Add((first + b, BadProof(k, first + b)));
                        break;
                    }
                }
            }
            if (reason == SpoilReason.None && n != contestCount)
            {
                reason = SpoilReason.WrongContestCount;
            }
            if (reason == SpoilReason.None)
            {
                for (int k = 0; k < n; k++)
                {
                    if (scratch.Selections[k] >= plan.Candidates[k])
                    {
                        reason = SpoilReason.ChoiceOutOfRange;
                        break;
                    }
                }
            }
            if (reason != SpoilReason.None)
            {
                spoiled.Add((first + b, reason));
                continue;
            }
            for (int k = 0; k < n; k++)
            {
                counts[k][scratch.Selections[k]]++;
            }
        }
        var result = new RangeTally(counts, spoiled, failures);
        if (work != null && failures.Count == 0)
        {
            work.Put(workPath!, Encoding.UTF8.GetBytes(KeptJson(result).ToJsonString()));
        }
        return result;
    }

    /// <summary>
    /// The name a range's counts are kept under: its first ballot and a hash of everything they
    /// depend on (the ballots, each shares file as written, the trustees, the proof policy), so a
    /// kept range is never used for other inputs.
    /// </summary>
    private static string WorkPath(TallyPlan plan, long first, ReadOnlySpan<byte> ballotsDigest, ShareChunk[] chunks)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(plan.ElectionId.ToByteArray(bigEndian: true));
        h.AppendData(ballotsDigest);
        h.AppendData([(byte)plan.Proofs]);
        foreach (var c in chunks)
        {
            h.AppendData(BitConverter.GetBytes(c.Trustee));
            h.AppendData(c.Hash);
        }
        return string.Create(CultureInfo.InvariantCulture, $"{WorkDirectory}/{first:D12}-{Convert.ToHexStringLower(h.GetHashAndReset())[..32]}.json");
    }

    /// <summary>Where <see cref="TallyOptions.Work"/> keeps finished ranges.</summary>
    public const string WorkDirectory = "tally-work";

    private static JsonObject KeptJson(RangeTally r) => new()
    {
        ["counts"] = new JsonArray(r.Counts.Select(c => (JsonNode)new JsonArray(c.Select(v => (JsonNode)v).ToArray())).ToArray()),
        ["spoiled"] = new JsonArray(r.Spoiled.Select(s => (JsonNode)new JsonArray(s.Ballot, Code(s.Reason))).ToArray()),
    };

    /// <summary>A kept range, or null if it does not read as one for these contests (then it is tallied again).</summary>
    private static RangeTally? TryReadKept(byte[] bytes, int[] candidates)
    {
        try
        {
            if (JsonNode.Parse(bytes) is not JsonObject { } n || n["counts"] is not JsonArray countArray || n["spoiled"] is not JsonArray spoiledArray
                || countArray.Count != candidates.Length)
            {
                return null;
            }
            var counts = new long[candidates.Length][];
            for (int k = 0; k < counts.Length; k++)
            {
                if (countArray[k] is not JsonArray c || c.Count != candidates[k])
                {
                    return null;
                }
                counts[k] = new long[c.Count];
                for (int j = 0; j < c.Count; j++)
                {
                    if (c[j] is not JsonValue v || !v.TryGetValue(out counts[k][j]))
                    {
                        return null;
                    }
                }
            }
            var spoiled = new List<(long, SpoilReason)>(spoiledArray.Count);
            foreach (var item in spoiledArray)
            {
                if (item is not JsonArray { Count: 2 } pair || pair[0] is not JsonValue b || !b.TryGetValue(out long ballot)
                    || pair[1] is not JsonValue r || !r.TryGetValue(out string? code))
                {
                    return null;
                }
                spoiled.Add((ballot, ParseCode(code)));
            }
            return new RangeTally(counts, spoiled, []);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }
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
