using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Unicode;
using System.Threading.RateLimiting;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
using Prometheus;
using TVS.Crypto.Bn254;
using TVS.Engine;
using TVS.Engine.Board;
using TVS.Ingest.Kafka;

namespace TVS.Ingest.Gateway;

/// <summary>
/// The HTTP gateway (docs/formats.md "Gateway API"): takes sealed votes over HTTP and writes them
/// to votes.pending (key = the clear nullifier) with an idempotent producer, answering 202 only
/// once Kafka acknowledged the record. It cannot open envelopes (it holds no key): it checks what
/// it can see (election, nullifier, size) and bounds what hostile clients can cost it (Kestrel
/// limits, per-IP token buckets, a budget of buffered body bytes).
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly WebApplication _app;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly GatewayMetrics _metrics;
    private readonly PartitionedRateLimiter<HttpContext> _limiter;
    private readonly ObjectPool<KafkaDelivery> _deliveries;
    private long _bufferedBytes;
    private long _readyCheckedAt = -1;
    private bool _ready;

    private GatewayServer(GatewayOptions options)
    {
        _options = options;
        var config = KafkaProducerSettings.Idempotent(options.BootstrapServers, "tvs-gateway", options.KafkaExtra);
        // The gateway reads only error, partition and offset from a delivery report: the default
        // ("all") costs a Headers object and three native calls per record.
        config.DeliveryReportFields ??= "none";
        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, _) => { })
            .Build();
        _deliveries = KafkaDelivery.CreatePool(inline: false, retained: 4096);
        _metrics = new GatewayMetrics();

        var builder = WebApplication.CreateSlimBuilder();
        // Per-request logging would cost more than the request itself; errors go to the metrics.
        builder.Logging.ClearProviders();
        // Kestrel's transport and pipe continuations run on the socket's I/O thread instead of
        // being queued to the thread pool: on 2 cores the hops cost more than the request. Safe
        // only because nothing on a request's path blocks (Produce never waits, the readiness
        // check runs on the pool): see GatewayOptions.InlineIo.
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = options.InlineIo);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(options.Address, options.Port, l => l.Protocols = HttpProtocols.Http1);
            var limits = k.Limits;
            limits.MaxRequestBodySize = GatewayOptions.MaxEnvelope;
            limits.MinRequestBodyDataRate = new MinDataRate(options.MinBodyBytesPerSecond, options.BodyRateGrace);
            limits.MinResponseDataRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
            limits.MaxRequestHeadersTotalSize = 8 * 1024;
            limits.MaxRequestHeaderCount = 32;
            limits.MaxRequestLineSize = 2 * 1024;
            limits.MaxRequestBufferSize = 128 * 1024;
            limits.MaxConcurrentConnections = options.MaxConnections;
            limits.RequestHeadersTimeout = options.HeadersTimeout;
            limits.KeepAliveTimeout = options.KeepAliveTimeout;
        });
        // Per-client token buckets (System.Threading.RateLimiting), consulted by the handlers
        // themselves: the hot route skips the rate-limiting middleware and endpoint routing.
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, options.BurstPerClient),
            // Refilled every 100 ms: smooth enough, cheap enough.
            TokensPerPeriod = Math.Max(1, (int)Math.Round(options.RatePerClient / 10)),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        // One factory delegate for every request (a lambda here would be a new closure per call);
        // it runs only when a client's bucket is first made.
        Func<IPAddress, TokenBucketRateLimiterOptions> bucketFor = _ => bucket;
        _limiter = PartitionedRateLimiter.Create<HttpContext, IPAddress>(ctx => RateLimitPartition.GetTokenBucketLimiter(
            ctx.Connection.RemoteIpAddress ?? IPAddress.None, bucketFor));
        _app = builder.Build();
        _app.Use(_metrics.Middleware);
        // The one hot route, matched by hand before endpoint routing (which costs more than the
        // rest of a refused request).
        _app.Use((ctx, next) => HttpMethods.IsPost(ctx.Request.Method) && IsSubmitPath(ctx.Request.Path) ? Limited(ctx, Submit) : next(ctx));
        _app.UseRouting();
        _app.MapPost("/v1/elections/{id}/votes", ctx => Limited(ctx, Submit));
        _app.MapGet("/v1/elections/{id}/votes/{nullifier}", ctx => Limited(ctx, Lookup));
        _app.MapGet("/healthz", ctx => WriteJson(ctx, 200, "{\"status\":\"ok\"}"u8.ToArray()));
        _app.MapGet("/readyz", Ready);
        _app.MapMetrics("/metrics", _metrics.Registry);
        // Anything else: a JSON 404 like every other refusal.
        _app.MapFallback(ctx => WriteError(ctx, 404, Errors.NotFound));
    }

    /// <summary>http://address:port of the listening socket.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public GatewayMetrics Metrics => _metrics;

    /// <summary>Why the last readiness check failed (null when it passed): for logs and tests.</summary>
    public string? LastReadinessProblem { get; private set; }

    public static async Task<GatewayServer> StartAsync(GatewayOptions options)
    {
        if (options.Partitions is int partitions)
        {
            // Before anything listens: a gateway in front of a topic with another partition count
            // would route votes to partitions the election's engines and close do not cover.
            await Task.Run(() => Kafka.KafkaTopics.RequirePartitionCount(options.BootstrapServers, Kafka.KafkaTopics.Pending, partitions, extra: options.KafkaExtra)).ConfigureAwait(false);
        }
        var server = new GatewayServer(options);
        await server._app.StartAsync().ConfigureAwait(false);
        var addresses = server._app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        server.BaseAddress = new Uri(addresses.First());
        return server;
    }

    private async Task Submit(HttpContext ctx)
    {
        var request = ctx.Request;
        if (!IsThisElection(ctx))
        {
            await WriteError(ctx, 404, Errors.UnknownElection).ConfigureAwait(false);
            return;
        }
        if (request.ContentType is { } type && !type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            await WriteError(ctx, 415, Errors.ContentType).ConfigureAwait(false);
            return;
        }
        var key = new byte[32];
        var keyError = ParseNullifier(request.Headers[GatewayOptions.NullifierHeader], key);
        if (keyError != null)
        {
            await WriteError(ctx, 400, keyError).ConfigureAwait(false);
            return;
        }
        // The declared length decides everything before a byte of body is read or allocated.
        if (request.ContentLength is not { } length)
        {
            await WriteError(ctx, 411, Errors.LengthRequired).ConfigureAwait(false);
            return;
        }
        if (length > GatewayOptions.MaxEnvelope)
        {
            await WriteError(ctx, 413, Errors.TooLarge).ConfigureAwait(false);
            return;
        }
        if (length < GatewayOptions.MinEnvelope)
        {
            await WriteError(ctx, 400, Errors.TooSmall).ConfigureAwait(false);
            return;
        }
        if (Interlocked.Add(ref _bufferedBytes, length) > _options.MaxBufferedBodyBytes)
        {
            Interlocked.Add(ref _bufferedBytes, -length);
            ctx.Response.Headers.RetryAfter = "1";
            await WriteError(ctx, 503, Errors.Busy).ConfigureAwait(false);
            return;
        }
        DeliveryOutcome delivery;
        try
        {
            // Exact length: the Kafka client takes a whole byte[] (it copies it into its own buffer).
            var body = new byte[length];
            try
            {
                await request.Body.ReadExactlyAsync(body, ctx.RequestAborted).ConfigureAwait(false);
                // Anything past the declared length is refused by Kestrel itself; nothing to check.
            }
            catch (Exception e) when (e is Microsoft.AspNetCore.Http.BadHttpRequestException or EndOfStreamException or IOException or OperationCanceledException)
            {
                // Truncated, too slow (MinRequestBodyDataRate), or the client went away.
                _metrics.BodyFailures.Inc();
                if (!ctx.RequestAborted.IsCancellationRequested && !ctx.Response.HasStarted)
                {
                    await WriteError(ctx, 400, Errors.BodyIncomplete).ConfigureAwait(false);
                }
                return;
            }
            // Not tied to the request's cancellation: once produced, the record is delivered
            // anyway; only the answer could be lost (the client may retry: the engine keeps the
            // first vote per nullifier).
            var pending = _deliveries.Get();
            var outcome = pending.Outcome;
            try
            {
                _producer.Produce(KafkaTopics.Pending, new Message<byte[], byte[]> { Key = key, Value = body, Headers = NoHeaders }, pending.OnDelivery);
            }
            catch (ProduceException<byte[], byte[]> e)
            {
                // Refused before queueing (e.g. the local queue is full): no report will come.
                pending.Abandon();
                await KafkaFailed(ctx, e.Error.Code).ConfigureAwait(false);
                return;
            }
            delivery = await outcome.ConfigureAwait(false);
            if (delivery.Error != ErrorCode.NoError)
            {
                await KafkaFailed(ctx, delivery.Error).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            Interlocked.Add(ref _bufferedBytes, -length);
        }
        _options.Status?.Submitted(key, delivery.Partition, delivery.Offset);
        await WriteAccepted(ctx, delivery.Partition, delivery.Offset).ConfigureAwait(false);
    }

    /// <summary>
    /// Shared by every record: the producer only reads it (the value serializer ignores headers),
    /// and a null would make it allocate an empty Headers per record. Never add to it.
    /// </summary>
    private static readonly Headers NoHeaders = [];

    private Task KafkaFailed(HttpContext ctx, ErrorCode code)
    {
        _metrics.KafkaFailures.Inc();
        ctx.Response.Headers.RetryAfter = "1";
        return WriteError(ctx, 503, code == ErrorCode.MsgSizeTooLarge ? Errors.TooLarge : Errors.KafkaUnavailable);
    }

    private async Task Lookup(HttpContext ctx)
    {
        if (!IsThisElection(ctx))
        {
            await WriteError(ctx, 404, Errors.UnknownElection).ConfigureAwait(false);
            return;
        }
        var key = new byte[32];
        var error = ParseNullifier(ctx.Request.RouteValues["nullifier"] as string, key);
        if (error != null)
        {
            await WriteError(ctx, 400, error).ConfigureAwait(false);
            return;
        }
        if (_options.Receipts is { } receipts)
        {
            // The authority first: an accepted vote gets its receipt from PostgreSQL and the board.
            ReceiptLookup found;
            try
            {
                found = await receipts.LookupAsync(Nullifier.FromBytes(key), ctx.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _metrics.ReceiptFailures.Inc();
                ctx.Response.Headers.RetryAfter = "1";
                await WriteError(ctx, 503, Errors.StoreUnavailable).ConfigureAwait(false);
                return;
            }
            if (found.State != ReceiptState.NotFound)
            {
                await WriteJson(ctx, 200, AcceptedJson(found, ctx)).ConfigureAwait(false);
                return;
            }
        }
        var status = _options.Status?.Get(key) ?? VoteStatus.Unknown;
        string json = status.State switch
        {
            VoteState.Pending => "{\"status\":\"pending\"}",
            VoteState.Accepted => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"status\":\"accepted\",\"mmrIndex\":{status.MmrIndex},\"partition\":{status.Partition}}}"),
            VoteState.Rejected => $"{{\"status\":\"rejected\",\"reason\":{System.Text.Json.JsonSerializer.Serialize(status.Reason ?? "unknown", GatewayJson.Default.String)}}}",
            _ => "",
        };
        await (status.State == VoteState.Unknown ? WriteError(ctx, 404, Errors.UnknownVote) : WriteJson(ctx, 200, Encoding.UTF8.GetBytes(json))).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>{"status":"accepted","mmrIndex":N,"partition":P,"receipt":{…}}</c>; the receipt is null
    /// (with Retry-After) while the board's latest checkpoint does not cover the vote yet.
    /// </summary>
    private static byte[] AcceptedJson(in ReceiptLookup found, HttpContext ctx)
    {
        string head = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"status\":\"accepted\",\"mmrIndex\":{found.Index},\"partition\":{found.Partition},\"receipt\":");
        if (found.Json is null)
        {
            ctx.Response.Headers.RetryAfter = "5";
            return Encoding.UTF8.GetBytes(head + "null}");
        }
        var bytes = new byte[Encoding.UTF8.GetByteCount(head) + found.Json.Length + 1];
        int n = Encoding.UTF8.GetBytes(head, bytes);
        found.Json.CopyTo(bytes, n);
        bytes[^1] = (byte)'}';
        return bytes;
    }

    private async Task Ready(HttpContext ctx)
    {
        // Kafka reachable: metadata for votes.pending with a leader for every partition. Cached a
        // second so that probes cannot turn into a metadata storm.
        long checkedAt = Volatile.Read(ref _readyCheckedAt);
        if (checkedAt < 0 || Environment.TickCount64 - checkedAt > 1000)
        {
            _ready = await Task.Run(CheckKafka).ConfigureAwait(false);
            Volatile.Write(ref _readyCheckedAt, Environment.TickCount64);
        }
        await (_ready
            ? WriteJson(ctx, 200, "{\"status\":\"ready\"}"u8.ToArray())
            : WriteError(ctx, 503, Errors.KafkaUnavailable)).ConfigureAwait(false);
    }

    private bool CheckKafka()
    {
        try
        {
            using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
            var md = admin.GetMetadata(KafkaTopics.Pending, TimeSpan.FromSeconds(2));
            var t = md.Topics.FirstOrDefault(x => x.Topic == KafkaTopics.Pending);
            bool ok = md.Brokers.Count > 0 && t is { Error.Code: ErrorCode.NoError } && t.Partitions.Count > 0 && t.Partitions.All(p => p.Leader >= 0);
            LastReadinessProblem = ok ? null : $"{KafkaTopics.Pending}: {t?.Error.Reason ?? "absent"}, {md.Brokers.Count} brokers";
            return ok;
        }
        catch (KafkaException e)
        {
            LastReadinessProblem = e.Message;
            return false;
        }
    }

    private const string ElectionsPrefix = "/v1/elections/";

    /// <summary>/v1/elections/{id}/votes with any single-segment id.</summary>
    private static bool IsSubmitPath(PathString path)
    {
        var p = path.Value.AsSpan();
        if (!p.StartsWith(ElectionsPrefix, StringComparison.Ordinal) || !p.EndsWith("/votes", StringComparison.Ordinal))
        {
            return false;
        }
        var id = p[ElectionsPrefix.Length..^"/votes".Length];
        return id.Length > 0 && !id.Contains('/');
    }

    private Task Limited(HttpContext ctx, Func<HttpContext, Task> handler)
    {
        using var lease = _limiter.AttemptAcquire(ctx);
        if (!lease.IsAcquired)
        {
            ctx.Response.Headers.RetryAfter = "1";
            return WriteError(ctx, 429, Errors.RateLimited);
        }
        return handler(ctx);
    }

    /// <summary>The election segment of the path equals this gateway's (no route values needed).</summary>
    private bool IsThisElection(HttpContext ctx)
    {
        var p = ctx.Request.Path.Value.AsSpan();
        if (!p.StartsWith(ElectionsPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        p = p[ElectionsPrefix.Length..];
        int slash = p.IndexOf('/');
        return Guid.TryParse(slash < 0 ? p : p[..slash], out var g) && g == _options.ElectionId;
    }

    /// <summary>64 hex digits, a value below the BN254 scalar order r (what the circuit can output). Null when fine.</summary>
    private static byte[]? ParseNullifier(string? hex, Span<byte> key)
    {
        if (hex is null || hex.Length != 64)
        {
            return Errors.BadNullifier;
        }
        if (Convert.FromHexString(hex, key, out _, out int written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return Errors.BadNullifier;
        }
        return Fr.TryFromBigEndian(key, out _) ? null : Errors.NullifierRange;
    }

    private static byte[]? ParseNullifier(Microsoft.Extensions.Primitives.StringValues values, Span<byte> key)
        => values.Count == 1 ? ParseNullifier(values[0], key) : Errors.BadNullifier;

    private static Task WriteAccepted(HttpContext ctx, int partition, long offset)
    {
        var response = ctx.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "application/json";
        var writer = response.BodyWriter;
        var span = writer.GetSpan(96);
        Utf8.TryWrite(span, System.Globalization.CultureInfo.InvariantCulture, $"{{\"partition\":{partition},\"offset\":{offset}}}", out int n);
        response.ContentLength = n;
        writer.Advance(n);
        return Task.CompletedTask;
    }

    private static Task WriteJson(HttpContext ctx, int status, byte[] json)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        return ctx.Response.Body.WriteAsync(json, 0, json.Length);
    }

    private static Task WriteError(HttpContext ctx, int status, byte[] json)
    {
        if (ctx.Response.HasStarted)
        {
            return Task.CompletedTask;
        }
        // The body of a refused request is not drained: close the connection instead of reading
        // (up to) 64 KiB of it.
        if (ctx.Request.ContentLength is > 0 && status != 202)
        {
            ctx.Response.Headers.Connection = "close";
        }
        return WriteJson(ctx, status, json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _limiter.Dispose();
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    /// <summary>Every refusal's JSON body, made once: {code, message}.</summary>
    internal static class Errors
    {
        public static readonly byte[] StoreUnavailable = Make("store_unavailable", "the vote store or the bulletin board did not answer; retry");
        public static readonly byte[] UnknownElection = Make("unknown_election", "this gateway takes votes for another election");
        public static readonly byte[] ContentType = Make("unsupported_media_type", "the body must be application/octet-stream (the sealed envelope)");
        public static readonly byte[] BadNullifier = Make("bad_nullifier", "X-TVS-Nullifier must be 64 hexadecimal digits (32 bytes, big-endian)");
        public static readonly byte[] NullifierRange = Make("nullifier_out_of_range", "the nullifier must be below the BN254 scalar field order r");
        public static readonly byte[] LengthRequired = Make("length_required", "Content-Length is required");
        public static readonly byte[] TooLarge = Make("too_large", $"the envelope is larger than {GatewayOptions.MaxEnvelope} bytes");
        public static readonly byte[] TooSmall = Make("too_small", $"the envelope is smaller than {GatewayOptions.MinEnvelope} bytes");
        public static readonly byte[] BodyIncomplete = Make("body_incomplete", "the body ended early or arrived too slowly");
        public static readonly byte[] Busy = Make("busy", "the gateway holds too many bodies in flight; retry later");
        public static readonly byte[] RateLimited = Make("rate_limited", "too many requests from this client; retry later");
        public static readonly byte[] KafkaUnavailable = Make("kafka_unavailable", "the vote could not be stored; retry later");
        public static readonly byte[] UnknownVote = Make("unknown_vote", "no vote with this nullifier is known here");
        public static readonly byte[] NotFound = Make("not_found", "no such resource");

        private static byte[] Make(string code, string message)
            => Encoding.UTF8.GetBytes($"{{\"code\":\"{code}\",\"message\":\"{message}\"}}");
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class GatewayJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Prometheus metrics of one gateway (its own registry, so several gateways in one process stay apart).</summary>
public sealed class GatewayMetrics
{
    private readonly Counter.Child?[] _byStatus = new Counter.Child?[600];
    private readonly Counter _requests;
    private readonly Histogram _latency;

    public GatewayMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("tvs_gateway_requests_total", "HTTP requests by status code", ["code"]);
        _latency = factory.CreateHistogram("tvs_gateway_request_duration_seconds", "HTTP request latency, first byte in to response written",
            new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        BodyFailures = factory.CreateCounter("tvs_gateway_body_failures_total", "request bodies that ended early, arrived too slowly or were abandoned");
        KafkaFailures = factory.CreateCounter("tvs_gateway_kafka_failures_total", "votes Kafka did not acknowledge (answered 503)");
        ReceiptFailures = factory.CreateCounter("tvs_gateway_receipt_failures_total", "receipt lookups the vote store or the board did not answer (answered 503)");
        InFlight = factory.CreateGauge("tvs_gateway_requests_in_flight", "requests being served");
    }

    public CollectorRegistry Registry { get; }

    public Counter BodyFailures { get; }

    public Counter KafkaFailures { get; }

    public Counter ReceiptFailures { get; }

    public Gauge InFlight { get; }

    /// <summary>Requests answered with <paramref name="status"/> so far.</summary>
    public double Count(int status) => _byStatus[status]?.Value ?? 0;

    /// <summary>
    /// The counter of one status, made on first use and then cached: no label lookup per request,
    /// and only statuses that happened are exported.
    /// </summary>
    private Counter.Child ByStatus(int status)
        => _byStatus[status] ??= _requests.WithLabels(status.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal async Task Middleware(HttpContext ctx, Func<Task> next)
    {
        long start = Stopwatch.GetTimestamp();
        InFlight.Inc();
        try
        {
            await next().ConfigureAwait(false);
        }
        finally
        {
            int status = ctx.Response.StatusCode;
            ByStatus(status is >= 100 and < 600 ? status : 500).Inc();
            _latency.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            InFlight.Dec();
        }
    }
}
