using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Threshold;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Pkcs11;
using TVS.Storage.Board;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// <c>tvs demo</c>: the whole engine on embedded defaults, nothing to set up. Creates a simulated
/// (insecure, test-only) election, mints votes with duplicates, bad proofs and malformed records
/// mixed in (plus the committed real Semaphore proofs when the repository's fixtures are there),
/// runs them through the pipeline into local files, and checks the outcome: every verdict as
/// expected, the MMR root equal to the one computed from the accepted list, the signed
/// checkpoint valid, a sample of inclusion proofs valid. Then the rest of the lifecycle: the
/// trustees' key ceremony (9 trustees, threshold 5, in memory) before voting so that every ballot
/// is a real encrypted ballot; after voting, close, 5 of the 9 trustees decrypt, tally, export the
/// election record and verify it independently; the result must equal the choices cast. Exit 0
/// only if all of that holds.
/// </summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var demo = new Command("demo", "Run an election end to end on embedded defaults (no services needed): key ceremony, registration with the issuer service, voting, close, 5 of 9 trustees decrypt, tally, record, verify");
        var voters = new Option<int>("--voters") { Description = "distinct voters (each casts one vote)", DefaultValueFactory = _ => 5_000 };
        var dup = new Option<double>("--duplicates") { Description = "extra records re-using a voter's nullifier, as a share of voters", DefaultValueFactory = _ => 0.05 };
        var bad = new Option<double>("--bad-proofs") { Description = "voters whose proof is bad, as a share", DefaultValueFactory = _ => 0.01 };
        var malformed = new Option<double>("--malformed") { Description = "extra malformed / foreign records, as a share of voters", DefaultValueFactory = _ => 0.01 };
        var threads = new Option<int>("--verify-threads") { Description = "proof verification threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "keep the election, input log and data here (default: a temporary directory, removed)" };
        var json = new Option<bool>("--json") { Description = "print one JSON document instead of tables" };
        var baseline = new Option<bool>("--no-baseline") { Description = "skip measuring the batch verifier alone for comparison" };
        var rate = new Option<double>("--rate") { Description = "send at most this many records/s (latency below saturation); default: as fast as the engine takes them" };
        var record = new Option<DirectoryInfo?>("--record") { Description = "leave the election record here (default: inside the demo directory)" };
        var engineOnly = new Option<bool>("--engine-only") { Description = "only the engine and its checks, for throughput runs: no registration (simulated voters under simulated signed roots, plus the committed real proofs), no close, tally or record" };
        var hsm = new Option<bool>("--hsm") { Description = "keep the checkpoint/close signer, the issuers' root signers and the trustees' share-wrapping keys in a SoftHSM2 token created under DIR/hsm (PIN in DIR/hsm/pin)" };
        var noBoard = new Option<bool>("--no-board") { Description = "do not publish the bulletin board (DIR/board) while the engine runs (to measure what publishing costs)" };
        var pg = new Option<string?>("--pg") { Description = "PostgreSQL connection string: the votes, progress and signed checkpoints in PostgreSQL (schema applied), and every step after voting read from there and the board (the production path; tests/services.sh starts a local server)" };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "with --pg: an S3-compatible endpoint for --s3-bucket (credentials AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)" };
        var s3Bucket = new Option<string?>("--s3-bucket") { Description = "with --pg: the batch objects, the bulletin board and the election record in this bucket (created if missing), under a fresh demo-… prefix" };
        var witnesses = new Option<int>("--witnesses") { Description = "start N checkpoint witnesses in process on loopback (keys under DIR/witnesses), list them in election.json with a majority quorum; the board's checkpoints then carry their cosignatures and receipts need the quorum", DefaultValueFactory = _ => 0 };
        foreach (var o in new Option[] { voters, dup, bad, malformed, threads, dir, json, baseline, rate, record, engineOnly, noBoard, hsm, witnesses, pg, s3Endpoint, s3Bucket })
        {
            demo.Options.Add(o);
        }
        demo.SetAction(r => Run(new LoadMix
        {
            Voters = Math.Max(1, r.GetValue(voters)),
            Duplicates = r.GetValue(dup),
            BadProofs = r.GetValue(bad),
            Malformed = r.GetValue(malformed),
        }, Math.Max(1, r.GetValue(threads)), r.GetValue(dir), r.GetValue(json), !r.GetValue(baseline), r.GetValue(rate), r.GetValue(record)?.FullName, r.GetValue(engineOnly), !r.GetValue(noBoard), r.GetValue(hsm), Math.Clamp(r.GetValue(witnesses), 0, 64),
            r.GetValue(pg), r.GetValue(s3Endpoint), r.GetValue(s3Bucket)));
        return demo;
    }

    public static int Run(LoadMix mix, int verifyThreads, DirectoryInfo? keep, bool json, bool measureBaseline, double rate = 0, string? recordDir = null, bool engineOnly = false, bool publishBoard = true, bool hsm = false, int witnesses = 0,
        string? pg = null, string? s3Endpoint = null, string? s3Bucket = null)
    {
        if (pg is null && s3Bucket != null)
        {
            Console.Error.WriteLine("tvs demo: --s3-bucket goes with --pg (the production stores)");
            return ExitCodes.Unusable;
        }
        using var services = pg is null ? null : DemoServices.Open(pg, s3Endpoint, s3Bucket, Console.Error);
        if (pg != null && services is null)
        {
            return ExitCodes.Unusable;
        }
        if (witnesses > 0 && !publishBoard)
        {
            Console.Error.WriteLine("tvs demo: --witnesses cosign the board's checkpoints: not with --no-board");
            return ExitCodes.Unusable;
        }
        string root = keep?.FullName ?? Path.Combine(Path.GetTempPath(), "tvs-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            return RunIn(root, mix, verifyThreads, json, measureBaseline, rate, recordDir, engineOnly, publishBoard, hsm, witnesses, services);
        }
        finally
        {
            if (keep is null)
            {
                TryDelete(root);
            }
        }
    }

    private static int RunIn(string root, LoadMix mix, int verifyThreads, bool json, bool measureBaseline, double rate, string? recordDir, bool engineOnly, bool publishBoard, bool hsm, int witnessCount, DemoServices? services)
    {
        var console = json ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }) : AnsiConsole.Console;
        string? fixtures = FindFixtures();
        console.MarkupLine("[bold]TVS demo[/]: sealed votes → open → pre-check → Groth16 batch verify → nullifier commit (FASTER) → MMR append → flush (local files)");
        console.MarkupLine("[yellow]The election uses a simulated Groth16 setup whose trapdoor is known: insecure, for demos and load tests only.[/]");
        // With the lifecycle, the registry and its signed root come from the issuer service; the
        // engine-only run keeps simulated voters under simulated signed roots (and the committed real
        // proofs, whose roots are the fixtures' own groups).
        bool register = !engineOnly;
        int circuitDepth = Math.Max(ElectionSetup.SimulatedDepth, TVS.Crypto.Registry.LeanImt.DepthFor(mix.Voters));
        var election = register
            ? ElectionSetup.CreateSimulated(Path.Combine(root, "election"), rootCount: 0, simulatedDepth: circuitDepth)
            : ElectionSetup.CreateSimulated(Path.Combine(root, "election"), fixtures: fixtures);
        DemoHsm? token = null;
        if (hsm)
        {
            try
            {
                token = DemoHsm.Create(root);
                election.Dispose();
                token.Provision(Path.Combine(root, "election"), issuers: register, DemoTrustees);
                election = ElectionSetup.Load(Path.Combine(root, "election"), allowInsecure: true);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
            {
                console.MarkupLine($"[red]--hsm: {Markup.Escape(e.Message)}[/]");
                return ExitCodes.Unusable;
            }
            console.MarkupLine($"keys in the SoftHSM2 token '{DemoHsm.TokenLabel}' ({Markup.Escape(token.Directory)}): checkpoint/close signer{(register ? ", 9 issuer root signers" : "")}, {DemoTrustees} trustee wrapping keys; generated inside, never extractable");
        }
        try
        {
            if (fixtures != null && !register)
            {
                mix = mix with { Fixtures = fixtures };
            }

            // 0. The trustees' key ceremony, so that every ballot is encrypted to the real election key.
            var ceremonyWatch = Stopwatch.StartNew();
            var contests = ContestList.Sample();
            var trustees = Ceremony(election, contests, Path.Combine(root, "trustees"), token);
            ceremonyWatch.Stop();
            console.MarkupLine($"key ceremony: {DemoTrustees} trustees, threshold {DemoThreshold}, election key {trustees.PublicKey.ToHex()[..16]}… ({ceremonyWatch.Elapsed.TotalSeconds:N1} s)");
            mix = mix with { Ballots = new BallotMix(trustees.PublicKey, contests.CandidateCounts(), OutOfRange: 0.005, WrongKey: 0.002) };

            // 0b. Registration through the issuer service; the election then accepts its signed root.
            RegistrationOutcome? registration = null;
            if (register)
            {
                var regLog = new StringWriter();
                try
                {
                    console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn()).Start(ctx =>
                    {
                        var task = ctx.AddTask($"registering {mix.Voters:N0} voters with the issuer service", maxValue: mix.Voters);
                        registration = DemoRegistration.RunAsync(election, mix.Voters, Path.Combine(root, "issuers"), regLog, new Progress<int>(n => task.Value = n)).GetAwaiter().GetResult();
                        task.Value = mix.Voters;
                    });
                }
                catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
                {
                    console.WriteLine(regLog.ToString());
                    console.MarkupLine($"[red]registration failed: {Markup.Escape(e.Message)}[/]");
                    return ExitCodes.Invalid;
                }
                var r = registration!;
                console.MarkupLine($"registration: {r.Voters:N0} voters registered over HTTP with the issuer service (signed voter roll, one token each) in {r.RegisterSeconds:N1} s ({r.RegistrationsPerSecond:N0}/s); Merkle paths fetched in {r.ProofSeconds:N1} s");
                console.MarkupLine($"registry root (size {r.Size:N0}, depth {r.Depth}) {r.Root}: signed by issuers {string.Join(", ", r.Signers)} of {ElectionSetup.DefaultIssuers} (t = {ElectionSetup.DefaultIssuerThreshold})");
                election.Dispose();
                election = ElectionSetup.Load(election.Directory, allowInsecure: true);
                mix = mix with { Registered = r.Registered, Depth = circuitDepth };
            }
            if (witnessCount == 0)
            {
                return RunElection(election, root, mix, verifyThreads, json, measureBaseline, rate, recordDir, engineOnly, console, registration, publishBoard, null, services);
            }
            // The witnesses are listed in election.json before any vote; the election is loaded again with them.
            var witnesses = DemoWitnesses.StartAsync(election, witnessCount, Path.Combine(root, "witnesses")).GetAwaiter().GetResult();
            try
            {
                election.Dispose();
                election = ElectionSetup.Load(election.Directory, allowInsecure: true);
                console.MarkupLine($"witnesses: {witnessCount} on loopback ({string.Join(", ", witnesses.Servers.Select(s => s.Address.ToString()))}), quorum {witnesses.Policy.Quorum}, listed in election.json");
                return RunElection(election, root, mix, verifyThreads, json, measureBaseline, rate, recordDir, engineOnly, console, registration, publishBoard, witnesses, services);
            }
            finally
            {
                witnesses.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            election.Dispose();
        }
    }

    private static int RunElection(ElectionSetup election, string root, LoadMix mix, int verifyThreads, bool json, bool measureBaseline, double rate, string? recordDir, bool engineOnly,
        IAnsiConsole console, RegistrationOutcome? registration, bool publishBoard, DemoWitnesses? witnesses, DemoServices? services)
    {
        // 1. Votes are minted before the timed run.
        var mintWatch = Stopwatch.StartNew();
        var load = MintVotes(election, mix, console);
        mintWatch.Stop();
        string inputPath = WriteInputLog(root, load);

        // 2. The batch verifier alone on the same cores, for comparison.
        double baseline = measureBaseline ? MeasureBatchVerifier(election, load, verifyThreads, console) : 0;

        // 3. The engine, while the bulletin board is published from what it commits (DIR/board).
        string data = Path.Combine(root, "data");
        string boardDir = Path.Combine(root, "board");
        using var board = services?.OpenBoard(election.Id, boardDir) ?? new LocalBoardStore(boardDir);
        var source = services?.Source(election.Id) ?? new LocalBoardSource(data, election.Signer.Verifier);
        if (services != null)
        {
            console.MarkupLine($"production stores: votes, progress and checkpoints in PostgreSQL; board {Markup.Escape(services.BoardLocation(boardDir))}{(services.S3 is { } s3 ? Markup.Escape($"; batch objects s3://{s3.Bucket}/{s3.KeyPrefix}batches/") : "")}");
        }
        var boardWarnings = new List<string>();
        using var follower = publishBoard ? CreateBoardFollower(election, source, board, boardWarnings, witnesses) : null;
        follower?.Start();
        var summary = RunEngine(election, data, inputPath, load, verifyThreads, rate, console, services);
        bool boardCaughtUp = follower?.Stop() ?? true;
        var published = follower is null ? null : CheckBoard(election, data, board, boardDir, follower, boardCaughtUp, boardWarnings, witnesses, services);
        if (follower is null && !engineOnly)
        {
            // Not published while the engine ran (--no-board): the steps after voting read the board, so publish it now.
            using var late = CreateBoardFollower(election, source, board, boardWarnings, witnesses);
            late.Stop();
        }

        // 4. The checks.
        var checks = CheckEngineRun(election, data, load, summary, services);
        bool ok = checks.Ok && summary.Committed == load.Records.Count && (registration?.Ok ?? true) && (published?.Holds(summary) ?? true);

        // 5. Close, decrypt (5 of 9), tally, export, verify.
        string record = recordDir ?? Path.Combine(root, "record");
        var life = engineOnly ? null : Lifecycle(election, data, root, record, load, console, boardDir, services);
        ok &= life?.Ok ?? true;

        var outcome = new DemoOutcome(ok, load, summary, mintWatch.Elapsed, baseline, verifyThreads, checks, published, registration, life, recordDir);
        if (json)
        {
            WriteJson(outcome);
        }
        else
        {
            WriteTables(election, outcome);
        }
        return ok ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    /// <summary>Mints the load (the voters' sealed votes, duplicates, bad proofs, malformed records) with a progress bar.</summary>
    private static GeneratedLoad MintVotes(ElectionSetup election, LoadMix mix, IAnsiConsole console)
    {
        GeneratedLoad load = null!;
        console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn()).Start(ctx =>
        {
            int total = (int)Math.Round(mix.Voters * (1 + mix.Duplicates + mix.Malformed));
            var task = ctx.AddTask($"minting {total:N0} votes", maxValue: total);
            load = LoadGenerator.Generate(election, mix, new Progress<int>(n => task.Value = Math.Min(n, total)));
            task.Value = total;
        });
        return load;
    }

    /// <summary>Writes the load into DIR/input.log, sealed so that the engine stops at its end; returns its path.</summary>
    private static string WriteInputLog(string root, GeneratedLoad load)
    {
        string inputPath = Path.Combine(root, "input.log");
        using var writer = LocalInputLogWriter.Open(inputPath);
        foreach (var r in load.Records)
        {
            writer.Append(r.Key, r.Value);
        }
        writer.Seal();
        return inputPath;
    }

    /// <summary>Publishes partition 0's board from the engine's local files as they become durable, each checkpoint cosigned by the demo's witnesses when there are any.</summary>
    private static BoardFollower CreateBoardFollower(ElectionSetup election, IBoardSource source, IBoardStore board, List<string> warnings, DemoWitnesses? witnesses) =>
        new(board, source, election.Signer.Verifier, election.Origin, () => [0],
            w => { lock (warnings) { warnings.Add(w); } }, election.Signer, $"tvs/{election.Id:D}/combined", election.Partitions)
        {
            Witnesses = witnesses?.Clients,
            WitnessPolicy = election.Witnesses,
        };

    /// <summary>Runs the engine over the input log to its end with a progress bar.</summary>
    private static RunSummary RunEngine(ElectionSetup election, string data, string inputPath, GeneratedLoad load, int verifyThreads, double rate, IAnsiConsole console, DemoServices? services)
    {
        var options = new EngineOptions { VerifyThreads = verifyThreads };
        RunSummary summary = null!;
        console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn()).Start(ctx =>
        {
            var task = ctx.AddTask("engine", maxValue: load.Records.Count);
            summary = EmbeddedRun.Run(election, data, inputPath, options, stopAtEnd: true, CancellationToken.None, s =>
            {
                task.Value = Volatile.Read(ref s.Committed);
                task.Description = $"engine: {Volatile.Read(ref s.Committed):N0} durable, {Volatile.Read(ref s.ProofsVerified):N0} proofs";
            }, rate, services?.Engine);
        });
        return summary;
    }

    /// <summary>The engine's run against the load generator's independent expectation.</summary>
    private sealed record EngineChecks(SortedDictionary<string, int> Expected, string ExpectedRoot, bool CountsMatch, bool RootMatches, bool CheckpointValid, int Sampled, int ValidProofs)
    {
        public bool Ok => CountsMatch && RootMatches && CheckpointValid && ValidProofs == Sampled;
    }

    private static EngineChecks CheckEngineRun(ElectionSetup election, string data, GeneratedLoad load, RunSummary summary, DemoServices? services)
    {
        var expectedRoot = load.ExpectedRoot();
        var expected = load.ExpectedCounts;
        var actual = new SortedDictionary<string, long>(summary.RejectedByReason, StringComparer.Ordinal) { ["accepted"] = summary.Accepted };
        bool countsMatch = expected.Count == actual.Count && expected.All(kv => actual.GetValueOrDefault(kv.Key) == kv.Value);
        bool rootMatches = summary.MmrRoot == expectedRoot.ToHex();
        bool checkpointValid = false;
        try
        {
            var cp = Checkpoint.Open(summary.Checkpoint ?? "", election.Signer.Verifier, election.Origin(0));
            checkpointValid = cp.Size == summary.MmrSize && cp.Root.ToHex() == summary.MmrRoot;
        }
        catch (Exception e) when (e is FormatException or NoteException)
        {
        }
        // On PostgreSQL the local vote files stay empty: the receipts (every accepted vote's inclusion proof, from the board) check inclusion there.
        var (sampled, validProofs) = services is null ? EmbeddedRun.CheckInclusionSample(election, data, 0, 64) : (0, 0);
        return new EngineChecks(expected, expectedRoot.ToHex(), countsMatch, rootMatches, checkpointValid, sampled, validProofs);
    }

    /// <summary>What the board publisher did while the engine ran, and the voters' receipts built from the board.</summary>
    private sealed record BoardOutcome(string Dir, BoardFollower Follower, bool CaughtUp, int ReceiptsChecked, int ReceiptsValid, CosignatureCheck? FinalCosigned, List<string> Warnings, DemoWitnesses? Witnesses)
    {
        /// <summary>The board holds every accepted vote up to the final checkpoint, every receipt verifies, and the final checkpoint carries the witnesses' quorum when there are witnesses.</summary>
        public bool Holds(RunSummary summary) => CaughtUp && Follower.PublishedSize(0) == summary.MmrSize && ReceiptsValid == ReceiptsChecked && ReceiptsChecked == summary.Accepted
            && (Witnesses is null || FinalCosigned is { Met: true });
    }

    private static BoardOutcome CheckBoard(ElectionSetup election, string data, IBoardStore board, string boardDir, BoardFollower follower, bool caughtUp, List<string> warnings, DemoWitnesses? witnesses, DemoServices? services)
    {
        var receipts = services is null
            ? DemoBoard.CheckReceipts(election, new LocalVoteLocator(data, 1), new LocalBoardSource(data, election.Signer.Verifier), board)
            : DemoBoard.CheckReceipts(election, services.Locator(election.Id), services.Source(election.Id), board);
        var finalCosigned = election.Witnesses is { } policy && board.TryGet(BoardPublisher.PartitionPrefix(0) + TVS.Merkle.Tiles.TilePaths.Checkpoint) is { } finalNote
            ? policy.Check(System.Text.Encoding.UTF8.GetString(finalNote))
            : null;
        return new BoardOutcome(boardDir, follower, caughtUp, receipts.Checked, receipts.Valid, finalCosigned, warnings, witnesses);
    }

    /// <summary>Everything one demo run measured and checked, for its report.</summary>
    private sealed record DemoOutcome(bool Ok, GeneratedLoad Load, RunSummary Summary, TimeSpan MintTime, double BaselineProofsPerSecond, int VerifyThreads, EngineChecks Checks,
        BoardOutcome? Board, RegistrationOutcome? Registration, LifecycleOutcome? Life, string? RecordDir);

    /// <summary>The report as one JSON document (--json).</summary>
    private static void WriteJson(DemoOutcome outcome)
    {
        var (load, summary, checks, registration, life) = (outcome.Load, outcome.Summary, outcome.Checks, outcome.Registration, outcome.Life);
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            ok = outcome.Ok,
            submitted = load.Records.Count,
            summary,
            expected = checks.Expected,
            expectedRoot = checks.ExpectedRoot,
            countsMatch = checks.CountsMatch,
            rootMatches = checks.RootMatches,
            checkpointValid = checks.CheckpointValid,
            inclusionProofsChecked = checks.Sampled,
            inclusionProofsValid = checks.ValidProofs,
            board = outcome.Board is { Follower: var follower, Witnesses: var witnesses } published ? new
            {
                dir = published.Dir,
                publishedSize = follower.PublishedSize(0),
                caughtUp = published.CaughtUp,
                tilesWritten = follower.TilesWritten,
                checkpointsPublished = follower.CheckpointsPublished,
                publishSeconds = Math.Round(follower.Busy.TotalSeconds, 3),
                failures = follower.Failures,
                receiptsChecked = published.ReceiptsChecked,
                receiptsValid = published.ReceiptsValid,
                witnesses = witnesses is null ? null : new
                {
                    count = witnesses.Clients.Count,
                    quorum = witnesses.Policy.Quorum,
                    cosignaturesObtained = follower.CosignaturesObtained,
                    witnessFailures = follower.WitnessFailures,
                    publishedBelowQuorum = follower.PublishedBelowQuorum,
                    cosignRounds = follower.CosignLatency.Rounds,
                    cosignSeconds = Math.Round(follower.CosignLatency.Total.TotalSeconds, 3),
                    cosignMillisecondsPerCheckpoint = follower.CosignLatency.Rounds == 0 ? 0 : Math.Round(follower.CosignLatency.Total.TotalMilliseconds / follower.CosignLatency.Rounds, 2),
                    finalCheckpointCosigners = published.FinalCosigned?.Cosigners.Select(c => c.Witness.Name).ToArray(),
                },
            } : null,
            batchVerifierAloneProofsPerSecond = Math.Round(outcome.BaselineProofsPerSecond, 1),
            proofsPerSecond = Math.Round(load.Records.Count(r => r.Expected is not ("malformed" or "envelope" or "wrong_election" or "nullifier_mismatch" or "unknown_root")) / summary.Seconds, 1),
            mintSeconds = Math.Round(outcome.MintTime.TotalSeconds, 1),
            registration = registration is null ? null : new
            {
                voters = registration.Voters,
                registerSeconds = Math.Round(registration.RegisterSeconds, 2),
                registrationsPerSecond = Math.Round(registration.RegistrationsPerSecond, 1),
                merklePathSeconds = Math.Round(registration.ProofSeconds, 2),
                root = registration.Root,
                size = registration.Size,
                depth = registration.Depth,
                signers = registration.Signers,
                registration.RootAccepted,
                registration.PathsVerified,
                registration.RepeatRefused,
                registration.ForgedTokenRefused,
            },
            lifecycle = life is null ? null : new
            {
                life.Closed,
                decryptingTrustees = life.Trustees,
                life.Tallied,
                life.ResultMatchesChoices,
                life.RecordVerified,
                record = outcome.RecordDir,
                result = life.Result?.ToJson(),
                stepSeconds = life.Seconds,
            },
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The report as tables and check marks on the terminal.</summary>
    private static void WriteTables(ElectionSetup election, DemoOutcome outcome)
    {
        var (load, summary, checks, registration, life) = (outcome.Load, outcome.Summary, outcome.Checks, outcome.Registration, outcome.Life);
        var expected = checks.Expected;
        var t = new Table().AddColumn("").AddColumn(new TableColumn("records").RightAligned()).AddColumn(new TableColumn("expected").RightAligned());
        t.AddRow("submitted", $"{load.Records.Count:N0}", $"{load.Records.Count:N0}");
        t.AddRow("[green]accepted[/]", $"{summary.Accepted:N0}", $"{expected.GetValueOrDefault("accepted"):N0}");
        foreach (var code in expected.Keys.Union(summary.RejectedByReason.Keys).Where(k => k != "accepted").Order(StringComparer.Ordinal))
        {
            t.AddRow($"[red]rejected: {code}[/]", $"{summary.RejectedByReason.GetValueOrDefault(code):N0}", $"{expected.GetValueOrDefault(code):N0}");
        }
        AnsiConsole.Write(t);
        var perf = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        perf.AddRow("records/s, read → durable (engine)", $"{summary.VotesPerSecond:N0}");
        if (outcome.BaselineProofsPerSecond > 0)
        {
            perf.AddRow($"proofs/s, batch verifier alone ({outcome.VerifyThreads} threads)", $"{outcome.BaselineProofsPerSecond:N0}");
        }
        perf.AddRow("latency read → durable p50 / p99 / max", $"{summary.LatencyP50Micros / 1000.0:N1} / {summary.LatencyP99Micros / 1000.0:N1} / {summary.LatencyMaxMicros / 1000.0:N1} ms");
        perf.AddRow("peak working set", $"{summary.PeakWorkingSetBytes / (1 << 20):N0} MiB");
        perf.AddRow("stage cost µs/record", string.Join("  ", summary.StageMicrosPerRecord.Select(kv => $"{kv.Key} {kv.Value:N1}")));
        perf.AddRow("minting (before the run)", $"{outcome.MintTime.TotalSeconds:N1} s");
        AnsiConsole.Write(perf);
        AnsiConsole.MarkupLine($"MMR: {summary.MmrSize:N0} leaves, root {summary.MmrRoot}");
        if (registration != null)
        {
            AnsiConsole.MarkupLine(Check(registration.RootAccepted) + $" the registry root is accepted: {ElectionSetup.DefaultIssuerThreshold} issuers ({string.Join(", ", registration.Signers)}) each recomputed it from the registry file and signed it");
            AnsiConsole.MarkupLine(Check(registration.PathsVerified) + $" every voter's Merkle path from the service leads from its commitment to that root ({registration.Voters:N0})");
            AnsiConsole.MarkupLine(Check(registration.RepeatRefused && registration.ForgedTokenRefused) + " the service refused a second registration of a voter (409) and a forged token (403)");
        }
        AnsiConsole.MarkupLine(Check(checks.CountsMatch) + " every verdict count equals the load generator's independent expectation");
        AnsiConsole.MarkupLine(Check(checks.RootMatches) + " the MMR root equals the RFC 9162 root of the expected accepted list");
        AnsiConsole.MarkupLine(Check(checks.CheckpointValid) + $" the final checkpoint is signed by {Markup.Escape(election.Signer.Verifier.VerifierKey)}");
        AnsiConsole.MarkupLine(Check(checks.ValidProofs == checks.Sampled) + $" {checks.ValidProofs}/{checks.Sampled} sampled inclusion proofs verify against it");
        if (outcome.Board is { Follower: var follower, Witnesses: var witnesses } published)
        {
            AnsiConsole.MarkupLine(Check(published.CaughtUp && follower.PublishedSize(0) == summary.MmrSize) + $" the bulletin board {Markup.Escape(Path.Combine(published.Dir, "p0"))} holds every accepted vote as C2SP tlog-tiles ({follower.TilesWritten:N0} tiles and bundles, {follower.Busy.TotalSeconds:N2} s of publishing), up to the final checkpoint");
            AnsiConsole.MarkupLine(Check(published.ReceiptsValid == published.ReceiptsChecked && published.ReceiptsChecked == summary.Accepted) + $" {published.ReceiptsValid:N0}/{published.ReceiptsChecked:N0} voter receipts built from the board verify offline (signature, leaf, partition, inclusion proof{(witnesses is null ? "" : ", witness quorum")})");
            if (witnesses is not null)
            {
                var (rounds, total) = follower.CosignLatency;
                AnsiConsole.MarkupLine(Check(published.FinalCosigned is { Met: true }) + $" the final board checkpoint is cosigned by {published.FinalCosigned?.Cosigners.Count ?? 0} of {witnesses.Clients.Count} witnesses (quorum {witnesses.Policy.Quorum}); {follower.CosignaturesObtained:N0} cosignatures in {rounds:N0} rounds, {(rounds == 0 ? 0 : total.TotalMilliseconds / rounds):N1} ms per checkpoint, {follower.WitnessFailures} witness failures");
            }
            foreach (var w in published.Warnings.Take(5))
            {
                AnsiConsole.MarkupLine("[yellow]" + Markup.Escape(w) + "[/]");
            }
        }
        AnsiConsole.WriteLine();
        AnsiConsole.WriteLine(summary.Checkpoint ?? "(no checkpoint)");
        if (life?.Result is { } result)
        {
            var rt = new Table().AddColumn("contest").AddColumn("candidate").AddColumn(new TableColumn("votes").RightAligned()).AddColumn(new TableColumn("cast").RightAligned());
            for (int k = 0; k < result.Contests.Count; k++)
            {
                var c = result.Contests.Contests[k];
                for (int j = 0; j < c.Candidates.Count; j++)
                {
                    rt.AddRow(j == 0 ? Markup.Escape(c.Name) : "", Markup.Escape(c.Candidates[j]), $"{result.Counts[k][j]:N0}", $"{load.ExpectedTally![k][j]:N0}");
                }
            }
            rt.AddRow("[red]spoiled[/]", Markup.Escape(string.Join(", ", result.SpoiledByReason().Select(kv => $"{kv.Key} {kv.Value}"))), $"{result.Spoiled.Count:N0}", $"{load.ExpectedSpoiled.Values.Sum():N0}");
            AnsiConsole.Write(rt);
        }
        if (life is null)
        {
            return;
        }
        AnsiConsole.MarkupLine(Check(life.Closed) + " closed: the data matches the final checkpoint; close statement signed; the engine refuses the closed data");
        AnsiConsole.MarkupLine(Check(life.Tallied) + $" trustees {string.Join(", ", life.Trustees)} of {DemoTrustees} decrypted (DLEQ proofs); the tally verified every proof and combined the shares");
        AnsiConsole.MarkupLine(Check(life.ResultMatchesChoices) + " the result equals the choices cast (the load generator's expected tally, spoiled ballots included)");
        AnsiConsole.MarkupLine(Check(life.RecordVerified) + $" tvs verify passes on the election record {Markup.Escape(outcome.RecordDir ?? "(temporary)")}");
        AnsiConsole.MarkupLine("lifecycle seconds: " + Markup.Escape(string.Join("  ", life.Seconds.Select(kv => $"{kv.Key} {kv.Value:N1}"))));
    }

    public const int DemoTrustees = 9, DemoThreshold = 5;

    /// <summary>A passphrase for the demo's share files only: they live in the demo's own directory and die with it.</summary>
    private const string DemoPassphrase = "tvs demo trustee (not a secret)";

    /// <summary>
    /// The key ceremony in memory (<see cref="LocalCeremony"/>, the same messages as the CLI
    /// ceremony); writes the public outcome (election-key.json) and contests.json into the election
    /// directory, and each trustee's share encrypted at rest under trustees/trustee-NN/share.key
    /// with a low Argon2id cost (demo only: production keeps the moderate default).
    /// </summary>
    internal static DkgResult Ceremony(ElectionSetup election, ContestList contests, string trusteesDir, DemoHsm? hsm)
    {
        var ceremony = LocalCeremony.Run(new DkgParameters(election.Id, DemoThreshold, DemoTrustees));
        CeremonyFiles.WriteJson(Path.Combine(election.Directory, ElectionRecord.ElectionKeyFile), CeremonyFiles.ToJson(ceremony.Result));
        contests.Write(Path.Combine(election.Directory, ContestList.FileName));
        var cost = KeyFile.DefaultCost;
        KeyFile.DefaultCost = new Argon2Cost(8 * 1024, 1);
        try
        {
            var pw = System.Text.Encoding.UTF8.GetBytes(DemoPassphrase);
            for (int j = 1; j <= DemoTrustees; j++)
            {
                string dir = Path.Combine(trusteesDir, $"trustee-{j:D2}");
                Directory.CreateDirectory(dir);
                if (hsm is null)
                {
                    File.WriteAllBytes(Path.Combine(dir, TrusteeCommands.ShareFile), KeyFile.SealShare(j, ceremony.Shares[j - 1], election.Id, pw));
                    File.WriteAllText(Path.Combine(dir, "passphrase"), DemoPassphrase);
                }
                else
                {
                    // Only the wrapped form: the share is sealed by the trustee's AES key in the token.
                    var uri = hsm.Key(DemoHsm.TrusteeKeyLabel(j));
                    using var wrapper = Pkcs11Wrapper.Open(uri);
                    File.WriteAllBytes(Path.Combine(dir, TrusteeCommands.ShareFile), KeyFile.SealShare(j, ceremony.Shares[j - 1], election.Id, wrapper));
                    File.WriteAllText(Path.Combine(dir, "key-uri"), uri + "\n");
                }
                ceremony.Shares[j - 1].Clear();
            }
        }
        finally
        {
            KeyFile.DefaultCost = cost;
        }
        return ceremony.Result;
    }

    public sealed record LifecycleOutcome(bool Closed, int[] Trustees, bool Tallied, bool ResultMatchesChoices, bool RecordVerified, TallyResult? Result, Dictionary<string, double> Seconds)
    {
        public bool Ok => Closed && Tallied && ResultMatchesChoices && RecordVerified;
    }

    /// <summary>Close → 5 of 9 trustees decrypt → tally → export → verify, through the same functions as the CLI verbs.</summary>
    private static LifecycleOutcome Lifecycle(ElectionSetup election, string data, string root, string record, GeneratedLoad load, IAnsiConsole console, string boardDir, DemoServices? services)
    {
        // Embedded: the data directory is the authority and the board DIR/board. On the production
        // stores: PostgreSQL and the board (S3 or DIR/board), as an operator runs the verbs.
        string board = services?.BoardLocation(boardDir) ?? boardDir;
        string? s3Endpoint = services?.S3?.ServiceUrl;
        string? decryptData = services is null ? data : null;
        string tallyDir = services is null ? Path.Combine(data, ElectionCommands.TallyDirectory) : Path.Combine(root, "tally");
        string recordLocation = services?.RecordLocation(record) ?? record;
        var seconds = new Dictionary<string, double>();
        var log = new StringWriter();
        var sw = Stopwatch.StartNew();
        double Lap()
        {
            double s = Math.Round(sw.Elapsed.TotalSeconds, 2);
            sw.Restart();
            return s;
        }
        bool closed = (services is null
            ? ElectionCommands.Close(election.Directory, data, log, log, boardDir)
            : ElectionCommands.Close(services.Stores(election, boardDir, data), log, log)) == ExitCodes.Ok;
        seconds["close"] = Lap();
        var pick = Enumerable.Range(1, DemoTrustees).OrderBy(_ => Random.Shared.Next()).Take(DemoThreshold).Order().ToArray();
        bool decrypted = closed;
        string shares = Path.Combine(root, "shares");
        foreach (int j in pick.Where(_ => closed))
        {
            string dir = Path.Combine(root, "trustees", $"trustee-{j:D2}");
            console.MarkupLine($"trustee {j} decrypts");
            string keyUri = Path.Combine(dir, "key-uri");
            if (File.Exists(keyUri))
            {
                var keys = TrusteeCommands.OpenKeys(null, File.ReadAllText(keyUri).Trim(), out var wrapper);
                using (wrapper)
                {
                    decrypted &= ElectionCommands.Decrypt(election.Directory, decryptData, Path.Combine(dir, TrusteeCommands.ShareFile), keys, shares, TrusteeDecryptor.DefaultChunkBallots, int.MaxValue, log, log, board, s3Endpoint) == ExitCodes.Ok;
                }
                continue;
            }
            decrypted &= ElectionCommands.Decrypt(election.Directory, decryptData, Path.Combine(dir, TrusteeCommands.ShareFile),
                System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(dir, "passphrase"))), shares, TrusteeDecryptor.DefaultChunkBallots, int.MaxValue, log, log, board, s3Endpoint) == ExitCodes.Ok;
        }
        seconds["decrypt (5 trustees)"] = Lap();
        bool tallied = decrypted && ElectionCommands.Tally(election.Directory, decryptData, null, [shares], tallyDir, false, log, log, board: board, s3Endpoint: s3Endpoint) == ExitCodes.Ok;
        seconds["tally"] = Lap();
        TallyResult? result = tallied ? TallyResult.Parse(File.ReadAllText(Path.Combine(tallyDir, TallyResult.FileName))) : null;
        bool matches = result != null && load.ExpectedTally != null
            && result.Counts.Zip(load.ExpectedTally).All(p => p.First.SequenceEqual(p.Second))
            && result.SpoiledByReason().SequenceEqual(load.ExpectedSpoiled);
        bool exported = tallied && (services is null
            ? RecordCommands.Export(election.Directory, data, record, log, log, boardDir)
            : RecordCommands.Export(services.Stores(election, boardDir, data), tallyDir, recordLocation, log, log)) == ExitCodes.Ok;
        seconds["export"] = Lap();
        var verifyLog = new StringWriter();
        bool verified = exported && RecordCommands.Verify(recordLocation, null, verifyLog, verifyLog, new VerifyOptions(), s3Endpoint) == ExitCodes.Ok;
        seconds["verify"] = Lap();
        if (!(closed && tallied && matches && verified))
        {
            console.WriteLine(log.ToString());
            console.WriteLine(verifyLog.ToString());
        }
        return new LifecycleOutcome(closed, pick, tallied, matches, verified, result, seconds);
    }

    private static string Check(bool ok) => ok ? "[green]✓[/]" : "[red]✗[/]";

    /// <summary>
    /// Proofs/s of the Groth16 batch verifier alone on <paramref name="threads"/> threads over the
    /// first records the engine would verify: proofs decoded from bytes (the subgroup test
    /// included, as the engine must), signals derived, batches of 128 (failing ones split by the
    /// verifier) — what the engine is compared with.
    /// </summary>
    public static double MeasureBatchVerifier(ElectionSetup election, GeneratedLoad load, int threads, IAnsiConsole console)
    {
        // The records the engine's verify stage sees, in input order: opened, admitted, first of
        // their nullifier (the pre-check skips the others). Bad proofs included: the verifier
        // alone has to split the batches that hold them too.
        var opener = election.CreateOpener();
        var admission = election.CreateAdmission();
        var plaintexts = new List<byte[]>();
        var seen = new HashSet<Fr>();
        var buffer = new byte[VoteRecord.MaxPlaintext];
        foreach (var r in load.Records)
        {
            if (plaintexts.Count >= 1024 * threads)
            {
                break;
            }
            if (opener.Open(r.Key, r.Value, buffer, out var record, out int n).IsAccepted && admission.Check(record, out _).IsAccepted && seen.Add(record.Nullifier))
            {
                plaintexts.Add(buffer[..n]);
            }
        }
        if (plaintexts.Count == 0)
        {
            return 0;
        }
        double result = 0;
        console.Status().Start("measuring the batch verifier alone", __ =>
        {
            const int batch = 128;
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var proofs = VoteProofs.NewBatch(batch);
                int from = t * plaintexts.Count / threads, to = (t + 1) * plaintexts.Count / threads;
                for (int i = from; i < to; i += batch)
                {
                    for (int k = i; k < Math.Min(i + batch, to); k++)
                    {
                        var p = plaintexts[k];
                        VoteRecord.TryParse(p, out var record, out _);
                        admission.Check(record, out var key);
                        VoteProofs.TryAdd(proofs, key!, p, record, opener.ScopeHash, tag: k);
                    }
                    proofs.Verify(out _);
                }
            });
            result = plaintexts.Count / sw.Elapsed.TotalSeconds;
        });
        return result;
    }

    /// <summary>tests/fixtures/groth16 of the repository this binary was built from, if found.</summary>
    private static string? FindFixtures()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string f = Path.Combine(d.FullName, "tests", "fixtures", "groth16");
                if (File.Exists(Path.Combine(d.FullName, "TVS.sln")) && Directory.Exists(f))
                {
                    return f;
                }
            }
        }
        return null;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
