using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Tests.Engine;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// One election run once for the whole class: ceremony (9 trustees, t = 5), real ballots through
/// the engine, close, all 9 trustees' shares, a tally by trustees 1–5 and the exported record.
/// 10,000 voters by default (TVS_LIFECYCLE_VOTERS overrides: a loaded 2-core machine takes minutes at 10,000).
/// </summary>
public sealed class LifecycleFixture : IDisposable
{
    public LifecycleFixture()
    {
        Voters = int.TryParse(Environment.GetEnvironmentVariable("TVS_LIFECYCLE_VOTERS"), out int v) ? v : 10_000;
        Root = Directory.CreateTempSubdirectory("tvs-lifecycle-").FullName;
        var id = Guid.NewGuid();
        Ceremony = LocalCeremony.Run(new DkgParameters(id, 5, 9));
        Election = ElectionSetup.CreateSimulated(Path.Combine(Root, "election"), id: id);
        CeremonyFiles.WriteJson(Path.Combine(Election.Directory, ElectionRecord.ElectionKeyFile), CeremonyFiles.ToJson(Ceremony.Result));
        Contests = ContestList.Sample();
        Contests.Write(Path.Combine(Election.Directory, ContestList.FileName));
        Load = LoadGenerator.Generate(Election, new LoadMix
        {
            Voters = Voters,
            Duplicates = 0.02,
            BadProofs = 0.01,
            Malformed = 0.01,
            Ballots = new BallotMix(Ceremony.Result.PublicKey, Contests.CandidateCounts(), OutOfRange: 0.01, WrongKey: 0.005),
        });
        string input = Path.Combine(Root, "input.log");
        using (var writer = LocalInputLogWriter.Open(input))
        {
            foreach (var r in Load.Records)
            {
                writer.Append(r.Key, r.Value);
            }
            writer.Seal();
        }
        Data = Path.Combine(Root, "data");
        using (var partition = LocalPartition.Open(Data, 0, new FasterNullifierStoreOptions { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 }))
        using (var log = LocalInputLog.Open(input))
        {
            partition.CreateEngine(Election.CreateOpener(), Election.CreateAdmission(), Election.Signer, Election.Origin(0), EngineHarness.SmallOptions, log).Run(default, stopAtEnd: true);
        }
        var output = new StringWriter();
        CloseExit = ElectionCommands.Close(Election.Directory, Data, output, output);
        CloseOutput = output.ToString();
        ByPartition = ElectionCommands.ReadClosedVotes(Election.Directory, Data, out _);
        Votes = ByPartition.SelectMany(p => p).ToList();
        Ballots = Votes.Select(x => x.Ballot.ToArray()).ToList();
        Shares = Path.Combine(Root, "shares");
        for (int j = 1; j <= 9; j++)
        {
            TrusteeDecryptor.Run(id, j, Ceremony.Shares[j - 1], Ceremony.Result.VerificationKey(j), BallotSource, TrusteeDir(j));
        }
        var tally = new StringWriter();
        TallyExit = ElectionCommands.Tally(Election.Directory, Data, null, Enumerable.Range(1, 5).Select(TrusteeDir).ToArray(), null, false, tally, tally);
        TallyOutput = tally.ToString();
        var export = new StringWriter();
        ExportExit = RecordCommands.Export(Election.Directory, Data, Path.Combine(Root, "export"), export, export);
        ExportOutput = export.ToString();
        // The record as docs/formats.md "Election record" lays it out (the board plus the election's files).
        Record = Path.Combine(Root, "record");
        if (TallyExit == 0)
        {
            using var store = new TVS.Engine.IO.DirectoryRecordStore(Record);
            TestRecord.Write(Election.Directory, Data, Path.Combine(Data, ElectionCommands.TallyDirectory), store);
        }
    }

    public int Voters { get; }
    public List<List<AcceptedVote>> ByPartition { get; }

    /// <summary>The closed election's ballots, in ballot order.</summary>
    public IBallotSource BallotSource => new MemoryBallots(ByPartition);

    /// <summary>R of every ballot (identity where the ballot has none).</summary>
    public static RistrettoPoint[] Ephemerals(IReadOnlyList<byte[]> ballots)
    {
        var r = new RistrettoPoint[ballots.Count];
        for (int i = 0; i < r.Length; i++)
        {
            BallotCipher.TryReadEphemeral(ballots[i], out r[i]);
        }
        return r;
    }

    /// <summary>One trustee's shares files in a directory, decoded, in ballot order (absent where the ballot has no R).</summary>
    public static List<(bool Present, DecryptionShare Share)> ReadShares(string dir)
    {
        var all = new List<(bool, DecryptionShare)>();
        foreach (var path in Directory.GetFiles(dir, "*" + ShareChunk.Extension).Order(StringComparer.Ordinal))
        {
            var chunk = ShareChunk.TryDecode(File.ReadAllBytes(path), out var why) ?? throw new InvalidDataException($"{path}: {why}");
            Assert.Equal(all.Count, chunk.First);
            for (int k = 0; k < chunk.Count; k++)
            {
                bool present = DecryptionShare.TryDecode(chunk.ShareBytes(k), out var share);
                all.Add((present, share));
            }
        }
        return all;
    }

    public string Root { get; }
    public LocalCeremonyResult Ceremony { get; }
    public ElectionSetup Election { get; }
    public ContestList Contests { get; }
    public GeneratedLoad Load { get; }
    public string Data { get; }
    public int CloseExit { get; }
    public string CloseOutput { get; }
    public List<AcceptedVote> Votes { get; }
    public List<byte[]> Ballots { get; }
    public string Shares { get; }
    public int TallyExit { get; }
    public string TallyOutput { get; }
    public string Record { get; }
    public int ExportExit { get; }
    public string ExportOutput { get; }

    public string TrusteeDir(int j) => Path.Combine(Shares, ShareChunk.TrusteeDirectory(j));

    public void Dispose()
    {
        Election.Dispose();
        // TVS_LIFECYCLE_KEEP=DIR keeps the record (to measure tvs verify on it as a process).
        if (Environment.GetEnvironmentVariable("TVS_LIFECYCLE_KEEP") is { Length: > 0 } keep && Directory.Exists(Record) && !Directory.Exists(keep))
        {
            Directory.Move(Record, keep);
        }
        Directory.Delete(Root, recursive: true);
    }
}

[Collection(InProcessCliCollection.Name)]
public sealed class LifecycleTests : IClassFixture<LifecycleFixture>
{
    private readonly LifecycleFixture _f;
    private readonly ITestOutputHelper _output;

    public LifecycleTests(LifecycleFixture f, ITestOutputHelper output)
    {
        _f = f;
        _output = output;
    }

    private void AssertEqualsChoicesCast(TallyResult result)
    {
        Assert.Equal(_f.Votes.Count, result.Ballots);
        for (int k = 0; k < _f.Contests.Count; k++)
        {
            Assert.Equal(_f.Load.ExpectedTally![k], result.Counts[k]);
        }
        Assert.Equal(_f.Load.ExpectedSpoiled, result.SpoiledByReason());
        Assert.True(result.SpoiledByReason().GetValueOrDefault("choice_out_of_range") > 0 || _f.Voters < 200);
    }

    [Fact]
    public void Close_tally_and_export_succeed_and_the_result_equals_the_choices_cast()
    {
        _output.WriteLine(_f.CloseOutput + _f.TallyOutput + _f.ExportOutput);
        Assert.Equal(0, _f.CloseExit);
        Assert.Equal(0, _f.TallyExit);
        Assert.Equal(0, _f.ExportExit);
        Assert.Equal(_f.Load.ExpectedCounts["accepted"], _f.Votes.Count);
        AssertEqualsChoicesCast(TallyResult.Parse(File.ReadAllText(Path.Combine(_f.Data, ElectionCommands.TallyDirectory, TallyResult.FileName))));
    }

    [Fact]
    public void Another_five_trustees_give_the_same_result()
    {
        string out2 = Path.Combine(_f.Root, "tally-56789");
        var w = new StringWriter();
        Assert.Equal(0, ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, [.. new[] { 5, 6, 7, 8, 9 }.Select(_f.TrusteeDir)], out2, false, w, w));
        var second = TallyResult.Parse(File.ReadAllText(Path.Combine(out2, TallyResult.FileName)));
        Assert.Equal([5, 6, 7, 8, 9], second.Trustees);
        AssertEqualsChoicesCast(second);
        var first = TallyResult.Parse(File.ReadAllText(Path.Combine(_f.Data, ElectionCommands.TallyDirectory, TallyResult.FileName)));
        Assert.Null(first.FirstDifference(new TallyResult(first.ElectionId, second.Ballots, first.Trustees, second.Threshold, second.Contests, second.Counts, second.Spoiled)));
    }

    [Fact]
    public void Four_trustees_cannot_decrypt()
    {
        string out4 = Path.Combine(_f.Root, "tally-4");
        var w = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, [.. new[] { 2, 4, 6, 8 }.Select(_f.TrusteeDir)], out4, false, w, w));
        Assert.Contains("shares of 4 trustee(s) (2, 4, 6, 8), the threshold is 5: nothing decrypted", w.ToString());
        Assert.False(File.Exists(Path.Combine(out4, TallyResult.FileName)));
    }

    [Theory]
    [InlineData(TallyProofs.All)]
    [InlineData(TallyProofs.OnFailure)]
    public void A_wrong_share_is_caught_by_its_proof(TallyProofs proofs)
    {
        string dir = Path.Combine(_f.Root, $"wrong-share-{proofs}", ShareChunk.TrusteeDirectory(3));
        CopyDirectory(_f.TrusteeDir(3), dir);
        int ballot = AlterShare(Directory.GetFiles(dir).Order().First(), 1);
        var w = new StringWriter();
        string outDir = Path.Combine(_f.Root, $"tally-wrong-{proofs}");
        int exit = ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, [_f.TrusteeDir(1), _f.TrusteeDir(2), dir, _f.TrusteeDir(4), _f.TrusteeDir(5)], outDir, false, w, w, proofs);
        _output.WriteLine(w.ToString());
        Assert.Equal(ExitCodes.Invalid, exit);
        Assert.Contains($"trustee 3: ballot {ballot}: the DLEQ proof of the decryption share does not verify", w.ToString());
        Assert.Contains("nothing decrypted", w.ToString());
        Assert.False(File.Exists(Path.Combine(outDir, TallyResult.FileName)));
    }

    [Fact]
    public void Combining_first_gives_the_same_result_and_verifies_the_proofs_of_every_ballot_whose_tag_fails()
    {
        // Trustees 2, 4, 6, 7, 9 (another set than the fixture's), tag check first.
        string outDir = Path.Combine(_f.Root, "tally-on-failure");
        var w = new StringWriter();
        Assert.Equal(0, ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, [.. new[] { 2, 4, 6, 7, 9 }.Select(_f.TrusteeDir)], outDir, false, w, w, TallyProofs.OnFailure));
        var fast = TallyResult.Parse(File.ReadAllText(Path.Combine(outDir, TallyResult.FileName)));
        AssertEqualsChoicesCast(fast);
        Assert.True(fast.SpoiledByReason().GetValueOrDefault("authentication_failed") > 0 || _f.Voters < 200, "the fixture must hold ballots whose tag fails, or the on-failure path is untested");

        // A wrong share on a ballot whose tag fails anyway (the voter's ciphertext is bad) is found
        // by the proofs of that ballot, not by the tag.
        var failing = fast.Spoiled.Where(s => s.Reason == "authentication_failed").Select(s => s.Index).ToHashSet();
        if (failing.Count > 0)
        {
            string dir = Path.Combine(_f.Root, "wrong-share-failing", ShareChunk.TrusteeDirectory(6));
            CopyDirectory(_f.TrusteeDir(6), dir);
            int altered = AlterShareOf(dir, failing.Min());
            var w2 = new StringWriter();
            Assert.Equal(ExitCodes.Invalid, ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, [_f.TrusteeDir(2), _f.TrusteeDir(4), dir, _f.TrusteeDir(7), _f.TrusteeDir(9)], Path.Combine(_f.Root, "tally-wrong-failing"), false, w2, w2, TallyProofs.OnFailure));
            Assert.Contains($"trustee 6: ballot {altered}: the DLEQ proof of the decryption share does not verify", w2.ToString());
        }
    }

    [Fact]
    public void A_bad_proof_beside_a_right_share_refuses_the_full_check_and_changes_no_count_when_combining_first()
    {
        string dir = Path.Combine(_f.Root, "bad-proof", ShareChunk.TrusteeDirectory(4));
        CopyDirectory(_f.TrusteeDir(4), dir);
        string file = Directory.GetFiles(dir).Order().First();
        var chunk = ShareChunk.TryDecode(File.ReadAllBytes(file), out _)!;
        var body = chunk.Body.ToArray();
        var eph = LifecycleFixture.Ephemerals(_f.Ballots);
        int k = Enumerable.Range(0, chunk.Count).First(i => !eph[chunk.First + i].IsIdentity);
        RistrettoScalar.Random().Encode(body.AsSpan(k * DecryptionShare.Length + 3 * RistrettoPoint.Length)); // z only (D_i ‖ A ‖ B ‖ z): D_i is untouched
        File.WriteAllBytes(file, ShareChunk.Encode(chunk.ElectionId, chunk.Trustee, chunk.First, chunk.Count, chunk.BallotsDigest, body));
        string[] dirs = [_f.TrusteeDir(1), _f.TrusteeDir(2), _f.TrusteeDir(3), dir, _f.TrusteeDir(5)];

        var w = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, dirs, Path.Combine(_f.Root, "tally-bad-proof-all"), false, w, w, TallyProofs.All));
        Assert.Contains($"trustee 4: ballot {chunk.First + k}: the DLEQ proof of the decryption share does not verify", w.ToString());

        string outDir = Path.Combine(_f.Root, "tally-bad-proof-on-failure");
        Assert.Equal(0, ElectionCommands.Tally(_f.Election.Directory, _f.Data, null, dirs, outDir, false, w, w, TallyProofs.OnFailure));
        AssertEqualsChoicesCast(TallyResult.Parse(File.ReadAllText(Path.Combine(outDir, TallyResult.FileName))));
        // The auditors' check still refuses it: every proof in the record is verified.
        var refused = Assert.Throws<TallyException>(() => Tallier.Run(_f.Election.Id, _f.Ceremony.Result, _f.Contests, _f.BallotSource, ShareFiles.FindInDirectories(dirs), TallyProofs.All));
        Assert.Single(refused.Failures);
    }

    [Fact]
    public void The_engine_refuses_a_closed_data_directory_and_close_refuses_twice()
    {
        string config = Path.Combine(_f.Root, "engine.json");
        File.WriteAllText(config, $$"""{ "Engine": { "Mode": "test", "Election": "{{_f.Election.Directory}}", "Data": "{{_f.Data}}", "Input": "{{Path.Combine(_f.Root, "input.log")}}", "StopAtEnd": true } }""");
        var err = new StringWriter();
        var old = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.Equal(ExitCodes.Unusable, Program.BuildRoot().Parse(["engine", "run", "--config", config]).Invoke());
        }
        finally
        {
            Console.SetError(old);
        }
        Assert.Contains("is closed", err.ToString());
        var w = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ElectionCommands.Close(_f.Election.Directory, _f.Data, w, w));
        Assert.Contains("already closed", w.ToString());
    }

    [Fact]
    public void Decrypt_is_resumable_and_resuming_gives_identical_shares()
    {
        string outDir = Path.Combine(_f.Root, "resume");
        int chunk = Math.Max(1, _f.Ballots.Count / 5);
        var s = _f.Ceremony.Shares[6];
        var y = _f.Ceremony.Result.VerificationKey(7);
        var first = TrusteeDecryptor.Run(_f.Election.Id, 7, s, y, _f.BallotSource, outDir, chunk, maxChunks: 2);
        Assert.Equal(2, first.ChunksWritten);
        var before = Directory.GetFiles(outDir, "*.shares").Order().ToDictionary(p => p, File.ReadAllBytes);
        File.WriteAllText(Path.Combine(outDir, ShareChunk.FileName(2L * chunk)), "torn"); // an interrupted write
        var resumed = TrusteeDecryptor.Run(_f.Election.Id, 7, s, y, _f.BallotSource, outDir, chunk);
        Assert.Equal(2, resumed.ChunksSkipped);
        Assert.Equal((_f.Ballots.Count + chunk - 1) / chunk - 2, resumed.ChunksWritten);
        foreach (var (path, bytes) in before)
        {
            Assert.Equal(bytes, File.ReadAllBytes(path)); // kept, not recomputed
        }
        var again = TrusteeDecryptor.Run(_f.Election.Id, 7, s, y, _f.BallotSource, outDir, chunk);
        Assert.Equal(0, again.ChunksWritten);

        // The D_i equal those of the uninterrupted run (the proofs are randomized, both verify).
        var resumedShares = LifecycleFixture.ReadShares(outDir);
        var fullShares = LifecycleFixture.ReadShares(_f.TrusteeDir(7));
        Assert.Equal(_f.Ballots.Count, resumedShares.Count);
        for (int b = 0; b < _f.Ballots.Count; b++)
        {
            Assert.Equal(fullShares[b].Present, resumedShares[b].Present);
            Assert.Equal(fullShares[b].Share.Share, resumedShares[b].Share.Share);
        }
        // Every proof of the resumed files verifies: the tally over them and four other trustees accepts them all.
        string mixed = Path.Combine(_f.Root, "resume-mixed");
        CopyDirectory(outDir, Path.Combine(mixed, ShareChunk.TrusteeDirectory(7)));
        foreach (int j in new[] { 1, 2, 3, 4 })
        {
            var one = Path.Combine(_f.Root, $"resume-mixed-{j}", ShareChunk.TrusteeDirectory(j));
            Directory.CreateDirectory(one);
            TrusteeDecryptor.Run(_f.Election.Id, j, _f.Ceremony.Shares[j - 1], _f.Ceremony.Result.VerificationKey(j), _f.BallotSource, one, chunk);
        }
        var recount = Tallier.Run(_f.Election.Id, _f.Ceremony.Result, _f.Contests, _f.BallotSource,
            ShareFiles.FindInDirectories([mixed, .. new[] { 1, 2, 3, 4 }.Select(j => Path.Combine(_f.Root, $"resume-mixed-{j}"))]), TallyProofs.All);
        AssertEqualsChoicesCast(recount);
    }

    [Fact]
    public void Verify_passes_on_the_record_and_checks_a_receipt()
    {
        var w = new StringWriter();
        int exit = RecordCommands.Verify(_f.Record, null, w, w);
        _output.WriteLine(w.ToString());
        Assert.Equal(0, exit);
        Assert.DoesNotContain(Directory.EnumerateFiles(_f.Record, "*", SearchOption.AllDirectories), p => p.Contains("secret", StringComparison.Ordinal) || p.EndsWith(".key", StringComparison.Ordinal));
        VoteRecordNullifier(_f.Votes[^1], out var nullifier);
        var r = new StringWriter();
        Assert.Equal(0, RecordCommands.Verify(_f.Record, nullifier, r, r));
        Assert.Contains("RECEIPT VALID", r.ToString());
        var bad = new StringWriter();
        Assert.Equal(1, RecordCommands.Verify(_f.Record, "12345", bad, bad));
        Assert.Contains("receipt: no vote with nullifier 12345", bad.ToString());
    }

    /// <summary>The verdict lines of a run: everything but notes (timings, resumption) and the final VALID line naming the location.</summary>
    private static List<string> Verdict(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith("note ", StringComparison.Ordinal) && !l.StartsWith("VALID: ", StringComparison.Ordinal)).ToList();

    [Fact]
    public void Verify_reports_its_rate_and_gives_the_same_verdict_with_nullifiers_spilled_to_files()
    {
        var w = new StringWriter();
        Assert.Equal(0, RecordCommands.Verify(_f.Record, null, w, w));
        Assert.Matches($@"note verified {_f.Votes.Count} ballots in [0-9.]+ s: [0-9]+ ballots/s on [0-9]+ cores", w.ToString());
        var spilled = new StringWriter();
        var progress = new StringWriter();
        Assert.Equal(0, RecordCommands.Verify(_f.Record, null, spilled, spilled, new VerifyOptions { RangeBallots = 777, InMemoryBallots = 0, SortEntries = 1000, Progress = progress }));
        Assert.Equal(Verdict(w.ToString()), Verdict(spilled.ToString()));
        Assert.Contains($"verify: {_f.Votes.Count:N0}/{_f.Votes.Count:N0} ballots checked", progress.ToString());
    }

    [Fact]
    public void Verify_resumes_after_kill_9_and_gives_the_same_verdict()
    {
        string state = Path.Combine(_f.Root, "verify-state-" + Guid.NewGuid().ToString("N")[..8]);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
        var psi = new System.Diagnostics.ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tvs.dll"), "verify", _f.Record, "--state", state, "--threads", "1" })
        {
            psi.ArgumentList.Add(a);
        }
        int ranges = (_f.Votes.Count + 4095) / 4096;
        using (var child = System.Diagnostics.Process.Start(psi)!)
        {
            child.OutputDataReceived += (_, _) => { };
            child.ErrorDataReceived += (_, _) => { };
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!child.HasExited && (!Directory.Exists(state) || Directory.GetFiles(state, "range-*.verified").Length == 0))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), "no range finished in 5 minutes");
                Thread.Sleep(20);
            }
            Assert.False(child.HasExited, $"tvs verify ended (exit {(child.HasExited ? child.ExitCode : 0)}) before it could be killed");
            child.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            child.WaitForExit();
        }
        int finished = Directory.GetFiles(state, "range-*.verified").Length;
        _output.WriteLine($"killed after {finished} of {ranges} range(s)");
        Assert.InRange(finished, 1, ranges);

        var resumed = new StringWriter();
        Assert.Equal(0, RecordCommands.Verify(_f.Record, null, resumed, resumed, new VerifyOptions { StateDirectory = state }));
        Assert.Contains($"note {finished} of {ranges} range(s) of 4096 ballots resumed from {state}", resumed.ToString());
        var fresh = new StringWriter();
        Assert.Equal(0, RecordCommands.Verify(_f.Record, null, fresh, fresh));
        Assert.Equal(Verdict(fresh.ToString()), Verdict(resumed.ToString()));

        // A state directory is bound to its record: another verification is refused, not mixed in.
        var other = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, RecordCommands.Verify(_f.Record, null, other, other, new VerifyOptions { StateDirectory = state, RangeBallots = 1000 }));
        Assert.Contains("holds the ranges of another verification", other.ToString());
    }

    [Fact]
    public void An_S3_record_verifies_as_its_directory_copy()
    {
        if (!TVS.Tests.Storage.TestServices.S3(_output, out var options))
        {
            return;
        }
        var s3 = options with { KeyPrefix = "records/national/" };
        using (var store = new TVS.Storage.Board.S3BoardStore(s3))
        {
            foreach (var f in Directory.EnumerateFiles(_f.Record, "*", SearchOption.AllDirectories))
            {
                store.Put(Path.GetRelativePath(_f.Record, f).Replace('\\', '/'), File.ReadAllBytes(f));
            }
            var fromS3 = new StringWriter();
            Assert.Empty(RecordVerifier.Verify(store, fromS3, null, new VerifyOptions()));
            var fromDirectory = new StringWriter();
            Assert.Equal(0, RecordCommands.Verify(_f.Record, null, fromDirectory, fromDirectory));
            Assert.Equal(Verdict(fromDirectory.ToString()), Verdict(fromS3.ToString()));

            // Tampered on S3: a bundle replaced.
            store.Put("p0/tile/entries/001", store.TryGet("p0/tile/entries/000"));
        }
        // What the CLI opens for s3://bucket/prefix/ (credentials from the environment in production).
        using var opened = new TVS.Storage.Board.S3BoardStore(s3);
        var tampered = new StringWriter();
        var failures = RecordVerifier.Verify(opened, tampered, null, new VerifyOptions());
        Assert.Contains("p0/tile/entries/001: its entries do not hash", string.Join("\n", failures));
        Assert.Equal($"s3://{options.Bucket}/records/national/", StoreLocations.OpenRecord($"s3://{options.Bucket}/records/national/", options.ServiceUrl, create: false).Location);
    }

    public static TheoryData<string> Tamperings() => new(
        "flipped byte in an entry bundle", "tampered tile", "bundle replaced by a repeat of another", "bundle missing", "bundle truncated",
        "duplicate vote re-signed", "every vote twice re-signed", "proofs swapped re-signed", "unknown partition",
        "checkpoint root changed", "checkpoint signed by another key", "board checkpoint of another size", "close statement by another key", "result count changed",
        "decryption share altered", "election key swapped", "manifest hash mismatch", "unlisted file");

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Verify_catches_tampering_with_a_precise_message(string tampering)
    {
        string rec = Path.Combine(_f.Root, "tampered-" + tampering.Replace(' ', '-'));
        CopyDirectory(_f.Record, rec);
        string bundle0 = Path.Combine(rec, "p0", "tile", "entries", "000");
        string bundle1 = Path.Combine(rec, "p0", "tile", "entries", "001");
        int n = _f.Votes.Count;
        string firstNote = Directory.GetFiles(Path.Combine(rec, ElectionRecord.CheckpointsDirectory(0))).Order().First();
        string firstNoteRel = ElectionRecord.CheckpointsDirectory(0) + "/" + Path.GetFileName(firstNote);
        bool rehash = true;
        string expected;
        switch (tampering)
        {
            case "flipped byte in an entry bundle":
                var bytes = File.ReadAllBytes(bundle0);
                bytes[^5] ^= 0x01;
                File.WriteAllBytes(bundle0, bytes);
                expected = "p0/tile/entries/000: its entries do not hash to the signed tree's hash of entries 0–255: altered, reordered or replaced";
                break;
            case "tampered tile":
                string tile = Directory.GetFiles(Path.Combine(rec, "p0", "tile", "1"), "*", SearchOption.AllDirectories).Order().First();
                var t = File.ReadAllBytes(tile);
                t[0] ^= 0x01;
                File.WriteAllBytes(tile, t);
                expected = "p0/tile/1: the tiles of partition 0 do not hash to its signed root";
                break;
            case "bundle replaced by a repeat of another":
                File.Copy(bundle0, bundle1, overwrite: true); // entries 256–511 repeat entries 0–255
                expected = "p0/tile/entries/001: its entries do not hash to the signed tree's hash of entries 256–511";
                break;
            case "bundle missing":
                File.Delete(bundle1);
                expected = "p0/tile/entries/001: missing from the board (ballots 256–";
                break;
            case "bundle truncated":
                var b1 = File.ReadAllBytes(bundle1);
                File.WriteAllBytes(bundle1, b1[..(b1.Length - 100)]);
                expected = "p0/tile/entries/001: truncated: entry ";
                break;
            case "duplicate vote re-signed":
                {
                    // A forger with the election's key appends a copy of vote 0 and re-signs everything.
                    var entries = TestRecord.Entries(rec, _f.Election, 0);
                    entries.Add(entries[0]);
                    TestRecord.Reforge(rec, _f.Election, 0, entries);
                    rehash = false;
                    VoteRecordNullifier(_f.Votes[0], out var nullifier);
                    expected = $"{BundleOf(n, n + 1)}: entry {n}: nullifier {nullifier} already used by entry 0 (p0/tile/entries/000) (duplicate vote)";
                    break;
                }
            case "every vote twice re-signed":
                {
                    // More failures than are listed: the first ones named, the rest counted, memory bounded.
                    var entries = TestRecord.Entries(rec, _f.Election, 0);
                    entries.AddRange(entries.ToList());
                    TestRecord.Reforge(rec, _f.Election, 0, entries);
                    rehash = false;
                    expected = $"p0..p0/tile/entries/: {n - VotesCheck.MaxFailureLines} more nullifier(s) used twice not listed";
                    break;
                }
            case "proofs swapped re-signed":
                {
                    var entries = TestRecord.Entries(rec, _f.Election, 0);
                    var p1 = entries[1].AsSpan(87, 256).ToArray();
                    entries[2].AsSpan(87, 256).CopyTo(entries[1].AsSpan(87));
                    p1.CopyTo(entries[2].AsSpan(87));
                    TestRecord.Reforge(rec, _f.Election, 0, entries);
                    rehash = false;
                    expected = "p0/tile/entries/000: entry 1: the Groth16 proof does not verify";
                    break;
                }
            case "unknown partition":
                CopyDirectory(Path.Combine(rec, "p0"), Path.Combine(rec, "p7"));
                expected = "p7/checkpoint: not a partition of the election (election.json: partitions 1, p0..p0) (and ";
                break;
            case "checkpoint root changed":
                var cp = Checkpoint.Parse(File.ReadAllText(firstNote).Split("\n\n")[0] + "\n");
                File.WriteAllText(firstNote, new Checkpoint(cp.Origin, cp.Size, Rfc9162.HashLeaf("forged"u8), cp.Extensions).Sign(_f.Election.Signer));
                expected = $"{firstNoteRel}: signed root";
                break;
            case "checkpoint signed by another key":
                var cp2 = Checkpoint.Parse(File.ReadAllText(firstNote).Split("\n\n")[0] + "\n");
                using (var other = NoteSigner.Generate(_f.Election.Signer.Name))
                {
                    File.WriteAllText(firstNote, cp2.Sign(other));
                }
                expected = $"{firstNoteRel}: not a checkpoint of this election's partition 0 signed by";
                break;
            case "board checkpoint of another size":
                File.Copy(firstNote, Path.Combine(rec, "p0", "checkpoint"), overwrite: true);
                expected = "p0/checkpoint: the board's checkpoint is at size";
                break;
            case "close statement by another key":
                using (var other = NoteSigner.Generate(_f.Election.Signer.Name))
                {
                    var close = Checkpoint.Parse(File.ReadAllText(Path.Combine(rec, CloseStatement.FileName)).Split("\n\n")[0] + "\n");
                    File.WriteAllText(Path.Combine(rec, CloseStatement.FileName), close.Sign(other));
                }
                expected = "close.note:";
                break;
            case "result count changed":
                var result = JsonNode.Parse(File.ReadAllText(Path.Combine(rec, TallyResult.FileName)))!;
                var ada = result["contests"]![0]!["candidates"]![0]!;
                long votesForAda = (long)ada["votes"]!;
                ada["votes"] = votesForAda + 1;
                File.WriteAllText(Path.Combine(rec, TallyResult.FileName), result.ToJsonString());
                expected = $"result.json: contest 'President' candidate 'Ada': published {votesForAda + 1}, recounted {votesForAda}";
                break;
            case "decryption share altered":
                string chunk = Directory.GetFiles(Path.Combine(rec, ElectionRecord.SharesDirectory, ShareChunk.TrusteeDirectory(2))).Order().First();
                int ballot = AlterShare(chunk, 0);
                expected = $"shares/trustee-02/{Path.GetFileName(chunk)}: trustee 2: ballot {ballot}: the DLEQ proof of the decryption share does not verify";
                break;
            case "election key swapped":
                var key = JsonNode.Parse(File.ReadAllText(Path.Combine(rec, ElectionRecord.ElectionKeyFile)))!;
                key["publicKey"] = RistrettoPoint.MultiplyBase(RistrettoScalar.Random()).ToHex();
                File.WriteAllText(Path.Combine(rec, ElectionRecord.ElectionKeyFile), key.ToJsonString());
                expected = "election-key.json: election key: Y is not the sum of the qualified dealers' C_0";
                break;
            case "manifest hash mismatch":
                File.AppendAllText(Path.Combine(rec, ContestList.FileName), " ");
                rehash = false;
                expected = "manifest.json: contests.json: SHA-256 mismatch";
                break;
            case "unlisted file":
                File.WriteAllText(Path.Combine(rec, "note-to-auditors.txt"), "trust us");
                rehash = false;
                expected = "note-to-auditors.txt: in the record but not listed in manifest.json";
                break;
            default:
                throw new ArgumentException(tampering);
        }
        if (rehash)
        {
            TestRecord.Rehash(rec, _f.Election.Id, _f.Election.Signer.Verifier); // a careful forger updates the manifest too
        }
        var w = new StringWriter();
        // Small ranges and sort passes: several ranges, the nullifiers spilled to files and sorted in several passes.
        int exit = RecordCommands.Verify(rec, null, w, w, new VerifyOptions { RangeBallots = 1000, InMemoryBallots = 0, SortEntries = 500 });
        _output.WriteLine(w.ToString());
        Assert.Equal(ExitCodes.Invalid, exit);
        Assert.Contains("FAIL " + expected, w.ToString());
    }

    /// <summary>The board path of the bundle holding entry <paramref name="index"/> of partition 0 at size <paramref name="size"/>.</summary>
    private static string BundleOf(long index, long size)
    {
        long bundle = index / 256;
        int width = (bundle + 1) * 256 <= size ? 256 : (int)(size - bundle * 256);
        return "p0/" + TVS.Merkle.Tiles.TilePaths.Entries(bundle, width);
    }

    /// <summary>Replaces the first present share's D_i with another valid point, keeping the file intact (trailer rehashed): only the proof can tell.</summary>
    private int AlterShare(string path, int skip)
    {
        var chunk = ShareChunk.TryDecode(File.ReadAllBytes(path), out _)!;
        var body = chunk.Body.ToArray();
        var eph = LifecycleFixture.Ephemerals(_f.Ballots);
        int k = Enumerable.Range(0, chunk.Count).Where(i => !eph[chunk.First + i].IsIdentity).Skip(skip).First();
        RistrettoPoint.MultiplyBase(RistrettoScalar.Random()).Encode(body.AsSpan(k * DecryptionShare.Length));
        File.WriteAllBytes(path, ShareChunk.Encode(chunk.ElectionId, chunk.Trustee, chunk.First, chunk.Count, chunk.BallotsDigest, body));
        return (int)chunk.First + k;
    }

    /// <summary>Replaces trustee's share of <paramref name="ballot"/> in the chunk under <paramref name="dir"/> that holds it.</summary>
    private static int AlterShareOf(string dir, long ballot)
    {
        foreach (var path in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            var chunk = ShareChunk.TryDecode(File.ReadAllBytes(path), out _);
            if (chunk is null || ballot < chunk.First || ballot >= chunk.First + chunk.Count)
            {
                continue;
            }
            var body = chunk.Body.ToArray();
            RistrettoPoint.MultiplyBase(RistrettoScalar.Random()).Encode(body.AsSpan((int)(ballot - chunk.First) * DecryptionShare.Length));
            File.WriteAllBytes(path, ShareChunk.Encode(chunk.ElectionId, chunk.Trustee, chunk.First, chunk.Count, chunk.BallotsDigest, body));
            return (int)ballot;
        }
        throw new InvalidOperationException($"no shares file under {dir} holds ballot {ballot}");
    }

    private static void VoteRecordNullifier(AcceptedVote v, out string nullifier)
    {
        TVS.Engine.Votes.VoteRecord.TryParse(v.Record, out var r, out _);
        nullifier = r.Nullifier.ToString();
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }
}
