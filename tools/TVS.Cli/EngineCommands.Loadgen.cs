using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TVS.LoadGen;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// <c>tvs loadgen</c>: votes for a simulated election, either appended to a local input log with
/// the verdicts they should get (<c>--out</c>), or posted to gateways over HTTP at a target rate
/// with a load tester's report (<c>--gateway</c>; docs/operations.md, "Load-testing the
/// production path"). With the election's test material (<see cref="TestMaterial"/>) the votes
/// are tallyable.
/// </summary>
public static partial class EngineCommands
{
    private static Command BuildLoadgen()
    {
        var cmd = new Command("loadgen", """
            Mint votes for a simulated (INSECURE, test-only) election, then either append them to a local input log (--out LOG) or post them to gateways over HTTP at a target rate (--gateway URL…).

            Tallyable votes: when the election directory holds its test material (secrets/simulated-setup.trapdoor, a root signed by the issuers' threshold, election-key.json and contests.json, as tvs demo --dir DIR leaves them in DIR/election), each ballot is encrypted to the election key with one valid choice per contest, under an accepted root, with a proof the engine accepts. --gateway requires that material and refuses, naming what is missing, without it; --out creates a new simulated election in an empty directory and, without an election key, writes ballots of random bytes (not tallyable).

            HTTP mode: open loop, request i is due at start + i/rate, sent round-robin over the gateways, at most --concurrency in flight; latency is measured from the due time (no coordinated omission). Prints rate achieved, latency p50/p90/p99/max, answers by HTTP status and by the gateway's code, transport errors by kind (--json for machines). Exit 0 when every request was answered and none with 429 or 5xx, else 1; 2 on unusable input. Each gateway limits requests per client IP (tvs gateway run --rate/--burst, 20/s by default): raise it for a load test from one machine.
            """);
        var electionDir = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "local input log to append to (local mode)" };
        var gateways = new Option<string[]>("--gateway") { Description = "gateway base URL, e.g. http://127.0.0.1:8080 (HTTP mode; repeat for several, sent round-robin)", AllowMultipleArgumentsPerToken = false };
        var rate = new Option<double>("--rate") { Description = "HTTP mode: target requests per second over all gateways", DefaultValueFactory = _ => 100 };
        var votes = new Option<int?>("--votes") { Description = "HTTP mode: requests to send (or --duration); with --duplicates/--malformed those records are among them" };
        var duration = new Option<double?>("--duration") { Description = "HTTP mode: seconds to send for, at --rate (or --votes)" };
        var concurrency = new Option<int>("--concurrency") { Description = "HTTP mode: requests in flight at most", DefaultValueFactory = _ => 256 };
        var timeout = new Option<double>("--timeout") { Description = "HTTP mode: seconds per request before it counts as a timeout", DefaultValueFactory = _ => 30 };
        var voters = new Option<int>("--voters") { Description = "local mode: distinct voters", DefaultValueFactory = _ => 10_000 };
        var dup = new Option<double?>("--duplicates") { Description = "share of extra duplicate records (local mode default 0.05, HTTP mode 0)" };
        var bad = new Option<double?>("--bad-proofs") { Description = "share of voters with a bad proof (local mode default 0.05, HTTP mode 0)" };
        var wrongRoot = new Option<double>("--wrong-roots") { DefaultValueFactory = _ => 0.0, Description = "share of voters with an unknown root" };
        var malformed = new Option<double?>("--malformed") { Description = "share of extra malformed records (local mode default 0.01, HTTP mode 0)" };
        var fixtures = new Option<DirectoryInfo?>("--fixtures") { Description = "local mode: also send the real Semaphore proofs of tests/fixtures/groth16 (the election must be created with them)" };
        var seed = new Option<int?>("--seed") { Description = "seed of the mix, order and nullifiers (local mode default 1; HTTP mode default random, printed, so a rerun does not repeat nullifiers)" };
        var seal = new Option<bool>("--seal") { Description = "local mode: mark the log complete afterwards (an engine with StopAtEnd stops at its end)" };
        var json = new Option<bool>("--json") { Description = "print the expectation (local mode) or the report (HTTP mode) as JSON" };
        foreach (var o in new Option[] { electionDir, output, gateways, rate, votes, duration, concurrency, timeout, voters, dup, bad, wrongRoot, malformed, fixtures, seed, seal, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(electionDir)!;
            var urls = r.GetValue(gateways) ?? [];
            var outFile = r.GetValue(output);
            if ((urls.Length > 0) == (outFile != null))
            {
                Console.Error.WriteLine("tvs loadgen: give either --out LOG (local input log) or --gateway URL (HTTP), not both or neither");
                return ExitCodes.Usage;
            }
            if (outFile != null)
            {
                return LoadgenToLog(dir.FullName, outFile.FullName, r.GetValue(fixtures)?.FullName, new LoadMix
                {
                    Voters = Math.Max(1, r.GetValue(voters)),
                    Duplicates = r.GetValue(dup) ?? 0.05,
                    BadProofs = r.GetValue(bad) ?? 0.05,
                    WrongRoots = r.GetValue(wrongRoot),
                    Malformed = r.GetValue(malformed) ?? 0.01,
                    Seed = r.GetValue(seed) ?? 1,
                }, r.GetValue(seal), r.GetValue(json));
            }
            var request = new LoadgenHttpRequest(dir.FullName, urls, r.GetValue(rate), r.GetValue(votes), r.GetValue(duration), r.GetValue(concurrency), r.GetValue(timeout),
                r.GetValue(seed) ?? System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue), r.GetValue(dup) ?? 0, r.GetValue(bad) ?? 0, r.GetValue(wrongRoot), r.GetValue(malformed) ?? 0, r.GetValue(json));
            return LoadgenToGateways(request, Console.Out, Console.Error, progress: !Console.IsErrorRedirected); // the bar goes to stderr, JSON to stdout
        });
        return cmd;
    }

    private static int LoadgenToLog(string dir, string outPath, string? fixtureDir, LoadMix mix, bool seal, bool json)
    {
        try
        {
            return MintToLog(dir, outPath, fixtureDir, mix, seal, json);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or InvalidDataException or FormatException or JsonException)
        {
            // A production election (no trapdoor), a malformed directory, an unwritable log: said, not thrown.
            Console.Error.WriteLine($"tvs loadgen: {dir}: {e.Message}");
            return ExitCodes.Unusable;
        }
    }

    private static int MintToLog(string dir, string outPath, string? fixtureDir, LoadMix mix, bool seal, bool json)
    {
        using var election = File.Exists(Path.Combine(dir, ElectionSetup.ManifestFile))
            ? ElectionSetup.Load(dir, allowInsecure: true)
            : ElectionSetup.CreateSimulated(dir, fixtures: fixtureDir);
        mix = mix with { Fixtures = fixtureDir };
        var material = TestMaterial.TryLoad(election, out _);
        if (material != null)
        {
            mix = material.Apply(mix);
        }
        var load = LoadGenerator.Generate(election, mix);
        using (var writer = LocalInputLogWriter.Open(outPath))
        {
            foreach (var rec in load.Records)
            {
                writer.Append(rec.Key, rec.Value);
            }
            if (seal)
            {
                writer.Seal();
            }
        }
        var expectation = new { records = load.Records.Count, tallyable = material != null, expected = load.ExpectedCounts, expectedRootOfThisBatch = load.ExpectedRoot().ToHex() };
        string text = JsonSerializer.Serialize(expectation, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(outPath + ".expected.json", text + "\n");
        Console.Out.WriteLine(json ? text : $"appended {load.Records.Count:N0} records to {outPath}; expected: {string.Join(", ", load.ExpectedCounts.Select(kv => $"{kv.Key} {kv.Value}"))}"
            + (material is null ? " (ballots are random bytes: the directory has no election-key.json/contests.json, not tallyable)" : " (ballots encrypted to the election key: tallyable)"));
        return ExitCodes.Ok;
    }

    /// <summary>Peak memory per minted vote (sealed vote, plaintext, the generator's arrays), measured (docs/PERFORMANCE.md, "Load generator against one gateway").</summary>
    private const long MintedVoteBytes = 4096;

    /// <summary>Voters per minted chunk of the HTTP mode's feed.</summary>
    private const int ChunkVoters = 4096;

    /// <summary>What <c>tvs loadgen --gateway</c> was asked for.</summary>
    public sealed record LoadgenHttpRequest(string ElectionDir, IReadOnlyList<string> Gateways, double Rate, int? Votes, double? DurationSeconds, int Concurrency,
        double TimeoutSeconds, int Seed, double Duplicates = 0, double BadProofs = 0, double WrongRoots = 0, double Malformed = 0, bool Json = false);

    /// <summary>
    /// HTTP mode: checks the request and the election's test material (refusing, exit 2, with
    /// what is missing), mints the votes, posts them (<see cref="GatewayLoad"/>) and prints the
    /// report. Exit 0 when the gateways took the load (<see cref="GatewayLoadReport.Ok"/>), 1 otherwise.
    /// </summary>
    public static int LoadgenToGateways(LoadgenHttpRequest q, TextWriter output, TextWriter error, bool progress = false)
    {
        const string Me = "tvs loadgen";
        if (!(q.Rate > 0) || double.IsInfinity(q.Rate))
        {
            error.WriteLine($"{Me}: --rate {q.Rate.ToString(CultureInfo.InvariantCulture)}: must be a positive number of requests per second");
            return ExitCodes.Usage;
        }
        if ((q.Votes is null) == (q.DurationSeconds is null))
        {
            error.WriteLine($"{Me}: give either --votes N or --duration SECONDS with --gateway");
            return ExitCodes.Usage;
        }
        if (q.Votes is <= 0 || q.DurationSeconds is { } d0 && !(d0 > 0) || q.Concurrency < 1 || !(q.TimeoutSeconds > 0))
        {
            error.WriteLine($"{Me}: --votes, --duration, --concurrency and --timeout must be positive");
            return ExitCodes.Usage;
        }
        long count = q.Votes ?? GatewayLoad.RequestsIn(q.DurationSeconds!.Value, q.Rate);
        // Votes are minted in chunks ahead of the sender, at most about 1 GiB of them (a quarter of
        // the memory on a small machine): a run up to that size is minted entirely before the
        // clock starts, a longer one while it sends. What grows with the run is 8 bytes per request.
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        double perVoter = MintedVoteBytes * (1 + Math.Max(0, q.Duplicates) + Math.Max(0, q.Malformed));
        int chunksAhead = (int)Math.Clamp(Math.Min(1L << 30, available / 4) / (ChunkVoters * perVoter), 1, 1 << 16);
        double needed = count * 8.0 + chunksAhead * ChunkVoters * perVoter;
        if (count > int.MaxValue || needed > available * 0.8)
        {
            error.WriteLine($"{Me}: {count:N0} votes: about {needed / (1 << 20):N0} MiB (8 bytes per request plus the minted look-ahead), "
                + $"more than this machine offers ({available / (1 << 20):N0} MiB): split the run (--votes/--duration) or spread it over several load generators with their own --seed");
            return ExitCodes.Usage;
        }
        var uris = new List<Uri>();
        foreach (var g in q.Gateways)
        {
            if (!Uri.TryCreate(g, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
            {
                error.WriteLine($"{Me}: --gateway {g}: not an http(s) URL (e.g. http://127.0.0.1:8080)");
                return ExitCodes.Usage;
            }
            uris.Add(u);
        }
        if (!File.Exists(Path.Combine(q.ElectionDir, ElectionSetup.ManifestFile)))
        {
            error.WriteLine($"{Me}: {q.ElectionDir}: no {ElectionSetup.ManifestFile}: not an election directory (HTTP mode never creates one: votes must be for the election the gateways serve)");
            return ExitCodes.Unusable;
        }
        ElectionSetup election;
        try
        {
            election = ElectionSetup.Load(q.ElectionDir, allowInsecure: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException or FormatException or JsonException or ArgumentException)
        {
            error.WriteLine($"{Me}: {q.ElectionDir}: {e.Message}");
            return ExitCodes.Unusable;
        }
        using (election)
        {
            var material = TestMaterial.TryLoad(election, out var missing);
            if (material is null)
            {
                error.WriteLine($"{Me}: {q.ElectionDir}: cannot mint tallyable votes for this election; it lacks its test material:");
                foreach (var m in missing)
                {
                    error.WriteLine($"  - {m}");
                }
                error.WriteLine("  (tvs demo --dir DIR leaves a simulated election with all of it in DIR/election: docs/operations.md, \"Load-testing the production path\")");
                return ExitCodes.Unusable;
            }
            var mix = material.Apply(new LoadMix
            {
                Voters = (int)count,
                Duplicates = q.Duplicates,
                BadProofs = q.BadProofs,
                WrongRoots = q.WrongRoots,
                Malformed = q.Malformed,
                Seed = q.Seed,
            });
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
            long ahead = VoteFeed.Ahead(count, ChunkVoters, chunksAhead);
            ProgressTask? mintTask = null;
            // Chunk k gets its own seed: its voters' nullifiers are fresh, not the first chunk's again.
            using var feed = new VoteFeed(count, (k, voters) => LoadGenerator.Generate(election, mix with { Voters = voters, Seed = unchecked(q.Seed * 1_000_003 + k) }).Records,
                ChunkVoters, chunksAhead, new Progress<long>(n =>
                {
                    if (mintTask != null)
                    {
                        mintTask.Value = Math.Min(n, ahead);
                    }
                }));
            if (progress)
            {
                console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn()).Start(ctx =>
                {
                    mintTask = ctx.AddTask(ahead == count ? $"minting {count:N0} tallyable votes" : $"minting the first {ahead:N0} of {count:N0} tallyable votes (the rest while sending)", maxValue: ahead);
                    feed.FillAsync().GetAwaiter().GetResult();
                    mintTask.Value = ahead;
                });
                mintTask = null;
            }
            else
            {
                feed.FillAsync().GetAwaiter().GetResult();
            }
            var run = new GatewayLoad(new GatewayLoadOptions
            {
                Gateways = uris,
                ElectionId = election.Id,
                Rate = q.Rate,
                Concurrency = q.Concurrency,
                Timeout = TimeSpan.FromSeconds(q.TimeoutSeconds),
                Duration = q.DurationSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
            }, feed);
            // Ctrl-C stops scheduling: the requests in flight finish and the report covers what was sent.
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            GatewayLoadReport report;
            try
            {
                if (progress)
                {
                    report = null!;
                    console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn()).Start(ctx =>
                    {
                        var task = ctx.AddTask($"posting {run.Planned:N0} votes at {q.Rate:N0}/s to {uris.Count} gateway(s)", maxValue: run.Planned);
                        var running = run.RunAsync(stop.Token);
                        while (!running.Wait(200))
                        {
                            task.Value = run.Completed;
                        }
                        task.Value = run.Completed;
                        report = running.GetAwaiter().GetResult();
                    });
                }
                else
                {
                    report = run.RunAsync(stop.Token).GetAwaiter().GetResult();
                }
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            if (q.Json)
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    electionId = election.Id.ToString("D"),
                    seed = q.Seed,
                    tallyable = true,
                    ok = report.Ok,
                    report.TargetRate,
                    report.AchievedRate,
                    report.Requests,
                    report.Answered,
                    report.Errors,
                    report.Seconds,
                    report.Concurrency,
                    report.MaxSendLagMs,
                    report.MintWaitMs,
                    latencyMs = report.Latency,
                    byStatus = report.ByStatus.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
                    byCode = report.ByCode,
                    byError = report.ByError,
                    gateways = report.PerGateway,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            }
            else
            {
                WriteLoadReport(election, q, report, output);
            }
            return report.Ok ? ExitCodes.Ok : ExitCodes.Failed;
        }
    }

    private static void WriteLoadReport(ElectionSetup election, LoadgenHttpRequest q, GatewayLoadReport r, TextWriter o)
    {
        static string Ms(double v) => v.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
        o.WriteLine($"tvs loadgen: election {election.Id:D}, {r.Gateways} gateway(s), seed {q.Seed} (tallyable votes: encrypted to the election key, valid choices, accepted roots)");
        o.WriteLine($"  requests ......... {r.Requests:N0} in {r.Seconds:N2} s");
        o.WriteLine($"  rate ............. {r.AchievedRate:N1}/s achieved, {r.TargetRate:N1}/s target (concurrency cap {r.Concurrency}, worst send lag {Ms(r.MaxSendLagMs)}"
            + (r.MintWaitMs > 0 ? $", waited {Ms(r.MintWaitMs)} for votes being minted: minting bounded the rate)" : ")"));
        o.WriteLine($"  latency .......... p50 {Ms(r.Latency.P50)}  p90 {Ms(r.Latency.P90)}  p99 {Ms(r.Latency.P99)}  max {Ms(r.Latency.Max)}  mean {Ms(r.Latency.Mean)} (from the scheduled send)");
        o.WriteLine($"  answered ......... {r.Answered:N0}: " + (r.ByStatus.Count == 0 ? "none" : string.Join(", ", r.ByStatus.Select(kv => $"{kv.Key} × {kv.Value:N0}"))));
        o.WriteLine($"  by code .......... " + (r.ByCode.Count == 0 ? "none" : string.Join(", ", r.ByCode.Select(kv => $"{kv.Key} {kv.Value:N0}"))));
        o.WriteLine($"  errors ........... {r.Errors:N0}" + (r.ByError.Count == 0 ? "" : ": " + string.Join(", ", r.ByError.Select(kv => $"{kv.Key} {kv.Value:N0}"))));
        foreach (var g in r.PerGateway)
        {
            o.WriteLine($"  {g.Gateway} sent {g.Requests:N0}, answered {g.Answered:N0}, 202 {g.Accepted:N0}");
        }
        o.WriteLine(r.Ok ? "OK: every request answered, none rate limited or failed by the gateway"
            : "FAILED: " + (r.Errors > 0 ? $"{r.Errors:N0} request(s) without an answer; " : "") + "429/5xx answers mean the gateways did not take this rate");
    }
}
