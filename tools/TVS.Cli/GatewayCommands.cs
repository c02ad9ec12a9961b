using System.CommandLine;
using System.Net;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Ingest.Gateway;
using TVS.Storage.Board;
using TVS.Storage.Postgres;
using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>
/// <c>tvs gateway run</c>: the HTTP gateway in front of votes.pending (docs/formats.md "Gateway API").
/// Exit codes: 0 stopped, 2 refused to start (bad options, or votes.pending's partition count is
/// not the election's).
/// </summary>
public static class GatewayCommands
{
    public static Command Build()
    {
        var gateway = new Command("gateway", "HTTP gateway: sealed votes in, votes.pending out");
        var run = new Command("run", "Serve POST /v1/elections/{id}/votes until Ctrl-C");
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers (HOST:PORT[,…])", Required = true };
        var election = new Option<Guid?>("--election") { Description = "the election this gateway takes votes for (or --election-dir)" };
        var electionDir = new Option<string?>("--election-dir") { Description = "the election directory: its election.json gives the election id and the partition count to check votes.pending against (no secrets are read)" };
        var partitions = new Option<int?>("--partitions") { Description = "the election's partition count (election.json \"partitions\"), when the gateway has no election directory: refuse to start unless votes.pending has exactly this many" };
        var port = new Option<int>("--port") { Description = "HTTP port", DefaultValueFactory = _ => 8080 };
        var listen = new Option<string>("--listen") { Description = "address to listen on (0.0.0.0 for all)", DefaultValueFactory = _ => "127.0.0.1" };
        var rate = new Option<double>("--rate") { Description = "sustained requests/s per client IP", DefaultValueFactory = _ => 20 };
        var burst = new Option<int>("--burst") { Description = "burst per client IP", DefaultValueFactory = _ => 40 };
        var connections = new Option<long>("--max-connections") { Description = "open connections at most", DefaultValueFactory = _ => 10_000 };
        var noStatus = new Option<bool>("--no-status") { Description = "no in-memory status book (GET …/votes/{nullifier} answers 404)" };
        var noInlineIo = new Option<bool>("--no-inline-io") { Description = "run request code on the thread pool, not on the socket I/O threads" };
        var kafkaConfig = new Option<string[]>("--kafka-config") { Description = "extra librdkafka producer setting KEY=VALUE (repeatable; e.g. security.protocol=ssl, linger.ms=5)", AllowMultipleArgumentsPerToken = false };
        var receiptsPg = new Option<string?>("--receipts-pg") { Description = "PostgreSQL connection string: accepted votes' status answers carry their receipt (needs --board and --election-dir)" };
        var board = new Option<string?>("--board") { Description = "the bulletin board receipts are proven from: a directory, or s3://BUCKET[/PREFIX] (objects under PREFIX/{election}/)" };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "S3-compatible endpoint for an s3:// board (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the SDK's chain)" };
        foreach (var o in new Option[] { bootstrap, election, electionDir, partitions, port, listen, rate, burst, connections, noStatus, noInlineIo, kafkaConfig, receiptsPg, board, s3Endpoint })
        {
            run.Options.Add(o);
        }
        run.SetAction(r =>
        {
            if (!ResolveElection(r.GetValue(election), r.GetValue(electionDir), r.GetValue(partitions), Console.Error, out var id, out var count))
            {
                return ExitCodes.Refused;
            }
            return Run(new GatewayOptions
            {
                BootstrapServers = r.GetValue(bootstrap)!,
                ElectionId = id,
                Partitions = count,
                Port = r.GetValue(port),
                Address = IPAddress.Parse(r.GetValue(listen)!),
                RatePerClient = r.GetValue(rate),
                BurstPerClient = r.GetValue(burst),
                MaxConnections = r.GetValue(connections),
                KafkaExtra = ParseSettings(r.GetValue(kafkaConfig)),
                InlineIo = !r.GetValue(noInlineIo),
                Receipts = Receipts(id, r.GetValue(receiptsPg), r.GetValue(board), r.GetValue(electionDir), r.GetValue(s3Endpoint)),
            }, !r.GetValue(noStatus));
        });
        gateway.Subcommands.Add(run);
        return gateway;
    }

    /// <summary>The receipt service of --receipts-pg/--board/--election-dir, or null when not asked for.</summary>
    internal static ReceiptService? Receipts(Guid electionId, string? pg, string? board, string? electionDir, string? s3Endpoint)
    {
        if (pg is null && board is null)
        {
            return null;
        }
        if (pg is null || board is null || electionDir is null)
        {
            throw new ArgumentException("receipts need --receipts-pg, --board and --election-dir together");
        }
        var (id, key, _) = ElectionCommands.ReadPublicElection(electionDir);
        if (id != electionId)
        {
            throw new ArgumentException($"--election-dir holds election {id:D}, the gateway serves {electionId:D}");
        }
        IBoardStore store = StoreLocations.OpenBoard(board, electionId, s3Endpoint, verifyReadBack: false);
        // One statement, thousands of times a second: prepared once per connection (Npgsql auto-prepare).
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(pg);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 8;
        }
        var dataSource = PostgresVoteStore.CreateDataSource(builder.ConnectionString);
        return new ReceiptService(electionId, key, new PostgresVoteLocator(dataSource, electionId, ownsDataSource: true), store);
    }

    /// <summary>
    /// The election id and partition count from <c>--election</c>, <c>--election-dir</c> and
    /// <c>--partitions</c>: any of them may be given, and what two of them say must agree. No
    /// count at all: started unchecked with a warning (gateways started before the check existed).
    /// </summary>
    public static bool ResolveElection(Guid? election, string? electionDir, int? partitions, TextWriter error, out Guid id, out int? count)
    {
        id = Guid.Empty;
        count = partitions;
        if (partitions is < 1)
        {
            error.WriteLine("tvs gateway run: --partitions must be at least 1");
            return false;
        }
        if (electionDir != null)
        {
            (Guid Id, int Partitions) manifest;
            try
            {
                manifest = TVS.LoadGen.ElectionSetup.ReadManifest(electionDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException or FormatException or ArgumentException or InvalidOperationException)
            {
                error.WriteLine($"tvs gateway run: --election-dir {electionDir}: {e.Message}");
                return false;
            }
            if (election is { } given && given != manifest.Id)
            {
                error.WriteLine($"tvs gateway run: --election {given:D} is not the election of {electionDir} ({manifest.Id:D})");
                return false;
            }
            if (partitions is { } n && n != manifest.Partitions)
            {
                error.WriteLine($"tvs gateway run: --partitions {n} but {electionDir}/election.json says {manifest.Partitions}");
                return false;
            }
            id = manifest.Id;
            count = manifest.Partitions;
            return true;
        }
        if (election is not { } e2)
        {
            error.WriteLine("tvs gateway run: give --election ID or --election-dir DIR");
            return false;
        }
        id = e2;
        if (count is null)
        {
            error.WriteLine($"WARNING: the partition count of {TVS.Ingest.Kafka.KafkaTopics.Pending} is not checked against the election's: give --election-dir DIR or --partitions N");
        }
        return true;
    }

    private static Dictionary<string, string>? ParseSettings(string[]? settings)
    {
        if (settings is not { Length: > 0 })
        {
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in settings)
        {
            int eq = s.IndexOf('=');
            if (eq <= 0)
            {
                throw new ArgumentException($"--kafka-config expects KEY=VALUE, got '{s}'");
            }
            map[s[..eq]] = s[(eq + 1)..];
        }
        return map;
    }

    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static int Run(GatewayOptions options, bool statusBook)
    {
        if (options.InlineIo && Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            // Read once, when the runtime's socket engine starts: nothing in this process has
            // used a managed socket yet (Kafka's are native), so setting it here takes effect.
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
        InMemoryVoteStatusBook? book = statusBook ? new InMemoryVoteStatusBook() : null;
        // Dev-grade status: a bounded in-memory book fed from votes.validated / votes.rejected.
        GatewayServer server;
        try
        {
            server = GatewayServer.StartAsync(options with { Status = book }).GetAwaiter().GetResult();
        }
        catch (TVS.Ingest.Kafka.PartitionCountMismatchException e)
        {
            Console.Error.WriteLine($"tvs gateway run: {e.Message}");
            return ExitCodes.Refused;
        }
        catch (Confluent.Kafka.KafkaException e)
        {
            // Only with a partition count to check: the metadata must be read before listening.
            Console.Error.WriteLine($"tvs gateway run: cannot read the partition count of {TVS.Ingest.Kafka.KafkaTopics.Pending} from Kafka {options.BootstrapServers}: {e.Message}; refusing to start");
            return ExitCodes.Refused;
        }
        using var feeder = book != null ? new VoteStatusFeeder(options.BootstrapServers, book) : null;
        try
        {
            Console.Out.WriteLine($"gateway for election {options.ElectionId:D} ({(options.Partitions is int n ? $"{n} partition(s), checked" : "partition count not checked")}) on {server.BaseAddress} → Kafka {options.BootstrapServers}");
            Console.Out.Flush();
            DevCommands.WaitForStop();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            options.Receipts?.Dispose();
        }
        return ExitCodes.Ok;
    }
}
