using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using TVS.Crypto.Bn254;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>The engine's settings (section "Engine" of the config file; environment variables TVS_Engine__Name override).</summary>
public sealed class EngineSettings
{
    /// <summary>"production" refuses an insecure (simulated) election; "test" allows it.</summary>
    public string Mode { get; set; } = "production";
    public string? Election { get; set; }
    public string? Data { get; set; }
    public string? Input { get; set; }
    public int Partition { get; set; }
    public bool StopAtEnd { get; set; }
    public int VerifyThreads { get; set; } = Environment.ProcessorCount;
    public int VerifyMaxBatch { get; set; } = 128;
    public int RingSize { get; set; } = 2048;
    public int ArenaMiB { get; set; } = 32;
    public int FlushMaxVotes { get; set; } = 4096;
    public int FlushMaxDelayMs { get; set; } = 20;
    public long CheckpointEveryRecords { get; set; } = 100_000;
    public int CheckpointIntervalSeconds { get; set; } = 30;
    public int StatusIntervalSeconds { get; set; } = 5;

    /// <summary>How often the ingest thread publishes a tick marker when input is quiet or slow (age-based flushes ride on ticks).</summary>
    public int TickIntervalMs { get; set; } = 5;

    // Production composition (docs/operations.md, "Engine over Kafka, PostgreSQL and S3"): set
    // Kafka instead of Input; Postgres and S3Bucket are optional (local files without them).

    /// <summary>Bootstrap servers of the Kafka cluster holding votes.pending (instead of Input).</summary>
    public string? Kafka { get; set; }
    public string KafkaGroup { get; set; } = "tvs-engine";
    public string KafkaTopic { get; set; } = TVS.Ingest.Kafka.KafkaTopics.Pending;
    public int KafkaSessionTimeoutMs { get; set; } = 10_000;

    /// <summary>Publish accepted votes on votes.validated (Kafka mode).</summary>
    public bool PublishValidated { get; set; } = true;

    /// <summary>Npgsql connection string: accepted votes and progress go to PostgreSQL (tvs db migrate first).</summary>
    public string? Postgres { get; set; }

    /// <summary>Bucket for batch objects; with S3Endpoint for an S3-compatible server, else AWS (credentials from the SDK's chain unless S3AccessKey/S3SecretKey).</summary>
    public string? S3Bucket { get; set; }
    public string? S3Endpoint { get; set; }
    public string S3Region { get; set; } = "us-east-1";
    public string? S3AccessKey { get; set; }
    public string? S3SecretKey { get; set; }
    public string? S3KeyPrefix { get; set; }

    /// <summary>
    /// Where the bulletin board goes (docs/formats.md "Bulletin board (tlog-tiles)"): a directory, or
    /// absent for S3 under <see cref="S3Bucket"/> (prefix <see cref="S3KeyPrefix"/> + election id)
    /// when one is set, else <c>{Data}/board</c>. <see cref="PublishBoard"/> false: none (another
    /// process, e.g. <c>tvs board publish</c>, publishes).
    /// </summary>
    public string? Board { get; set; }
    public bool PublishBoard { get; set; } = true;
    public int BoardIntervalMs { get; set; } = 1000;

    /// <summary>
    /// The submission URL of each witness election.json lists, by witness name (docs/ops/witness.md):
    /// the board publisher has each partition checkpoint cosigned by them before it goes up.
    /// </summary>
    public Dictionary<string, string> WitnessUrls { get; set; } = [];

    /// <summary>The S3 settings as the blob sink and the board store take them (null without a bucket).</summary>
    public TVS.Storage.S3.S3BlobSinkOptions? S3Options() => S3Bucket is { } bucket ? new TVS.Storage.S3.S3BlobSinkOptions
    {
        Bucket = bucket,
        ServiceUrl = S3Endpoint,
        Region = S3Region,
        AccessKey = S3AccessKey,
        SecretKey = S3SecretKey,
        KeyPrefix = S3KeyPrefix ?? "",
    } : null;

    /// <summary>Prometheus /metrics and /healthz port (Kafka mode; docs/ops/metrics.md): absent = no exporter, 0 = any free port (logged).</summary>
    public int? MetricsPort { get; set; }
    public string MetricsHost { get; set; } = "0.0.0.0";

    /// <summary>Nullifier store sizing per partition (FASTER index buckets and in-memory log).</summary>
    public long ExpectedVotesPerPartition { get; set; } = 1_000_000;
    public int NullifierMemoryMiB { get; set; } = 256;

    public EngineOptions ToOptions() => new()
    {
        Partition = Partition,
        VerifyThreads = Math.Max(1, VerifyThreads),
        VerifyMaxBatch = Math.Max(1, VerifyMaxBatch),
        RingSize = RingSize,
        ArenaBytes = Math.Max(9, ArenaMiB) << 20,
        FlushMaxVotes = Math.Max(1, FlushMaxVotes),
        FlushMaxDelay = TimeSpan.FromMilliseconds(Math.Max(1, FlushMaxDelayMs)),
        CheckpointEveryRecords = Math.Max(1, CheckpointEveryRecords),
        CheckpointInterval = TimeSpan.FromSeconds(Math.Max(1, CheckpointIntervalSeconds)),
        TickInterval = TimeSpan.FromMilliseconds(Math.Clamp(TickIntervalMs, 1, 1000)),
    };
}

/// <summary>
/// <c>tvs engine run</c>, <c>tvs loadgen</c>, <c>tvs proof</c>, <c>tvs checkpoint verify</c>: the
/// operator's and the auditor's verbs around one partition's embedded stores. Exit codes: 0 done
/// or valid, 1 invalid (a proof or checkpoint that does not verify), 2 unusable input.
/// </summary>
public static class EngineCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return BuildEngine();
        yield return BuildLoadgen();
        yield return BuildProof();
        yield return BuildCheckpoint();
    }

    private static Command BuildEngine()
    {
        var engine = new Command("engine", "The vote-processing engine");
        var run = new Command("run", "Run one partition's engine until stopped (Ctrl-C / SIGTERM: drain, make everything durable, sign a checkpoint, exit)");
        var config = new Option<FileInfo?>("--config") { Description = "JSON config file with an \"Engine\" section (see docs/operations.md); environment variables TVS_Engine__<Name> override it" };
        var json = new Option<bool>("--json") { Description = "print the final summary as JSON" };
        run.Options.Add(config);
        run.Options.Add(json);
        run.SetAction(r => RunEngine(r.GetValue(config), r.GetValue(json)));
        engine.Subcommands.Add(run);
        return engine;
    }

    public static EngineSettings LoadSettings(FileInfo? config)
    {
        var builder = new ConfigurationBuilder();
        if (config != null)
        {
            builder.AddJsonFile(config.FullName, optional: false);
        }
        builder.AddEnvironmentVariables("TVS_");
        var settings = new EngineSettings();
        builder.Build().GetSection("Engine").Bind(settings);
        return settings;
    }

    private static int RunEngine(FileInfo? config, bool json)
    {
        EngineSettings settings;
        try
        {
            settings = LoadSettings(config);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"tvs engine run: config: {e.Message}");
            return ExitCodes.Unusable;
        }
        if (settings.Election is null || settings.Data is null || (settings.Input is null) == (settings.Kafka is null))
        {
            Console.Error.WriteLine("tvs engine run: Engine:Election, Engine:Data and one of Engine:Input (a local input log) or Engine:Kafka (bootstrap servers) must be set (config file or TVS_Engine__Election, …)");
            return ExitCodes.Unusable;
        }
        if (File.Exists(Path.Combine(settings.Data, TVS.Engine.Tally.CloseStatement.FileName)))
        {
            // tvs election close signed the final state: no vote may be added after it.
            Console.Error.WriteLine($"tvs engine run: {settings.Data} is closed ({TVS.Engine.Tally.CloseStatement.FileName}): the election accepts no more votes");
            return ExitCodes.Unusable;
        }
        bool production = !string.Equals(settings.Mode, "test", StringComparison.OrdinalIgnoreCase);
        ElectionSetup election;
        try
        {
            election = ElectionSetup.Load(settings.Election, allowInsecure: !production);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException)
        {
            Console.Error.WriteLine($"tvs engine run: election {settings.Election}: {e.Message}");
            return ExitCodes.Unusable;
        }
        using (election)
        {
            if (election.Insecure != null)
            {
                Console.Error.WriteLine($"WARNING: insecure election ({election.Insecure}); allowed because Engine:Mode is test");
            }
            foreach (string warning in election.RootWarnings)
            {
                Console.Error.WriteLine($"WARNING: registry root not accepted: {warning}");
            }
            Console.Error.WriteLine($"accepting {election.Roots.Count} signed registry root(s)");
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                stop.Cancel();
            });
            if (settings.Kafka != null)
            {
                try
                {
                    return RunOverKafka(election, settings, json, stop.Token);
                }
                finally
                {
                    Console.CancelKeyPress -= onCancel;
                }
            }
            long lastStatus = Environment.TickCount64;
            RunSummary summary;
            try
            {
                // Postgres and S3 settings apply here too: votes and progress in PostgreSQL, batch
                // objects in S3, so a lost data directory is restored from them (docs/operations.md).
                var services = EmbeddedServices.From(settings);
                if (services != null)
                {
                    Console.Error.WriteLine($"votes to {(services.Postgres != null ? "PostgreSQL" : "local files")}, batch objects to {(services.S3 != null ? $"S3 bucket {services.S3.Bucket}" : "local files")}");
                }
                var options = settings.ToOptions() with { OnInfo = Console.Error.WriteLine };
                using var boardSource = settings.Postgres is { } cs && settings.PublishBoard ? TVS.Storage.Postgres.PostgresVoteStore.CreateDataSource(cs) : null;
                using var board = EngineBoard.Start(settings, election, boardSource, () => [settings.Partition], Console.Error.WriteLine);
                try
                {
                    summary = EmbeddedRun.Run(election, settings.Data, settings.Input!, options, settings.StopAtEnd, stop.Token, services: services, onTick: s =>
                    {
                        if (Environment.TickCount64 - lastStatus >= settings.StatusIntervalSeconds * 1000L)
                        {
                            lastStatus = Environment.TickCount64;
                            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} read {Volatile.Read(ref s.Read):N0} durable {Volatile.Read(ref s.Committed):N0} accepted {Volatile.Read(ref s.Accepted):N0} rejected {Volatile.Read(ref s.Rejected):N0}");
                        }
                    });
                }
                finally
                {
                    board?.Stop(Console.Error.WriteLine);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException)
            {
                Console.Error.WriteLine($"tvs engine run: {e.Message}");
                return ExitCodes.Unusable;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            if (json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Console.Out.WriteLine($"resumed at offset {summary.ResumedFromOffset} ({summary.CommittedBefore:N0} records already durable, {summary.Restored:N0} accepted votes restored from the vote store in {summary.RestoreSeconds:N1} s, {summary.Replayed:N0} re-derived)");
                Console.Out.WriteLine($"durable {summary.Committed:N0} records this run: accepted {summary.Accepted:N0}, rejected {summary.Rejected:N0} ({string.Join(", ", summary.RejectedByReason.Select(kv => $"{kv.Key} {kv.Value}"))})");
                Console.Out.WriteLine($"{summary.VotesPerSecond:N0} records/s, latency p50 {summary.LatencyP50Micros / 1000.0:N1} ms p99 {summary.LatencyP99Micros / 1000.0:N1} ms");
                Console.Out.WriteLine($"MMR {summary.MmrSize} root {summary.MmrRoot}, input offset {summary.NextOffset}");
                Console.Out.Write(summary.Checkpoint);
            }
            return ExitCodes.Ok;
        }
    }

    /// <summary>The Kafka composition: a group member running one engine per owned partition until stopped.</summary>
    private static int RunOverKafka(ElectionSetup election, EngineSettings settings, bool json, CancellationToken stop)
    {
        void Log(string line) => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");
        Log($"engine over Kafka {settings.Kafka} (group {settings.KafkaGroup}, topic {settings.KafkaTopic}); votes to {(settings.Postgres != null ? "PostgreSQL" : "local files")}, batch objects to {(settings.S3Bucket != null ? $"S3 bucket {settings.S3Bucket}" : "local files")}");
        // Before the host opens its database pools: the exporter counts pool opens from Npgsql's events.
        using var metrics = settings.MetricsPort.HasValue ? new TVS.Ingest.Metrics.EngineMetrics() : null;
        if (metrics != null && settings.MetricsPort is int port)
        {
            Log($"metrics on {metrics.StartServer(settings.MetricsHost, port)}metrics");
        }
        using var host = new KafkaEngineHost(election, settings, Log)
        {
            OnStarted = (partition, engine, input) => metrics?.Register(partition, engine.Stats, () => input.Lag),
            OnStopped = partition => metrics?.Unregister(partition),
        };
        using var status = new Timer(_ =>
        {
            var engines = host.Engines;
            if (engines.Length == 0)
            {
                Log("no partition assigned");
                return;
            }
            long read = 0, durable = 0, accepted = 0, rejected = 0;
            foreach (var (_, e) in engines)
            {
                read += Volatile.Read(ref e.Stats.Read);
                durable += Volatile.Read(ref e.Stats.Committed);
                accepted += Volatile.Read(ref e.Stats.Accepted);
                rejected += Volatile.Read(ref e.Stats.Rejected);
            }
            Log($"partitions [{string.Join(",", engines.Select(x => x.Partition))}] read {read:N0} durable {durable:N0} accepted {accepted:N0} rejected {rejected:N0}");
        }, null, TimeSpan.FromSeconds(settings.StatusIntervalSeconds), TimeSpan.FromSeconds(Math.Max(1, settings.StatusIntervalSeconds)));
        try
        {
            host.Run(stop);
        }
        catch (Exception e) when (e is InvalidOperationException or Confluent.Kafka.KafkaException)
        {
            Console.Error.WriteLine($"tvs engine run: {e.Message}");
            return ExitCodes.Unusable;
        }
        var final = host.StoppedProgress.OrderBy(kv => kv.Key).ToList();
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                partitions = final.Select(kv => new { partition = kv.Key, nextOffset = kv.Value.NextOffset, mmrSize = kv.Value.MmrSize, mmrRoot = kv.Value.MmrRoot.ToHex(), accepted = kv.Value.Accepted, rejected = kv.Value.Rejected }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var (p, progress) in final)
            {
                Console.Out.WriteLine($"partition {p}: offset {progress.NextOffset}, MMR {progress.MmrSize} root {progress.MmrRoot.ToHex()}, accepted {progress.Accepted:N0}, rejected {progress.Rejected:N0}");
            }
        }
        return ExitCodes.Ok;
    }

    private static Command BuildLoadgen()
    {
        var cmd = new Command("loadgen", "Mint votes for a simulated (INSECURE, test-only) election into a local input log; creates the election if its directory is empty");
        var electionDir = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "local input log to append to", Required = true };
        var voters = new Option<int>("--voters") { Description = "distinct voters", DefaultValueFactory = _ => 10_000 };
        var dup = new Option<double>("--duplicates") { DefaultValueFactory = _ => 0.05, Description = "share of extra duplicate records" };
        var bad = new Option<double>("--bad-proofs") { DefaultValueFactory = _ => 0.05, Description = "share of voters with a bad proof" };
        var wrongRoot = new Option<double>("--wrong-roots") { DefaultValueFactory = _ => 0.0, Description = "share of voters with an unknown root" };
        var malformed = new Option<double>("--malformed") { DefaultValueFactory = _ => 0.01, Description = "share of extra malformed records" };
        var fixtures = new Option<DirectoryInfo?>("--fixtures") { Description = "also send the real Semaphore proofs of tests/fixtures/groth16 (the election must be created with them)" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "seed of the mix and order" };
        var seal = new Option<bool>("--seal") { Description = "mark the log complete afterwards (an engine with StopAtEnd stops at its end)" };
        var json = new Option<bool>("--json") { Description = "print the expectation as JSON" };
        foreach (var o in new Option[] { electionDir, output, voters, dup, bad, wrongRoot, malformed, fixtures, seed, seal, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(electionDir)!;
            string? fixtureDir = r.GetValue(fixtures)?.FullName;
            using var election = File.Exists(Path.Combine(dir.FullName, ElectionSetup.ManifestFile))
                ? ElectionSetup.Load(dir.FullName, allowInsecure: true)
                : ElectionSetup.CreateSimulated(dir.FullName, fixtures: fixtureDir);
            var load = LoadGenerator.Generate(election, new LoadMix
            {
                Voters = Math.Max(1, r.GetValue(voters)),
                Duplicates = r.GetValue(dup),
                BadProofs = r.GetValue(bad),
                WrongRoots = r.GetValue(wrongRoot),
                Malformed = r.GetValue(malformed),
                Fixtures = fixtureDir,
                Seed = r.GetValue(seed),
            });
            using (var writer = LocalInputLogWriter.Open(r.GetValue(output)!.FullName))
            {
                foreach (var rec in load.Records)
                {
                    writer.Append(rec.Key, rec.Value);
                }
                if (r.GetValue(seal))
                {
                    writer.Seal();
                }
            }
            var expectation = new { records = load.Records.Count, expected = load.ExpectedCounts, expectedRootOfThisBatch = load.ExpectedRoot().ToHex() };
            string text = JsonSerializer.Serialize(expectation, new JsonSerializerOptions { WriteIndented = true });
            File.WriteAllText(r.GetValue(output)!.FullName + ".expected.json", text + "\n");
            Console.Out.WriteLine(r.GetValue(json) ? text : $"appended {load.Records.Count:N0} records to {r.GetValue(output)!.FullName}; expected: {string.Join(", ", load.ExpectedCounts.Select(kv => $"{kv.Key} {kv.Value}"))}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command BuildProof()
    {
        var cmd = new Command("proof", "Print the inclusion proof of an accepted vote against the partition's latest signed checkpoint");
        var data = new Option<DirectoryInfo>("--data") { Description = "the engine's data directory", Required = true };
        var partition = new Option<int>("--partition") { DefaultValueFactory = _ => 0 };
        var nullifier = new Option<string>("--nullifier") { Description = "the vote's nullifier: decimal, or 64 hex digits (0x optional)", Required = true };
        var json = new Option<bool>("--json");
        foreach (var o in new Option[] { data, partition, nullifier, json })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Proof(r.GetValue(data)!.FullName, r.GetValue(partition), r.GetValue(nullifier)!, r.GetValue(json), Console.Out, Console.Error));
        return cmd;
    }

    public static int Proof(string data, int partition, string nullifierText, bool json, TextWriter output, TextWriter error)
    {
        if (!TryParseNullifier(nullifierText, out var key))
        {
            error.WriteLine($"tvs proof: {nullifierText}: not a nullifier (decimal below r, or 64 hex digits)");
            return ExitCodes.Unusable;
        }
        string latest = Path.Combine(LocalPartition.CheckpointDirectory(data, partition), LocalCheckpointSink.LatestFile);
        if (!File.Exists(latest))
        {
            error.WriteLine($"tvs proof: {data}: no signed checkpoint yet");
            return ExitCodes.Unusable;
        }
        string note = File.ReadAllText(latest);
        int bodyEnd = note.IndexOf("\n\n", StringComparison.Ordinal);
        Checkpoint checkpoint;
        try
        {
            // The body only: the signature is the auditor's to check (tvs checkpoint verify).
            checkpoint = Checkpoint.Parse(bodyEnd < 0 ? note : note[..(bodyEnd + 1)]);
        }
        catch (Exception e) when (e is FormatException or NoteException)
        {
            error.WriteLine($"tvs proof: {latest}: {e.Message}");
            return ExitCodes.Unusable;
        }
        var vote = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, partition)).FirstOrDefault(v => v.NullifierBytes.SequenceEqual(key));
        if (vote is null || vote.MmrIndex >= checkpoint.Size)
        {
            error.WriteLine(vote is null ? "tvs proof: no accepted vote has this nullifier" : $"tvs proof: the vote (index {vote.MmrIndex}) is not yet under a signed checkpoint (size {checkpoint.Size})");
            return ExitCodes.Invalid;
        }
        using var nodes = FileMmrNodeStore.Open(LocalPartition.MmrFile(data, partition));
        var mmr = new MerkleMountainRange(nodes);
        var proof = mmr.GetInclusionProof(vote.MmrIndex, checkpoint.Size);
        var leafHash = Rfc9162.HashLeaf(vote.Record);
        bool valid = Rfc9162.VerifyInclusion(vote.MmrIndex, checkpoint.Size, leafHash, proof, checkpoint.Root);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                index = vote.MmrIndex,
                treeSize = checkpoint.Size,
                leafHash = leafHash.ToBase64(),
                record = Convert.ToBase64String(vote.Record),
                proof = proof.Select(h => h.ToBase64()).ToArray(),
                root = checkpoint.Root.ToBase64(),
                checkpoint = note,
                valid,
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            output.WriteLine($"index {vote.MmrIndex} of {checkpoint.Size}");
            output.WriteLine($"leaf {leafHash.ToBase64()} (SHA-256 of 0x00 ‖ the {vote.Record.Length}-byte vote record)");
            foreach (var h in proof)
            {
                output.WriteLine($"  {h.ToBase64()}");
            }
            output.WriteLine($"root {checkpoint.Root.ToBase64()}: {(valid ? "proof verifies" : "PROOF DOES NOT VERIFY")}");
            output.Write(note);
        }
        return valid ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    private static bool TryParseNullifier(string text, out byte[] be32)
    {
        be32 = new byte[32];
        string t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || (t.Length == 64 && t.Any(char.IsAsciiLetter)))
        {
            t = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
            if (t.Length != 64 || !t.All(char.IsAsciiHexDigit))
            {
                return false;
            }
            be32 = Convert.FromHexString(t);
            return Fr.TryFromBigEndian(be32, out _);
        }
        if (t.Length == 0 || !t.All(char.IsAsciiDigit) || !BigInteger.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v >= Fr.Modulus)
        {
            return false;
        }
        Fr.FromBigInteger(v).WriteBigEndian(be32);
        return true;
    }

    private static Command BuildCheckpoint()
    {
        var cp = new Command("checkpoint", "Signed checkpoints of the bulletin board");
        var verify = new Command("verify", "Verify a signed checkpoint note: its signature, and with --data the MMR and the votes behind it");
        var note = new Option<FileInfo>("--note") { Description = "the signed note (C2SP tlog-checkpoint)", Required = true };
        var key = new Option<string?>("--key") { Description = "verifier key name+hash+base64 (else --election's published one)" };
        var election = new Option<DirectoryInfo?>("--election") { Description = "election directory (its election.json names the checkpoint verifier key)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "also recompute the root from this data directory's votes and MMR nodes" };
        var partition = new Option<int>("--partition") { DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json");
        foreach (var o in new Option[] { note, key, election, data, partition, json })
        {
            verify.Options.Add(o);
        }
        verify.SetAction(r => VerifyCheckpoint(r.GetValue(note)!, r.GetValue(key), r.GetValue(election), r.GetValue(data), r.GetValue(partition), r.GetValue(json), Console.Out, Console.Error));
        cp.Subcommands.Add(verify);
        return cp;
    }

    public static int VerifyCheckpoint(FileInfo noteFile, string? verifierKey, DirectoryInfo? election, DirectoryInfo? data, int partition, bool json, TextWriter output, TextWriter error)
    {
        if (verifierKey is null && election != null)
        {
            try
            {
                var m = JsonDocument.Parse(File.ReadAllText(Path.Combine(election.FullName, ElectionSetup.ManifestFile)));
                verifierKey = m.RootElement.GetProperty("checkpointVerifierKey").GetString();
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
            {
                error.WriteLine($"tvs checkpoint verify: {election.FullName}: {e.Message}");
                return ExitCodes.Unusable;
            }
        }
        NoteVerifier? verifier = null;
        string? why = null;
        if (verifierKey is null || !NoteVerifier.TryParse(verifierKey, out verifier, out why))
        {
            error.WriteLine($"tvs checkpoint verify: give a valid --key or --election ({(verifierKey is null ? "none given" : why)})");
            return ExitCodes.Unusable;
        }
        string text;
        try
        {
            text = File.ReadAllText(noteFile.FullName);
        }
        catch (IOException e)
        {
            error.WriteLine($"tvs checkpoint verify: {e.Message}");
            return ExitCodes.Unusable;
        }
        Checkpoint? checkpoint = null;
        try
        {
            checkpoint = Checkpoint.Open(text, verifier!);
        }
        catch (Exception e) when (e is FormatException or NoteException)
        {
            Report(false, $"signature or format: {e.Message}", null);
            return ExitCodes.Invalid;
        }
        var checks = new List<(string What, bool Ok)> { ($"signed by {verifier!.Name}", true) };
        long size = checkpoint.Size;
        var signedRoot = checkpoint.Root;
        if (data != null)
        {
            var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data.FullName, partition)).Where(v => v.MmrIndex < size).ToList();
            bool complete = votes.Count == size && votes.Select((v, i) => v.MmrIndex == i).All(x => x);
            checks.Add(($"the data directory holds the {size} votes it covers", complete));
            if (complete)
            {
                var fromVotes = Rfc9162.MerkleTreeHash(votes.Select(v => Rfc9162.HashLeaf(v.Record)).ToArray());
                checks.Add(("root recomputed from the vote records (no MMR) equals the signed root", fromVotes == signedRoot));
            }
            using var nodes = FileMmrNodeStore.Open(LocalPartition.MmrFile(data.FullName, partition));
            var mmr = new MerkleMountainRange(nodes);
            bool mmrOk = mmr.LeafCount >= size && mmr.RootAt(size) == signedRoot;
            checks.Add(("the MMR node file has the signed root at that size", mmrOk));
            if (mmrOk && mmr.LeafCount > size)
            {
                var consistency = mmr.GetConsistencyProof(size, mmr.LeafCount);
                checks.Add(($"consistent with the current tree ({mmr.LeafCount} leaves)", Rfc9162.VerifyConsistency(size, mmr.LeafCount, signedRoot, mmr.Root, consistency)));
            }
        }
        bool ok = checks.All(c => c.Ok);
        Report(ok, null, checks);
        return ok ? ExitCodes.Ok : ExitCodes.Invalid;

        void Report(bool valid, string? failure, List<(string What, bool Ok)>? list)
        {
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(new { valid, failure, origin = valid || list != null ? checkpoint?.Origin : null, size = checkpoint?.Size, root = checkpoint?.Root.ToBase64(), checks = list?.Select(c => new { c.What, c.Ok }) }));
                return;
            }
            if (failure != null)
            {
                output.WriteLine($"INVALID: {failure}");
                return;
            }
            output.WriteLine($"{(valid ? "OK" : "INVALID")}: {checkpoint!.Origin} size {checkpoint.Size} root {checkpoint.Root.ToBase64()}");
            foreach (var (what, good) in list!)
            {
                output.WriteLine($"  {(good ? "ok  " : "FAIL")} {what}");
            }
        }
    }
}
