using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;
using TVS.Ingest.Gateway;
using TVS.Ingest.Kafka;
using Xunit.Abstractions;

namespace TVS.Tests.Ingest;

/// <summary>
/// The HTTP gateway against the in-process mock cluster: valid votes are acknowledged only after
/// Kafka, byte-exact; hostile requests are all refused with the right status while valid ones
/// keep flowing; health and readiness.
/// </summary>
public class GatewayTests
{
    private readonly ITestOutputHelper _output;

    public GatewayTests(ITestOutputHelper output) => _output = output;

    private static Guid Election => IngestFixture.Election.Id;

    private static string VotesPath(Guid election) => $"/v1/elections/{election:D}/votes";

    /// <summary>An HttpClient whose connections come from <paramref name="source"/> (a loopback address): one "client" to the rate limiter.</summary>
    private static HttpClient ClientFrom(Uri baseAddress, string source, int maxConnections = 8)
    {
        var address = IPAddress.Parse(source);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            ConnectCallback = async (ctx, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(address, 0));
                    await socket.ConnectAsync(ctx.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    private static HttpRequestMessage Vote(Guid election, string? nullifierHex, byte[] body, bool expectContinue = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, VotesPath(election)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (nullifierHex != null)
        {
            request.Headers.TryAddWithoutValidation(GatewayOptions.NullifierHeader, nullifierHex);
        }
        if (expectContinue)
        {
            request.Headers.ExpectContinue = true;
        }
        return request;
    }

    private static byte[] RandomNullifier(Random rng)
    {
        var n = new byte[32];
        rng.NextBytes(n);
        n[0] &= 0x1f; // below r (r ≈ 0x30644e72… · 2^224)
        return n;
    }

    private static async Task<(HttpStatusCode Status, string Code)> Send(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        string code = "";
        if (text.Length > 0 && text[0] == '{')
        {
            using var doc = JsonDocument.Parse(text);
            code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString()! : "";
        }
        return (response.StatusCode, code);
    }

    [Fact]
    public async Task Valid_votes_get_202_after_the_ack_and_land_byte_exact_in_votes_pending()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 3, partitions: 4);
        var book = new InMemoryVoteStatusBook();
        await using var gateway = await GatewayServer.StartAsync(new GatewayOptions { ElectionId = Election, BootstrapServers = cluster.BootstrapServers, Port = 0, Status = book, RatePerClient = 1000, BurstPerClient = 1000 });
        using var client = ClientFrom(gateway.BaseAddress, "127.0.0.1");
        var votes = IngestFixture.Load.Records.Where(r => r.Expected == "accepted").Take(100).ToList();
        var acks = new List<(int Partition, long Offset)>();
        foreach (var v in votes)
        {
            using var response = await client.SendAsync(Vote(Election, Convert.ToHexString(v.Key), v.Value));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            acks.Add((doc.RootElement.GetProperty("partition").GetInt32(), doc.RootElement.GetProperty("offset").GetInt64()));
        }
        // The answer names the record's real place: read it back there.
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "check" }).Build();
        for (int i = 0; i < votes.Count; i++)
        {
            consumer.Assign(new TopicPartitionOffset(KafkaTopics.Pending, acks[i].Partition, acks[i].Offset));
            var r = consumer.Consume(TimeSpan.FromSeconds(10));
            Assert.NotNull(r);
            Assert.Equal(acks[i].Offset, r.Offset.Value);
            Assert.Equal(votes[i].Key, r.Message.Key);
            Assert.Equal(votes[i].Value, r.Message.Value);
        }
        Assert.True(acks.Select(a => a.Partition).Distinct().Count() > 1, "keys should spread over partitions");
        for (int p = 0; p < 4; p++)
        {
            Assert.Equal(0, cluster.LowWatermark(KafkaTopics.Pending, p));
        }

        // Status: pending after the ack, then the engine's verdicts (published the way the flush stage does).
        var n0 = Convert.ToHexString(votes[0].Key);
        var (s0, _) = await Send(client, new HttpRequestMessage(HttpMethod.Get, $"{VotesPath(Election)}/{n0}"));
        Assert.Equal(HttpStatusCode.OK, s0);
        Assert.Contains("\"pending\"", await client.GetStringAsync($"{VotesPath(Election)}/{n0}"));
        using (var feeder = new VoteStatusFeeder(cluster.BootstrapServers, book))
        {
            var batch = new VoteBatch(Election, acks[0].Partition);
            batch.AddAccepted(7, acks[0].Offset, votes[0].Plaintext, TVS.Merkle.Rfc9162.HashLeaf(votes[0].Plaintext), 0);
            using (var publisher = new ValidatedPublisher(cluster.BootstrapServers, acks[0].Partition))
            {
                publisher.Publish(batch);
            }
            var rejected = new VoteBatch(Election, acks[1].Partition);
            rejected.AddRejected(acks[1].Offset, VoteRejectReason.UnknownRoot, votes[1].Key, votes[1].Value, 0);
            // A later duplicate of an accepted nullifier does not change its status.
            using (var sink = new KafkaDeadLetterSink(cluster.BootstrapServers, acks[1].Partition))
            {
                sink.Write(rejected);
            }
            Assert.True(SpinWait.SpinUntil(() => book.Get(votes[0].Key).State == VoteState.Accepted && book.Get(votes[1].Key).State == VoteState.Rejected, TimeSpan.FromSeconds(20)));
        }
        Assert.Equal("{\"status\":\"accepted\",\"mmrIndex\":7,\"partition\":" + acks[0].Partition + "}", await client.GetStringAsync($"{VotesPath(Election)}/{n0}"));
        Assert.Equal("{\"status\":\"rejected\",\"reason\":\"unknown_root\"}", await client.GetStringAsync($"{VotesPath(Election)}/{Convert.ToHexString(votes[1].Key)}"));
        Assert.Equal((HttpStatusCode.NotFound, "unknown_vote"), await Send(client, new HttpRequestMessage(HttpMethod.Get, $"{VotesPath(Election)}/{new string('0', 64)}")));
        Assert.Equal((HttpStatusCode.BadRequest, "bad_nullifier"), await Send(client, new HttpRequestMessage(HttpMethod.Get, $"{VotesPath(Election)}/xyz")));
        Assert.Equal(100, gateway.Metrics.Count(202));
    }

    [Fact]
    public async Task Health_readiness_and_no_202_without_kafka()
    {
        var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 2);
        await using var gateway = await GatewayServer.StartAsync(new GatewayOptions
        {
            ElectionId = Election,
            BootstrapServers = cluster.BootstrapServers,
            Port = 0,
            KafkaExtra = new Dictionary<string, string> { ["message.timeout.ms"] = "2000" },
        });
        using var client = ClientFrom(gateway.BaseAddress, "127.0.0.1");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.True(HttpStatusCode.OK == (await client.GetAsync("/readyz")).StatusCode, gateway.LastReadinessProblem);
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("tvs_gateway_requests_total{code=\"200\"}", metrics);
        Assert.Contains("tvs_gateway_request_duration_seconds_bucket", metrics);

        var vote = IngestFixture.Load.Records.First(r => r.Expected == "accepted");
        Assert.Equal(HttpStatusCode.Accepted, (await Send(client, Vote(Election, Convert.ToHexString(vote.Key), vote.Value))).Status);

        cluster.Dispose(); // Kafka gone: the process is up, not ready, and takes no vote
        await Task.Delay(1200); // past the readiness cache
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "kafka_unavailable"), await Send(client, new HttpRequestMessage(HttpMethod.Get, "/readyz")));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "kafka_unavailable"), await Send(client, Vote(Election, Convert.ToHexString(vote.Key), vote.Value)));
        Assert.Equal(1, gateway.Metrics.Count(202));
    }

    /// <summary>Opens a raw connection from <paramref name="source"/>, sends <paramref name="head"/>, and returns the socket.</summary>
    private static async Task<Socket> Raw(Uri gateway, string source, string head)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        await socket.ConnectAsync(IPAddress.Loopback, gateway.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        return socket;
    }

    /// <summary>Reads until the server closes (or the timeout); returns what it said.</summary>
    private static async Task<(string Text, bool Closed)> ReadUntilClosed(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (text.ToString(), true);
                }
                text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException)
        {
            return (text.ToString(), false);
        }
        catch (SocketException)
        {
            return (text.ToString(), true); // reset by the server
        }
    }

    /// <summary>Requests of each malformed kind.</summary>
    private const int PerKind = 1250;

    [Fact]
    public async Task Ten_thousand_hostile_requests_are_refused_with_the_right_status_while_valid_votes_keep_flowing()
    {
        using var cluster = MockKafkaCluster.Start(brokers: 1, partitions: 4);
        await using var gateway = await GatewayServer.StartAsync(new GatewayOptions
        {
            ElectionId = Election,
            BootstrapServers = cluster.BootstrapServers,
            Port = 0,
            RatePerClient = 100,
            BurstPerClient = 400,
            MinBodyBytesPerSecond = 4096,
            BodyRateGrace = TimeSpan.FromSeconds(1.5),
            HeadersTimeout = TimeSpan.FromSeconds(1),
        });
        var rng = new Random(42);
        var r = IngestFixture.Load.Records.First(x => x.Expected == "accepted");
        string goodHex = Convert.ToHexString(r.Key);
        var okBody = r.Value;
        string rHex = "30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001"; // r itself: out of range

        // In all, 12,290 hostile requests: eight kinds of malformed request, 1,250 each, from
        // clients that stay inside their rate limit (250 requests per loopback address), so each
        // must get its own refusal, not 429; 250 connections of raw garbage; a flood of 2,000 from
        // one client; 20 slow and 20 truncated requests.
        var kinds = new (string Name, HttpStatusCode Status, string Code, Func<HttpRequestMessage> Make)[]
        {
            ("oversized", HttpStatusCode.RequestEntityTooLarge, "too_large", () => Vote(Election, goodHex, new byte[GatewayOptions.MaxEnvelope + 1 + rng.Next(1000)], expectContinue: true)),
            ("too small", HttpStatusCode.BadRequest, "too_small", () => Vote(Election, goodHex, okBody.AsSpan(0, rng.Next(0, GatewayOptions.MinEnvelope)).ToArray())),
            ("garbage nullifier", HttpStatusCode.BadRequest, "bad_nullifier", () => Vote(Election, "zz" + goodHex[2..], okBody)),
            ("short nullifier", HttpStatusCode.BadRequest, "bad_nullifier", () => Vote(Election, goodHex[..(rng.Next(0, 63))], okBody)),
            ("missing nullifier", HttpStatusCode.BadRequest, "bad_nullifier", () => Vote(Election, null, okBody)),
            ("nullifier >= r", HttpStatusCode.BadRequest, "nullifier_out_of_range", () => Vote(Election, rHex, okBody)),
            ("wrong election", HttpStatusCode.NotFound, "unknown_election", () => Vote(Guid.NewGuid(), goodHex, okBody)),
            ("wrong content type", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", () =>
            {
                var m = Vote(Election, goodHex, okBody);
                m.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
                return m;
            }),
        };
        var wrong = new ConcurrentQueue<string>();
        var hostile = new List<Task>();
        int sourceIndex = 0;
        foreach (var kind in kinds)
        {
            for (int c = 0; c < PerKind / 250; c++)
            {
                string source = $"127.0.1.{++sourceIndex}";
                var requests = Enumerable.Range(0, 250).Select(_ => kind.Make()).ToList();
                hostile.Add(Task.Run(async () =>
                {
                    using var client = ClientFrom(gateway.BaseAddress, source, maxConnections: 2);
                    foreach (var request in requests)
                    {
                        var (status, code) = await Send(client, request);
                        if (status != kind.Status || code != kind.Code)
                        {
                            wrong.Enqueue($"{kind.Name}: {(int)status} {code}");
                        }
                    }
                }));
            }
        }

        // Garbage: bytes that are not HTTP at all; Kestrel answers 400 and closes the connection.
        var garbage = Enumerable.Range(0, 250).Select(i => Task.Run(async () =>
        {
            var grng = new Random(1000 + i);
            var bytes = new byte[grng.Next(1, 3000)];
            grng.NextBytes(bytes);
            bytes[0] = 0x01; // never a method's first character
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using (socket)
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.5.{(i % 250) + 1}"), 0));
                await socket.ConnectAsync(IPAddress.Loopback, gateway.BaseAddress.Port);
                try
                {
                    await socket.SendAsync(bytes);
                    await socket.SendAsync("\r\n\r\n"u8.ToArray());
                }
                catch (SocketException)
                {
                    // Kestrel may close before it has read everything: the answer below still counts.
                }
                var (text, closed) = await ReadUntilClosed(socket, TimeSpan.FromSeconds(8));
                if (!closed || !text.StartsWith("HTTP/1.1 400", StringComparison.Ordinal))
                {
                    wrong.Enqueue($"garbage: closed={closed} {text.Split('\r')[0]}");
                }
            }
        })).ToList();

        // The flood: one client sends 2,000 well-formed votes as fast as it can; past its burst
        // of 400 (and 100/s refill) it must get 429.
        int floodAccepted = 0, floodLimited = 0;
        double floodSeconds = 0;
        var flood = Task.Run(async () =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            using var client = ClientFrom(gateway.BaseAddress, "127.0.2.1", maxConnections: 16);
            var frng = new Random(7);
            var requests = Enumerable.Range(0, 2000).Select(_ => Vote(Election, Convert.ToHexString(RandomNullifier(frng)), okBody)).ToList();
            await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (request, _) =>
            {
                var (status, code) = await Send(client, request);
                if (status == HttpStatusCode.Accepted)
                {
                    Interlocked.Increment(ref floodAccepted);
                }
                else if (status == HttpStatusCode.TooManyRequests && code == "rate_limited")
                {
                    Interlocked.Increment(ref floodLimited);
                }
                else
                {
                    wrong.Enqueue($"flood: {(int)status} {code}");
                }
            });
            floodSeconds = started.Elapsed.TotalSeconds;
        });

        // Slow clients: bodies trickled far below the minimum data rate, and headers that never end.
        var slow = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            bool body = i % 2 == 0;
            string head = body
                ? $"POST {VotesPath(Election)} HTTP/1.1\r\nHost: x\r\n{GatewayOptions.NullifierHeader}: {goodHex}\r\nContent-Type: application/octet-stream\r\nContent-Length: {okBody.Length}\r\n\r\n"
                : $"POST {VotesPath(Election)} HTTP/1.1\r\nHost: x\r\n";
            using var socket = await Raw(gateway.BaseAddress, $"127.0.3.{i + 1}", head);
            var trickle = Task.Run(async () =>
            {
                try
                {
                    for (int k = 0; k < 40; k++)
                    {
                        await Task.Delay(250);
                        await socket.SendAsync(body ? new byte[] { okBody[k] } : "X"u8.ToArray());
                    }
                }
                catch (SocketException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            });
            var (text, closed) = await ReadUntilClosed(socket, TimeSpan.FromSeconds(8));
            if (!closed)
            {
                wrong.Enqueue($"slow {(body ? "body" : "headers")}: connection still open after 8 s");
            }
            return text;
        })).ToList();

        // Truncated bodies: the client declares a length, sends part of it and stops sending.
        var truncated = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            string head = $"POST {VotesPath(Election)} HTTP/1.1\r\nHost: x\r\n{GatewayOptions.NullifierHeader}: {goodHex}\r\nContent-Length: {okBody.Length}\r\n\r\n";
            using var socket = await Raw(gateway.BaseAddress, $"127.0.4.{i + 1}", head);
            await socket.SendAsync(okBody.AsMemory(0, okBody.Length / 2));
            socket.Shutdown(SocketShutdown.Send);
            var (text, closed) = await ReadUntilClosed(socket, TimeSpan.FromSeconds(8));
            if (!closed || (text.Length > 0 && !text.StartsWith("HTTP/1.1 400", StringComparison.Ordinal)))
            {
                wrong.Enqueue($"truncated: closed={closed} {text.Split('\r')[0]}");
            }
        })).ToList();

        // Meanwhile an honest client from its own address sends real sealed votes: every one is taken.
        var valid = IngestFixture.Load.Records.Where(x => x.Expected == "accepted").Take(200).ToList();
        using (var honest = ClientFrom(gateway.BaseAddress, "127.0.0.2"))
        {
            var start = DateTime.UtcNow;
            foreach (var v in valid)
            {
                var (status, code) = await Send(honest, Vote(Election, Convert.ToHexString(v.Key), v.Value));
                Assert.True(status == HttpStatusCode.Accepted, $"valid vote refused during the attack: {(int)status} {code}");
                // Paced inside the honest client's own limit (100/s).
                await Task.Delay(8);
            }
            _output.WriteLine($"200 valid votes during the attack in {(DateTime.UtcNow - start).TotalSeconds:F1} s");
        }

        await Task.WhenAll(hostile);
        await flood;
        await Task.WhenAll(slow);
        await Task.WhenAll(truncated);
        await Task.WhenAll(garbage);
        foreach (var line in wrong.GroupBy(x => x).Select(g => $"{g.Count()} × {g.Key}"))
        {
            _output.WriteLine(line);
        }
        Assert.Empty(wrong);
        _output.WriteLine($"flood: {floodAccepted} accepted, {floodLimited} rate-limited in {floodSeconds:F1} s");
        Assert.Equal(2000, floodAccepted + floodLimited);
        // A token bucket lets through its burst plus its refill over the flood's duration, no more
        // (one extra refill period of slack); the rest is refused.
        Assert.True(floodAccepted <= 400 + 100 * (floodSeconds + 0.2), $"{floodAccepted} of the flood passed in {floodSeconds:F1} s");
        Assert.True(floodAccepted >= 400, $"the flood's burst should pass: {floodAccepted}");
        Assert.True(floodLimited > 0, "the flood was never rate-limited");

        // Only accepted requests reached Kafka: nothing from the hostile ones.
        long inKafka = 0;
        for (int p = 0; p < 4; p++)
        {
            var w = cluster.Watermarks(KafkaTopics.Pending, p);
            Assert.Equal(0, w.Low.Value);
            inKafka += w.High.Value;
        }
        Assert.Equal(valid.Count + floodAccepted, inKafka);
        Assert.Equal(valid.Count + floodAccepted, gateway.Metrics.Count(202));
        Assert.Equal(floodLimited, gateway.Metrics.Count(429));
        // Each refusal the application itself makes, by status (raw garbage and slow or truncated
        // bodies are refused by Kestrel or cut, some before the metrics middleware sees them).
        Assert.Equal(PerKind, gateway.Metrics.Count(413));
        Assert.Equal(PerKind, gateway.Metrics.Count(404));
        Assert.Equal(PerKind, gateway.Metrics.Count(415));
        Assert.InRange(gateway.Metrics.Count(400), 5 * PerKind, 5 * PerKind + 40);
        Assert.Equal(0, gateway.Metrics.Count(503));

        // And the gateway still serves.
        using var after = ClientFrom(gateway.BaseAddress, "127.0.0.5");
        Assert.Equal(HttpStatusCode.Accepted, (await Send(after, Vote(Election, Convert.ToHexString(valid[0].Key), valid[0].Value))).Status);
    }
}
