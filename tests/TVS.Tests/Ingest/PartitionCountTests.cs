using System.Diagnostics;
using Npgsql;
using TVS.Cli;
using TVS.Ingest.Gateway;
using TVS.Ingest.Kafka;
using TVS.Storage.Postgres;
using TVS.Tests.Storage;
using Xunit.Abstractions;

namespace TVS.Tests.Ingest;

/// <summary>
/// The partition count has one authority, election.json (its <c>partitions</c>): the engine and the
/// gateway refuse a votes.pending with another count, and the engine refuses a PostgreSQL
/// <c>elections</c> row with another count. The election of <see cref="IngestFixture"/> has 1.
/// </summary>
[Collection(ExternalServicesCollection.Name)]
public class PartitionCountTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static EngineSettings Settings(string bootstrap, string? postgres = null) => new()
    {
        Mode = "test",
        Election = IngestFixture.Election.Directory,
        Data = Path.Combine(Path.GetTempPath(), "tvs-partitions-" + Guid.NewGuid().ToString("N")[..12]),
        Kafka = bootstrap,
        KafkaGroup = "tvs-engine-" + Guid.NewGuid().ToString("N")[..8],
        Postgres = postgres,
        VerifyThreads = 1,
        RingSize = 512,
        ArenaMiB = 8,
        ExpectedVotesPerPartition = 10_000,
        NullifierMemoryMiB = 16,
    };

    private static void AssertNamesCounts(string message, int topic, int election)
    {
        Assert.Contains(KafkaTopics.Pending, message, StringComparison.Ordinal);
        Assert.Contains($"has {topic} partition(s)", message, StringComparison.Ordinal);
        Assert.Contains($"has {election}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_refuses_a_topic_with_another_partition_count_and_starts_on_the_same()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 4);
        var options = new GatewayOptions { ElectionId = IngestFixture.Election.Id, BootstrapServers = cluster.BootstrapServers, Port = 0, Partitions = IngestFixture.Election.Partitions };
        var e = await Assert.ThrowsAsync<PartitionCountMismatchException>(() => GatewayServer.StartAsync(options));
        output.WriteLine(e.Message);
        Assert.Equal((4, 1), (e.TopicPartitions, e.ElectionPartitions));
        AssertNamesCounts(e.Message, 4, 1);

        await using var gateway = await GatewayServer.StartAsync(options with { Partitions = 4 });
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = Wait };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public void The_gateway_command_takes_the_count_from_the_election_directory_or_partitions_and_they_must_agree()
    {
        var election = IngestFixture.Election;
        var error = new StringWriter();
        Assert.True(GatewayCommands.ResolveElection(null, election.Directory, null, error, out var id, out var count));
        Assert.Equal((election.Id, (int?)1), (id, count));
        Assert.True(GatewayCommands.ResolveElection(election.Id, election.Directory, 1, error, out _, out _));
        Assert.Equal("", error.ToString());

        Assert.False(GatewayCommands.ResolveElection(null, election.Directory, 4, error, out _, out _));
        Assert.Contains("--partitions 4 but", error.ToString(), StringComparison.Ordinal);
        Assert.False(GatewayCommands.ResolveElection(Guid.NewGuid(), election.Directory, null, TextWriter.Null, out _, out _));
        Assert.False(GatewayCommands.ResolveElection(null, null, 1, TextWriter.Null, out _, out _));

        // As before the check existed: --election alone starts, unchecked, with a warning.
        var warning = new StringWriter();
        Assert.True(GatewayCommands.ResolveElection(election.Id, null, null, warning, out _, out var none));
        Assert.Null(none);
        Assert.Contains("WARNING", warning.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_gateway_command_exits_non_zero_naming_both_counts()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 4);
        var (exit, stderr) = RunTvs(null, "gateway", "run", "--bootstrap", cluster.BootstrapServers, "--election-dir", IngestFixture.Election.Directory, "--port", "0");
        output.WriteLine(stderr);
        Assert.Equal(ExitCodes.Refused, exit);
        AssertNamesCounts(stderr, 4, 1);
    }

    [Fact]
    public void The_engine_refuses_a_topic_with_another_partition_count()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 4);
        var settings = Settings(cluster.BootstrapServers);
        var log = new List<string>();
        using var host = new KafkaEngineHost(IngestFixture.Election, settings, log.Add);
        var e = Assert.Throws<PartitionCountMismatchException>(() => host.Run(CancellationToken.None));
        output.WriteLine(e.Message);
        AssertNamesCounts(e.Message, 4, 1);
        Assert.Empty(host.Owned);
        Assert.False(Directory.Exists(settings.Data)); // no partition was opened

        // The command: exit 2 (unusable) with the message.
        var (exit, stderr) = RunTvs(new Dictionary<string, string>
        {
            ["TVS_Engine__Mode"] = "test",
            ["TVS_Engine__Election"] = IngestFixture.Election.Directory,
            ["TVS_Engine__Data"] = settings.Data!,
            ["TVS_Engine__Kafka"] = cluster.BootstrapServers,
        }, "engine", "run");
        output.WriteLine(stderr);
        Assert.Equal(ExitCodes.Unusable, exit);
        AssertNamesCounts(stderr, 4, 1);
    }

    [Fact]
    public void The_engine_refuses_an_elections_row_with_another_count_and_registers_and_starts_when_they_agree()
    {
        if (!TestServices.Postgres(output, out string cs))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_parts_");
        try
        {
            string fresh = new NpgsqlConnectionStringBuilder(cs) { Database = db }.ConnectionString;
            using (var c = new NpgsqlConnection(fresh))
            {
                c.Open();
                PostgresMigrator.Migrate(c);
            }
            using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 1);
            var election = IngestFixture.Election;

            // Matching counts: the first engine registers the election, a second one finds it.
            using (var stop = new CancellationTokenSource(Wait))
            {
                var log = new List<string>();
                using var host = new KafkaEngineHost(election, Settings(cluster.BootstrapServers, fresh), line => { lock (log) { log.Add(line); } })
                {
                    OnStarted = (_, _, _) => stop.Cancel(),
                };
                host.Run(stop.Token);
                Assert.True(host.StoppedProgress.ContainsKey(0), "partition 0's engine did not start: " + string.Join(" | ", log));
            }
            using (var host = new KafkaEngineHost(election, Settings(cluster.BootstrapServers, fresh), _ => { }))
            {
                host.CheckPartitionCount();
            }
            Assert.Equal((election.Id.ToString("D"), 1), ReadElection(fresh, election.Id));

            // The row says 3 (another election directory registered it first): refused.
            using (var c = new NpgsqlConnection(fresh))
            {
                c.Open();
                using var cmd = new NpgsqlCommand("update elections set partitions = 3 where election_id = $1", c);
                cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = election.Id });
                Assert.Equal(1, cmd.ExecuteNonQuery());
            }
            var settings = Settings(cluster.BootstrapServers, fresh);
            using (var host = new KafkaEngineHost(election, settings, _ => { }))
            {
                var e = Assert.Throws<ElectionPartitionMismatchException>(() => host.Run(CancellationToken.None));
                output.WriteLine(e.Message);
                Assert.Equal((3, 1), (e.StoredPartitions, e.ElectionPartitions));
                Assert.Contains("with 3 partition(s)", e.Message, StringComparison.Ordinal);
                Assert.Contains("election.json says 1", e.Message, StringComparison.Ordinal);
                Assert.Empty(host.Owned);
            }
            var (exit, stderr) = RunTvs(new Dictionary<string, string>
            {
                ["TVS_Engine__Mode"] = "test",
                ["TVS_Engine__Election"] = election.Directory,
                ["TVS_Engine__Data"] = settings.Data!,
                ["TVS_Engine__Kafka"] = cluster.BootstrapServers,
                ["TVS_Engine__Postgres"] = fresh,
            }, "engine", "run");
            output.WriteLine(stderr);
            Assert.Equal(ExitCodes.Unusable, exit);
            Assert.Contains("with 3 partition(s)", stderr, StringComparison.Ordinal);
            Assert.Equal((election.Id.ToString("D"), 3), ReadElection(fresh, election.Id)); // left as it was
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TestServices.DropDatabase(cs, db);
        }
    }

    private static (string Name, int Partitions) ReadElection(string cs, Guid id)
    {
        using var c = new NpgsqlConnection(cs);
        c.Open();
        using var cmd = new NpgsqlCommand("select name, partitions from elections where election_id = $1", c);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        return (r.GetString(0), r.GetInt32(1));
    }

    /// <summary>Runs <c>tvs</c> (the built tvs.dll next to the tests) to its exit; returns the exit code and stderr.</summary>
    private static (int Exit, string Stderr) RunTvs(Dictionary<string, string>? env, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tvs.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Wait))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tvs {string.Join(' ', args)} did not exit: {stderr.Result}");
        }
        return (p.ExitCode, stderr.Result + stdout.Result);
    }
}
