using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using TVS.LoadGen;

namespace TVS.Cli;

/// <summary><c>tvs engine run</c>: one partition's engine on a local input log, or a Kafka group member running one engine per owned partition.</summary>
public static partial class EngineCommands
{
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

    private static int RunEngine(FileInfo? config, bool json)
    {
        EngineSettings settings;
        try
        {
            settings = EngineSettings.Load(config);
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
            // Batch objects and the board share the bucket: probed once here, before any partition starts.
            if (settings.S3Options() is { } s3 && !S3Buckets.Prepare(s3, settings.CreatesBucket(production), "tvs engine run", Console.Error, Console.Error, createSetting: "S3CreateBucket: true in the engine's settings"))
            {
                return ExitCodes.Unusable;
            }
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
                int[] owned = host.Owned;
                Log(owned.Length == 0 ? "no partition assigned" : $"partitions [{string.Join(",", owned)}] assigned, opening their stores");
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
}
