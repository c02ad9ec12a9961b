using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Npgsql;
using TVS.Engine.Processing;
using TVS.Ingest.Gateway;
using TVS.Ingest.Kafka;
using TVS.Ingest.Metrics;
using TVS.LoadGen;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Tests.Engine;
using Xunit.Abstractions;

namespace TVS.Tests.Ingest;

/// <summary>
/// The engine's Prometheus exporter scraped over HTTP: its counters equal the engine's stats and
/// the load's expected verdicts, partitions come and go with their series, the Kafka lag and the
/// Npgsql pools show up; and every metric the ops dashboard and alert rules use is exported.
/// </summary>
public class EngineMetricsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly ITestOutputHelper _output;

    public EngineMetricsTests(ITestOutputHelper output) => _output = output;

    private static string OpsFile(string name) => Path.Combine(ExternalTools.RepoRoot(), "docs", "ops", name);

    [Fact]
    public async Task Scrape_equals_the_engine_stats_and_the_loads_verdicts_and_unregister_removes_the_partition()
    {
        using var h = new EngineHarness(new LoadMix { Voters = 400, Duplicates = 0.05, BadProofs = 0.05, WrongRoots = 0.02, Malformed = 0.03, Seed = 23 });
        using var metrics = new EngineMetrics();
        var address = metrics.StartServer("127.0.0.1", 0);
        using var http = new HttpClient { BaseAddress = address, Timeout = Wait };
        const int Partition = 3;
        string p = Partition.ToString(CultureInfo.InvariantCulture);

        EngineStats stats;
        using (var partition = LocalPartition.Open(h.DataDir(), Partition, new FasterNullifierStoreOptions { IndexBuckets = 1 << 14, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 }))
        using (var input = LocalInputLog.Open(h.InputPath))
        {
            var engine = partition.CreateEngine(h.Election.CreateOpener(), h.Election.CreateAdmission(), h.Election.Signer, h.Election.Origin(Partition), EngineHarness.SmallOptions, input);
            stats = engine.Stats;
            metrics.Register(Partition, stats);
            var run = Task.Run(() => engine.Run(CancellationToken.None, stopAtEnd: true));
            // Scrapes while the engine runs must neither fail nor disturb it.
            while (!run.IsCompleted)
            {
                Assert.NotEmpty(Scrape.Parse(await http.GetStringAsync("/metrics")).Samples);
                await Task.Delay(50);
            }
            await run;
        }

        var s = Scrape.Parse(await http.GetStringAsync("/metrics"));
        var expected = h.Load.ExpectedCounts;
        int records = h.Load.Records.Count;
        _output.WriteLine($"{records} records; expected {string.Join(", ", expected.Select(kv => $"{kv.Key} {kv.Value}"))}");

        Assert.Equal(records, stats.Committed);
        Assert.Equal(stats.Read, s.Value("tvs_engine_records_read_total", ("partition", p)));
        Assert.Equal(records, s.Value("tvs_engine_records_committed_total", ("partition", p)));
        Assert.Equal(0, s.Value("tvs_engine_records_replayed_total", ("partition", p)));
        Assert.Equal(expected["accepted"], s.Value("tvs_engine_votes_accepted_total", ("partition", p)));
        Assert.Equal(stats.Accepted, s.Value("tvs_engine_votes_accepted_total", ("partition", p)));
        Assert.Equal(records - expected["accepted"], s.Value("tvs_engine_votes_rejected_total", ("partition", p)));
        Assert.Equal(stats.ProofsVerified, s.Value("tvs_engine_proofs_verified_total", ("partition", p)));
        Assert.Equal(stats.ProofsRefused, s.Value("tvs_engine_proofs_refused_total", ("partition", p)));
        Assert.Equal(0, s.Value("tvs_engine_records_in_flight", ("partition", p)));
        Assert.Equal(1, s.Value("tvs_engine_partitions"));

        // Rejections by reason: exactly the load's expected refusals, every other known code at zero.
        var byReason = s.Samples.Where(x => x.Name == "tvs_engine_rejections_total" && x.Labels["partition"] == p).ToDictionary(x => x.Labels["reason"], x => x.Value);
        foreach (var (code, count) in expected.Where(kv => kv.Key != "accepted"))
        {
            Assert.True(byReason.TryGetValue(code, out double got), $"no series for reason {code}");
            Assert.Equal(count, got);
        }
        Assert.Equal(records - expected["accepted"], byReason.Values.Sum());
        Assert.Contains("duplicate", byReason.Keys);
        Assert.Contains("unknown_root", byReason.Keys);
        Assert.True(expected.GetValueOrDefault("duplicate") > 0 && expected.GetValueOrDefault("unknown_root") > 0, "the load exercises duplicates and unknown roots");

        // Per-stage busy time and slots: every stage, equal to the stats.
        for (int i = 0; i < EngineStats.StageNames.Length; i++)
        {
            string stage = EngineStats.StageNames[i];
            Assert.Equal(stats.StageRecords[i], s.Value("tvs_engine_stage_records_total", ("partition", p), ("stage", stage)));
            Assert.Equal((double)stats.StageTicks[i] / System.Diagnostics.Stopwatch.Frequency, s.Value("tvs_engine_stage_busy_seconds_total", ("partition", p), ("stage", stage)), 9);
            Assert.True(stats.StageRecords[i] > 0, stage);
        }
        Assert.Equal(stats.Read, s.Value("tvs_engine_stage_records_total", ("partition", p), ("stage", "ingest")));

        // Latency: the histogram holds one sample per committed record; the one-minute gauges are set.
        Assert.Equal(records, s.Value("tvs_engine_vote_latency_seconds_count", ("partition", p)));
        Assert.Equal(records, s.Value("tvs_engine_vote_latency_seconds_bucket", ("partition", p), ("le", "+Inf")));
        double p99 = s.Value("tvs_engine_vote_latency_p99_seconds", ("partition", p));
        Assert.True(p99 > 0 && p99 >= stats.Latency.Percentile(0.99) / 1e6 * 0.9 && p99 <= (stats.Latency.MaxMicroseconds / 1e6 * 1.07) + 1e-6, $"p99 {p99}");
        Assert.True(s.Value("tvs_engine_votes_per_second", ("partition", p)) > 0);
        Assert.True(s.Value("tvs_engine_nullifier_check_latency_seconds", ("partition", p), ("operation", "lookup")) >= 0);
        Assert.True(s.Value("tvs_engine_nullifier_check_latency_seconds", ("partition", p), ("operation", "insert")) >= 0);

        // Merkle: every accepted vote is under the final signed checkpoint.
        Assert.Equal(expected["accepted"], s.Value("tvs_engine_mmr_leaves", ("partition", p)));
        Assert.Equal(expected["accepted"], s.Value("tvs_engine_checkpointed_leaves", ("partition", p)));
        Assert.Equal(0, s.Value("tvs_engine_merkle_update_lag", ("partition", p)));
        double signedAt = s.Value("tvs_engine_last_checkpoint_timestamp_seconds", ("partition", p));
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - signedAt, -5, 300);

        // No lag source registered: no lag series rather than a made-up zero.
        Assert.DoesNotContain(s.Samples, x => x.Name == "tvs_engine_kafka_consumer_lag");

        var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"partitions\":1", await health.Content.ReadAsStringAsync());

        Assert.True(metrics.Unregister(Partition));
        Assert.False(metrics.Unregister(Partition));
        var after = Scrape.Parse(await http.GetStringAsync("/metrics"));
        Assert.DoesNotContain(after.Samples, x => x.Labels.GetValueOrDefault("partition") == p);
        Assert.Equal(0, after.Value("tvs_engine_partitions"));

        // Registered again (a later assignment), the partition starts over from its new stats.
        metrics.Register(Partition, new EngineStats());
        var again = Scrape.Parse(await http.GetStringAsync("/metrics"));
        Assert.Equal(0, again.Value("tvs_engine_records_committed_total", ("partition", p)));
        Assert.Equal(0, again.Value("tvs_engine_vote_latency_seconds_count", ("partition", p)));
    }

    [Fact]
    public async Task Kafka_consumer_lag_is_the_input_logs_cached_high_watermark_minus_its_position()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 2);
        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaProducerSettings.Idempotent(cluster.BootstrapServers, "test-writer")).Build())
        {
            foreach (var r in IngestFixture.Load.Records.Take(50))
            {
                producer.Produce(new TopicPartition(KafkaTopics.Pending, 1), new Message<byte[], byte[]> { Key = r.Key, Value = r.Value });
            }
            Assert.Equal(0, producer.Flush(Wait));
        }
        using var metrics = new EngineMetrics();
        using var http = new HttpClient { BaseAddress = metrics.StartServer("localhost", 0), Timeout = Wait };
        var log = new KafkaInputLog(new KafkaInputLogOptions { BootstrapServers = cluster.BootstrapServers, Partition = 1 });
        try
        {
            Assert.Null(log.Lag); // not assigned yet
            log.Seek(0);
            for (int i = 0; i < 20; i++)
            {
                Assert.True(log.TryRead(Wait, out _), $"record {i}");
            }
            metrics.Register(1, new EngineStats(), () => log.Lag);

            double lag = double.NaN;
            var deadline = DateTime.UtcNow + Wait;
            while (DateTime.UtcNow < deadline)
            {
                lag = Scrape.Parse(await http.GetStringAsync("/metrics")).ValueOrNaN("tvs_engine_kafka_consumer_lag", ("partition", "1"));
                if (lag == 30)
                {
                    break;
                }
                await Task.Delay(50);
            }
            Assert.Equal(30, lag);
            Assert.Equal(30, log.Lag);
        }
        finally
        {
            log.Dispose();
        }
        // A disposed log has no lag: the series goes away instead of freezing, and the scrape still works.
        Assert.Null(log.Lag);
        var s = Scrape.Parse(await http.GetStringAsync("/metrics"));
        Assert.DoesNotContain(s.Samples, x => x.Name == "tvs_engine_kafka_consumer_lag");
        Assert.Equal(0, s.Value("tvs_engine_records_read_total", ("partition", "1")));
    }

    [Fact]
    public async Task Npgsql_pools_of_the_process_are_exported_without_registration()
    {
        using var metrics = new EngineMetrics();
        using var http = new HttpClient { BaseAddress = metrics.StartServer("127.0.0.1", 0), Timeout = Wait };
        string name = "tvs-metrics-test-" + Guid.NewGuid().ToString("N")[..8];
        // No server behind it: the pool's size and state are known without a connection.
        var dataSource = new NpgsqlDataSourceBuilder("Host=127.0.0.1;Port=1;Username=tvs;Maximum Pool Size=7") { Name = name }.Build();
        try
        {
            var s = Scrape.Parse(await http.GetStringAsync("/metrics"));
            Assert.Equal(7, s.Value("tvs_engine_db_connection_pool_max", ("pool", name)));
            Assert.Equal(0, s.Value("tvs_engine_db_connection_pool_usage", ("pool", name), ("state", "used")));
            Assert.Equal(0, s.Value("tvs_engine_db_connection_pool_usage", ("pool", name), ("state", "idle")));
            Assert.Equal(0, s.Value("tvs_engine_db_connection_pool_utilization", ("pool", name)));
            Assert.Equal(0, s.Value("tvs_engine_db_connection_pool_pending_requests", ("pool", name)));
            Assert.Equal(0, s.Value("tvs_engine_db_connection_pool_timeouts_total", ("pool", name)));
        }
        finally
        {
            await dataSource.DisposeAsync();
        }
        var gone = Scrape.Parse(await http.GetStringAsync("/metrics"));
        Assert.DoesNotContain(gone.Samples, x => x.Labels.GetValueOrDefault("pool") == name);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alert_rules_use_is_exported_by_the_engine_or_the_gateway()
    {
        // Engine: one partition with every optional series present (lag source, a signed checkpoint), one Npgsql pool.
        using var metrics = new EngineMetrics();
        using var engineHttp = new HttpClient { BaseAddress = metrics.StartServer("127.0.0.1", 0), Timeout = Wait };
        var stats = new EngineStats { LastCheckpointUnixMilliseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        metrics.Register(0, stats, () => 5);
        await using var dataSource = new NpgsqlDataSourceBuilder("Host=127.0.0.1;Port=1;Username=tvs") { Name = "tvs-names-test" }.Build();
        var names = Scrape.Parse(await engineHttp.GetStringAsync("/metrics")).Samples.Select(x => x.Name).ToHashSet(StringComparer.Ordinal);

        // Gateway: its request counter has a series once a request was answered.
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 1);
        await using (var gateway = await GatewayServer.StartAsync(new GatewayOptions { ElectionId = Guid.NewGuid(), BootstrapServers = cluster.BootstrapServers, Port = 0 }))
        {
            using var gatewayHttp = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = Wait };
            Assert.Equal(HttpStatusCode.OK, (await gatewayHttp.GetAsync("/healthz")).StatusCode);
            names.UnionWith(Scrape.Parse(await gatewayHttp.GetStringAsync("/metrics")).Samples.Select(x => x.Name));
        }

        var dashboard = JsonDocument.Parse(File.ReadAllText(OpsFile("grafana-dashboard.json"))).RootElement;
        var dashboardExpressions = DashboardExpressions(dashboard).ToList();
        var rules = RuleExpressions(Yaml.Parse(File.ReadAllText(OpsFile("alerts.rules.yml")))).ToList();
        Assert.True(dashboardExpressions.Count >= 10, $"{dashboardExpressions.Count} dashboard queries");
        Assert.True(rules.Count >= 10, $"{rules.Count} alert rules");

        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var expression in dashboardExpressions.Concat(rules))
        {
            foreach (Match m in Regex.Matches(expression, "tvs_[a-z0-9_]+"))
            {
                used.Add(m.Value);
            }
        }
        var missing = used.Where(n => !names.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "used but not exported: " + string.Join(", ", missing));
        // The seed's list is all there, under the engine's prefix.
        foreach (var seed in new[] { "votes_per_second", "vote_latency_p99_seconds", "nullifier_check_latency_seconds", "merkle_update_lag", "kafka_consumer_lag", "db_connection_pool_usage" })
        {
            Assert.Contains("tvs_engine_" + seed, names);
            Assert.Contains("tvs_engine_" + seed, used);
        }
        _output.WriteLine($"{used.Count} metric names used by {dashboardExpressions.Count} dashboard queries and {rules.Count} rules, all exported");
    }

    [Fact]
    public void Grafana_dashboard_is_an_importable_dashboard()
    {
        var root = JsonDocument.Parse(File.ReadAllText(OpsFile("grafana-dashboard.json"))).RootElement;
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("uid").GetString()));
        Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 30);
        var ids = new HashSet<int>();
        foreach (var panel in root.GetProperty("panels").EnumerateArray())
        {
            Assert.True(ids.Add(panel.GetProperty("id").GetInt32()), "panel ids are unique");
            var grid = panel.GetProperty("gridPos");
            Assert.InRange(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), 1, 24);
            if (panel.GetProperty("type").GetString() == "row")
            {
                continue;
            }
            Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("title").GetString()));
            Assert.Equal("prometheus", panel.GetProperty("datasource").GetProperty("type").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString())));
            Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
        }
        Assert.True(ids.Count >= 10);
    }

    [Fact]
    public void Alert_rules_file_has_the_prometheus_rules_structure()
    {
        var doc = Yaml.Parse(File.ReadAllText(OpsFile("alerts.rules.yml")));
        var groups = Assert.IsType<List<object?>>(Assert.IsType<Dictionary<string, object?>>(doc)["groups"]);
        Assert.NotEmpty(groups);
        var alerts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in groups)
        {
            var group = Assert.IsType<Dictionary<string, object?>>(g);
            Assert.False(string.IsNullOrWhiteSpace(Assert.IsType<string>(group["name"])));
            Assert.All(group.Keys, k => Assert.Contains(k, new[] { "name", "interval", "rules" }));
            foreach (var r in Assert.IsType<List<object?>>(group["rules"]))
            {
                var rule = Assert.IsType<Dictionary<string, object?>>(r);
                Assert.All(rule.Keys, k => Assert.Contains(k, new[] { "alert", "expr", "for", "labels", "annotations" }));
                string name = Assert.IsType<string>(rule["alert"]);
                Assert.Matches("^[A-Z][A-Za-z0-9]+$", name);
                Assert.True(alerts.Add(name), $"alert {name} defined twice");
                Assert.False(string.IsNullOrWhiteSpace(Assert.IsType<string>(rule["expr"])), name);
                Assert.Matches("^[0-9]+[smh]$", Assert.IsType<string>(rule["for"]));
                var labels = Assert.IsType<Dictionary<string, object?>>(rule["labels"]);
                Assert.Contains(Assert.IsType<string>(labels["severity"]), new[] { "warning", "critical" });
                var annotations = Assert.IsType<Dictionary<string, object?>>(rule["annotations"]);
                Assert.False(string.IsNullOrWhiteSpace(Assert.IsType<string>(annotations["summary"])), name);
                Assert.False(string.IsNullOrWhiteSpace(Assert.IsType<string>(annotations["description"])), name);
            }
        }
        foreach (var required in new[]
        {
            "TvsEngineDown", "TvsEngineNoProgress", "TvsVoteLatencyP99High", "TvsRejectionRateHigh", "TvsRejectionReasonSpike",
            "TvsKafkaConsumerLagHigh", "TvsMerkleCheckpointLagHigh", "TvsDbConnectionPoolExhausted", "TvsGatewayDown",
            "TvsGateway5xxHigh", "TvsGatewayKafkaFailures",
        })
        {
            Assert.Contains(required, alerts);
        }
    }

    private static IEnumerable<string> DashboardExpressions(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name is "expr" or "query" && p.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return p.Value.GetString()!;
                    }
                    else if (p.Name == "query" && p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String)
                    {
                        yield return q.GetString()!; // templating variables
                    }
                    else
                    {
                        foreach (var x in DashboardExpressions(p.Value))
                        {
                            yield return x;
                        }
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    foreach (var x in DashboardExpressions(item))
                    {
                        yield return x;
                    }
                }
                break;
        }
    }

    private static IEnumerable<string> RuleExpressions(object? doc)
    {
        var groups = (List<object?>)((Dictionary<string, object?>)doc!)["groups"]!;
        foreach (Dictionary<string, object?> group in groups.Cast<Dictionary<string, object?>>())
        {
            foreach (Dictionary<string, object?> rule in ((List<object?>)group["rules"]!).Cast<Dictionary<string, object?>>())
            {
                yield return (string)rule["expr"]!;
            }
        }
    }

    /// <summary>A Prometheus text exposition, parsed into samples.</summary>
    private sealed class Scrape
    {
        private Scrape(List<Sample> samples) => Samples = samples;

        public List<Sample> Samples { get; }

        public static Scrape Parse(string text)
        {
            var samples = new List<Sample>();
            foreach (var raw in text.Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                int brace = line.IndexOf('{');
                int space = line.LastIndexOf(' ');
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                string name;
                if (brace >= 0 && brace < space)
                {
                    name = line[..brace];
                    int close = line.LastIndexOf('}');
                    foreach (Match m in Regex.Matches(line[(brace + 1)..close], "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\""))
                    {
                        labels[m.Groups[1].Value] = Regex.Unescape(m.Groups[2].Value);
                    }
                }
                else
                {
                    name = line[..space];
                }
                string v = line[(space + 1)..];
                double value = v switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    "NaN" => double.NaN,
                    _ => double.Parse(v, CultureInfo.InvariantCulture),
                };
                samples.Add(new Sample(name, labels, value));
            }
            return new Scrape(samples);
        }

        /// <summary>The one sample of <paramref name="name"/> with exactly these labels.</summary>
        public double Value(string name, params (string Key, string Value)[] labels)
        {
            var match = Find(name, labels);
            Assert.True(match.Count == 1, $"{name}{{{string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}}: {match.Count} samples");
            return match[0].Value;
        }

        public double ValueOrNaN(string name, params (string Key, string Value)[] labels)
        {
            var match = Find(name, labels);
            return match.Count == 1 ? match[0].Value : double.NaN;
        }

        private List<Sample> Find(string name, (string Key, string Value)[] labels)
            => Samples.Where(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).ToList();
    }

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>
    /// The YAML a Prometheus rules file needs (block mappings and sequences, plain and quoted
    /// scalars, block scalars, comments), enough to check the file's structure without a YAML
    /// package. Mappings become dictionaries, sequences lists, scalars strings.
    /// </summary>
    internal static class Yaml
    {
        public static object? Parse(string text)
        {
            var lines = new List<(int Indent, string Text)>();
            foreach (var raw in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
            {
                Assert.DoesNotContain('\t', raw);
                string trimmed = raw.TrimStart(' ');
                if (trimmed.Length == 0 || trimmed[0] == '#' || trimmed == "---")
                {
                    lines.Add((-1, trimmed)); // kept for block scalars, skipped elsewhere
                    continue;
                }
                lines.Add((raw.Length - trimmed.Length, trimmed.TrimEnd()));
            }
            int i = 0;
            Skip(lines, ref i);
            var result = Block(lines, ref i, lines[i].Indent);
            Skip(lines, ref i);
            Assert.True(i == lines.Count, $"unparsed YAML from line {i + 1}: {(i < lines.Count ? lines[i].Text : "")}");
            return result;
        }

        private static void Skip(List<(int Indent, string Text)> lines, ref int i)
        {
            while (i < lines.Count && lines[i].Indent < 0)
            {
                i++;
            }
        }

        private static object? Block(List<(int Indent, string Text)> lines, ref int i, int indent)
        {
            Skip(lines, ref i);
            return lines[i].Text.StartsWith('-') ? Sequence(lines, ref i, indent) : Mapping(lines, ref i, indent);
        }

        private static List<object?> Sequence(List<(int Indent, string Text)> lines, ref int i, int indent)
        {
            var list = new List<object?>();
            while (true)
            {
                Skip(lines, ref i);
                if (i >= lines.Count || lines[i].Indent != indent || !lines[i].Text.StartsWith('-'))
                {
                    break;
                }
                string rest = lines[i].Text[1..].TrimStart();
                int restIndent = indent + (lines[i].Text.Length - rest.Length);
                if (rest.Length == 0)
                {
                    i++;
                    Skip(lines, ref i);
                    list.Add(Block(lines, ref i, lines[i].Indent));
                }
                else if (IsKey(rest))
                {
                    lines[i] = (restIndent, rest); // "- key: v" opens a mapping at the column of key
                    list.Add(Mapping(lines, ref i, restIndent));
                }
                else
                {
                    list.Add(Scalar(rest));
                    i++;
                }
            }
            Assert.True(i >= lines.Count || lines[i].Indent < indent, $"bad indentation at line {i + 1}");
            return list;
        }

        private static Dictionary<string, object?> Mapping(List<(int Indent, string Text)> lines, ref int i, int indent)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (true)
            {
                Skip(lines, ref i);
                if (i >= lines.Count || lines[i].Indent != indent)
                {
                    break;
                }
                string line = lines[i].Text;
                Assert.True(IsKey(line), $"expected key: value at line {i + 1}: {line}");
                int colon = KeyEnd(line);
                string key = Unquote(line[..colon].Trim());
                string value = StripComment(line[(colon + 1)..]).Trim();
                Assert.False(map.ContainsKey(key), $"duplicate key {key} at line {i + 1}");
                i++;
                if (value is "|" or ">" or "|-" or ">-" or "|+" or ">+")
                {
                    map[key] = BlockScalar(lines, ref i, indent, folded: value[0] == '>');
                }
                else if (value.Length > 0)
                {
                    map[key] = Scalar(value);
                }
                else
                {
                    Skip(lines, ref i);
                    map[key] = i < lines.Count && lines[i].Indent > indent ? Block(lines, ref i, lines[i].Indent) : null;
                }
            }
            Assert.True(i >= lines.Count || lines[i].Indent < indent, $"bad indentation at line {i + 1}: {(i < lines.Count ? lines[i].Text : "")}");
            return map;
        }

        private static string BlockScalar(List<(int Indent, string Text)> lines, ref int i, int parentIndent, bool folded)
        {
            var parts = new List<string>();
            while (i < lines.Count && (lines[i].Indent < 0 || lines[i].Indent > parentIndent))
            {
                parts.Add(lines[i].Indent < 0 ? "" : lines[i].Text);
                i++;
            }
            return string.Join(folded ? " " : "\n", parts).Trim();
        }

        private static bool IsKey(string text) => KeyEnd(text) > 0;

        /// <summary>Index of the colon ending a mapping key ("key:" or "key: value"), −1 if the text is no key.</summary>
        private static int KeyEnd(string text)
        {
            if (text.StartsWith('\'') || text.StartsWith('"'))
            {
                int close = text.IndexOf(text[0], 1);
                return close > 0 && close + 1 < text.Length && text[close + 1] == ':' ? close + 1 : -1;
            }
            for (int k = 0; k < text.Length; k++)
            {
                if (text[k] == ':' && (k + 1 == text.Length || text[k + 1] == ' '))
                {
                    return k;
                }
                if (text[k] is '#' or '{' or '[' or '\'' or '"')
                {
                    return -1;
                }
            }
            return -1;
        }

        private static string StripComment(string value)
        {
            string v = value.TrimStart();
            if (v.StartsWith('\'') || v.StartsWith('"'))
            {
                return v;
            }
            int hash = v.IndexOf(" #", StringComparison.Ordinal);
            return hash >= 0 ? v[..hash] : v;
        }

        private static string Scalar(string value)
        {
            value = StripComment(value).Trim();
            if (value.StartsWith('\''))
            {
                Assert.True(value.Length >= 2 && value.EndsWith('\''), $"unterminated quoted scalar: {value}");
                return value[1..^1].Replace("''", "'", StringComparison.Ordinal);
            }
            if (value.StartsWith('"'))
            {
                Assert.True(value.Length >= 2 && value.EndsWith('"'), $"unterminated quoted scalar: {value}");
                return Regex.Unescape(value[1..^1]);
            }
            return value;
        }

        private static string Unquote(string key) => key.Length >= 2 && (key[0] is '\'' or '"') ? key[1..^1] : key;
    }
}
