using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using TVS.Cli;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.Ingest.Gateway;
using TVS.Ingest.Kafka;
using TVS.LoadGen;
using Xunit.Abstractions;

namespace TVS.Tests.Ingest;

/// <summary>
/// <c>tvs loadgen --gateway</c> against real <see cref="GatewayServer"/>s on the in-process mock
/// Kafka cluster: the votes arrive at the target rate, the report counts what the gateways
/// answered (checked against what Kafka holds), every vote that reached Kafka is one the engine
/// accepts and the tally counts (opened with the ingest key, its proof verified, its ballot
/// decrypted with the election key's secret to a valid choice); a gateway that is down is
/// counted, not thrown; an election without its test material is refused naming what it lacks.
/// </summary>
public sealed class LoadgenGatewayTests : IDisposable
{
    private const int Partitions = 3;
    private readonly ITestOutputHelper _output;
    private readonly string _root = Directory.CreateTempSubdirectory("tvs-loadgen-gw-").FullName;

    public LoadgenGatewayTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A simulated election of <see cref="Partitions"/> partitions with its test material: trapdoor, signed roots, election key (5 of 9) and contests.</summary>
    private (string Dir, LocalCeremonyResult Ceremony, ContestList Contests) CreateElection(string name = "election")
    {
        string dir = Path.Combine(_root, name);
        var id = Guid.NewGuid();
        ElectionSetup.CreateSimulated(dir, rootCount: 2, id: id, partitions: Partitions).Dispose();
        var ceremony = LocalCeremony.Run(new DkgParameters(id, 5, 9));
        CeremonyFiles.WriteJson(Path.Combine(dir, ElectionRecord.ElectionKeyFile), CeremonyFiles.ToJson(ceremony.Result));
        var contests = ContestList.Sample();
        contests.Write(Path.Combine(dir, ContestList.FileName));
        return (dir, ceremony, contests);
    }

    private static Task<GatewayServer> StartGateway(MockKafkaCluster cluster, Guid election) =>
        GatewayServer.StartAsync(new GatewayOptions
        {
            ElectionId = election,
            BootstrapServers = cluster.BootstrapServers,
            Port = 0,
            Partitions = Partitions,
            RatePerClient = 100_000,
            BurstPerClient = 100_000,
        });

    private (int Exit, JsonNode? Report, string Err) Loadgen(EngineCommands.LoadgenHttpRequest request)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = EngineCommands.LoadgenToGateways(request, output, error);
        _output.WriteLine($"exit {exit}\n{output}{error}");
        return (exit, output.ToString().TrimStart().StartsWith('{') ? JsonNode.Parse(output.ToString()) : null, error.ToString());
    }

    private static long Count(JsonNode report, string group, string key) => (long?)report[group]?[key] ?? 0;

    [Fact]
    public async Task Posts_tallyable_votes_at_the_rate_and_reports_what_the_gateways_answered()
    {
        var (dir, ceremony, contests) = CreateElection();
        using var election = ElectionSetup.Load(dir, allowInsecure: true);
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: Partitions);
        await using var first = await StartGateway(cluster, election.Id);
        await using var second = await StartGateway(cluster, election.Id);

        // 150 requests at 150/s: voters' votes with about 4 % malformed records mixed in (some refused
        // by the gateway, some only by the engine).
        const int Voters = 150;
        const double Rate = 150;
        var (exit, report, _) = await Task.Run(() => Loadgen(new EngineCommands.LoadgenHttpRequest(dir, [first.BaseAddress.ToString(), second.BaseAddress.ToString()],
            Rate, Voters, null, Concurrency: 16, TimeoutSeconds: 30, Seed: 7, Malformed: 0.04, Json: true)));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.NotNull(report);
        long requests = (long)report["requests"]!;
        Assert.Equal(Voters, requests);
        Assert.Equal(requests, (long)report["answered"]!);
        Assert.Equal(0, (long)report["errors"]!);
        Assert.True((bool)report["ok"]!);

        // Open loop: request i is not sent before i / rate, so the run cannot be shorter than the schedule.
        Assert.True((double)report["seconds"]! >= (requests - 1) / Rate, $"finished in {(double)report["seconds"]!} s, before its schedule");
        Assert.True((double)report["achievedRate"]! <= Rate * 1.02);
        Assert.True((double)report["latencyMs"]!["p50"]! > 0 && (double)report["latencyMs"]!["max"]! >= (double)report["latencyMs"]!["p99"]!);

        // Round-robin over the two gateways.
        var gateways = report["gateways"]!.AsArray();
        Assert.Equal(2, gateways.Count);
        Assert.Equal(requests / 2, (long)gateways[0]!["requests"]!);
        Assert.Equal(requests - requests / 2, (long)gateways[1]!["requests"]!);

        // The report's counts are the gateways' answers: every 202 is a record in votes.pending, and
        // the refusals are the malformed records the gateway checks (a 31-byte key, a short body).
        long accepted = Count(report, "byCode", "accepted");
        Assert.Equal(accepted, Count(report, "byStatus", "202"));
        Assert.Equal(requests, accepted + Count(report, "byCode", "bad_nullifier") + Count(report, "byCode", "too_small"));
        long refusedByGateway = Count(report, "byCode", "bad_nullifier") + Count(report, "byCode", "too_small");
        Assert.InRange(refusedByGateway, 1, 6);
        var records = ReadPending(cluster);
        Assert.Equal(accepted, records.Count);
        Assert.Equal(accepted, (long)gateways[0]!["accepted"]! + (long)gateways[1]!["accepted"]!);

        // Every voter's vote is tallyable: it opens with the ingest key, its proof verifies under an
        // accepted root, and its ballot decrypts with the election key's secret to valid choices.
        var opener = election.CreateOpener();
        var admission = election.CreateAdmission();
        int[] set = [1, 3, 5, 7, 9];
        var secret = Lagrange.InterpolateAtZero(set, set.Select(j => ceremony.Shares[j - 1]).ToArray());
        var candidates = contests.CandidateCounts();
        var plaintext = new byte[VoteRecord.MaxPlaintext];
        var choices = new ushort[candidates.Length];
        var tally = candidates.Select(c => new long[c]).ToArray();
        int tallyable = 0, unopenable = 0;
        var partitionsSeen = new HashSet<int>();
        foreach (var (partition, key, value) in records)
        {
            if (!opener.Open(key, value, plaintext, out var record, out int length).IsAccepted)
            {
                unopenable++; // a malformed record the engine refuses (tampered envelope, other election, nullifier mismatch)
                continue;
            }
            Assert.True(admission.Verify(record, plaintext.AsSpan(0, length)).IsAccepted);
            Assert.Equal(BallotError.None, BallotCipher.DecryptWithSecret(record.Ballot(plaintext), election.Id, secret, choices, out int n));
            Assert.Equal(candidates.Length, n);
            for (int k = 0; k < n; k++)
            {
                Assert.InRange(choices[k], 0, candidates[k] - 1);
                tally[k][choices[k]]++;
            }
            Assert.Equal(KeyPartitioner.PartitionOf(key, Partitions), partition);
            partitionsSeen.Add(partition);
            tallyable++;
        }
        // Of the 6 malformed records minted, those sent were refused by the gateway or cannot be opened; every other vote counts.
        Assert.Equal(accepted, tallyable + unopenable);
        Assert.InRange(refusedByGateway + unopenable, 1, 6);
        Assert.InRange(tallyable, Voters - 6, Voters - 1);
        Assert.Equal(Partitions, partitionsSeen.Count);
        Assert.All(tally, contest => Assert.Equal(tallyable, contest.Sum()));
    }

    [Fact]
    public async Task A_run_longer_than_the_look_ahead_is_minted_chunk_by_chunk_with_fresh_nullifiers()
    {
        var (dir, _, _) = CreateElection();
        using var election = ElectionSetup.Load(dir, allowInsecure: true);
        var material = TestMaterial.TryLoad(election, out var missing) ?? throw new InvalidOperationException(string.Join("; ", missing));
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: Partitions);
        await using var gateway = await StartGateway(cluster, election.Id);
        var chunks = new List<int>();
        // 100 requests, 16 voters a chunk, at most 2 chunks waiting: 7 chunks, most minted while sending.
        using var feed = new VoteFeed(100, (k, voters) =>
        {
            lock (chunks)
            {
                chunks.Add(voters);
            }
            return LoadGenerator.Generate(election, material.Apply(new LoadMix { Voters = voters, Duplicates = 0, BadProofs = 0, Malformed = 0, Seed = 1000 + k })).Records;
        }, chunkVoters: 16, chunksAhead: 2);
        var report = await new GatewayLoad(new GatewayLoadOptions { Gateways = [gateway.BaseAddress], ElectionId = election.Id, Rate = 400, Concurrency = 8 }, feed).RunAsync();
        Assert.Equal(100, report.Requests);
        Assert.Equal(100, report.ByCode.GetValueOrDefault("accepted"));
        Assert.Equal([16, 16, 16, 16, 16, 16, 4], chunks);
        var records = ReadPending(cluster);
        Assert.Equal(100, records.Count);
        Assert.Equal(100, records.Select(r => Convert.ToHexString(r.Key)).Distinct().Count()); // no chunk repeats another's voters
    }

    [Fact]
    public async Task A_gateway_that_is_down_is_counted_as_errors_and_the_run_fails_without_a_crash()
    {
        var (dir, _, _) = CreateElection();
        using var election = ElectionSetup.Load(dir, allowInsecure: true);
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: Partitions);
        await using var up = await StartGateway(cluster, election.Id);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int downPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now: connection refused

        var (exit, report, _) = await Task.Run(() => Loadgen(new EngineCommands.LoadgenHttpRequest(dir, [up.BaseAddress.ToString(), $"http://127.0.0.1:{downPort}"],
            Rate: 200, Votes: 40, DurationSeconds: null, Concurrency: 8, TimeoutSeconds: 10, Seed: 3, Json: true)));
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.NotNull(report);
        Assert.False((bool)report["ok"]!);
        Assert.Equal(40, (long)report["requests"]!);
        Assert.Equal(20, (long)report["errors"]!);
        Assert.Equal(20, Count(report, "byError", "connection_refused"));
        Assert.Equal(20, Count(report, "byCode", "accepted"));
        Assert.Equal(20, ReadPending(cluster).Count);

        // Every gateway down: all errors, still a report.
        var (allDown, downReport, _) = await Task.Run(() => Loadgen(new EngineCommands.LoadgenHttpRequest(dir, [$"http://127.0.0.1:{downPort}"],
            Rate: 500, Votes: null, DurationSeconds: 0.05, Concurrency: 4, TimeoutSeconds: 5, Seed: 4, Json: true)));
        Assert.Equal(ExitCodes.Failed, allDown);
        Assert.Equal(25, (long)downReport!["requests"]!);
        Assert.Equal(25, Count(downReport, "byError", "connection_refused"));
        Assert.Equal(0, (long)downReport["answered"]!);

        // A gateway that takes connections and never answers: each request is a timeout, counted.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(backlog: 64); // the kernel completes the handshakes; nobody reads
        try
        {
            var (timedOut, silentReport, _) = await Task.Run(() => Loadgen(new EngineCommands.LoadgenHttpRequest(dir, [$"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"],
                Rate: 100, Votes: 6, DurationSeconds: null, Concurrency: 6, TimeoutSeconds: 1, Seed: 5, Json: true)));
            Assert.Equal(ExitCodes.Failed, timedOut);
            Assert.Equal(6, Count(silentReport!, "byError", "timeout"));
            Assert.True((double)silentReport!["seconds"]! >= 1, "a timeout ends no sooner than --timeout");
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public void An_election_without_its_test_material_is_refused_naming_what_is_missing()
    {
        string bare = Path.Combine(_root, "bare");
        ElectionSetup.CreateSimulated(bare).Dispose();
        var request = new EngineCommands.LoadgenHttpRequest(bare, ["http://127.0.0.1:9"], 10, 5, null, 4, 5, Seed: 1);
        var (exit, _, err) = Loadgen(request);
        Assert.Equal(ExitCodes.Unusable, exit);
        Assert.Contains("test material", err);
        Assert.Contains(ElectionRecord.ElectionKeyFile, err);
        Assert.Contains(ContestList.FileName, err);
        Assert.DoesNotContain(ElectionSetup.TrapdoorFile, err);

        // With the key and contests but without the trapdoor: that is what is named.
        var (dir, _, _) = CreateElection("no-trapdoor");
        File.Delete(Path.Combine(dir, ElectionSetup.SecretsDirectory, ElectionSetup.TrapdoorFile));
        var (exit2, _, err2) = Loadgen(request with { ElectionDir = dir });
        Assert.Equal(ExitCodes.Unusable, exit2);
        Assert.Contains(ElectionSetup.TrapdoorFile, err2);
        Assert.DoesNotContain(ElectionRecord.ElectionKeyFile, err2);

        // No election directory at all, and usage errors.
        Assert.Equal(ExitCodes.Unusable, Loadgen(request with { ElectionDir = Path.Combine(_root, "nothing") }).Exit);
        Assert.Equal(ExitCodes.Usage, Loadgen(request with { ElectionDir = dir, Rate = 0 }).Exit);
        Assert.Equal(ExitCodes.Usage, Loadgen(request with { ElectionDir = dir, DurationSeconds = 3 }).Exit); // both --votes and --duration
        Assert.Equal(ExitCodes.Usage, Loadgen(request with { ElectionDir = dir, Gateways = ["ftp://x"] }).Exit);

        // More requests than one run can track: refused before minting.
        var tooMany = Loadgen(request with { ElectionDir = dir, Votes = null, DurationSeconds = 1e6, Rate = 1e9 });
        Assert.Equal(ExitCodes.Usage, tooMany.Exit);
        Assert.Contains("split the run", tooMany.Err);
    }

    /// <summary>Every record of votes.pending, partition by partition.</summary>
    private static List<(int Partition, byte[] Key, byte[] Value)> ReadPending(MockKafkaCluster cluster)
    {
        var all = new List<(int, byte[], byte[])>();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "loadgen-check", EnableAutoCommit = false }).Build();
        for (int p = 0; p < Partitions; p++)
        {
            long high = cluster.Watermarks(KafkaTopics.Pending, p).High.Value;
            if (high == 0)
            {
                continue;
            }
            consumer.Assign(new TopicPartitionOffset(KafkaTopics.Pending, p, 0));
            for (long read = 0; read < high;)
            {
                var r = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"votes.pending partition {p}: {read} of {high} records read");
                all.Add((p, r.Message.Key, r.Message.Value));
                read++;
            }
        }
        return all;
    }
}
