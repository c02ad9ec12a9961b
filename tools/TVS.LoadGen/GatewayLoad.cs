using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace TVS.LoadGen;

/// <summary>Where and how fast <see cref="GatewayLoad"/> posts votes (docs/operations.md, "Load-testing the production path").</summary>
public sealed record GatewayLoadOptions
{
    /// <summary>Gateway base addresses (<c>http://host:port</c>); request i goes to gateway i mod count.</summary>
    public required IReadOnlyList<Uri> Gateways { get; init; }

    public required Guid ElectionId { get; init; }

    /// <summary>Target requests per second over all gateways: request i is scheduled at start + i / rate (open loop).</summary>
    public required double Rate { get; init; }

    /// <summary>Requests in flight at most; when reached, sends wait, and their latency still counts from their scheduled time.</summary>
    public int Concurrency { get; init; } = 256;

    /// <summary>Per request, connection included: past it the request counts as a "timeout" error.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop scheduling after this long (null: send every vote).</summary>
    public TimeSpan? Duration { get; init; }
}

/// <summary>What a run did, as a load tester reports it (<c>tvs loadgen --gateway … --json</c>).</summary>
public sealed record GatewayLoadReport
{
    public required double TargetRate { get; init; }
    public required int Gateways { get; init; }
    public required int Concurrency { get; init; }

    /// <summary>Requests sent (each either answered or an error).</summary>
    public required long Requests { get; init; }

    /// <summary>Requests that got an HTTP answer, whatever its status.</summary>
    public required long Answered { get; init; }

    /// <summary>Requests without an answer (connection refused, timeout, reset…).</summary>
    public required long Errors { get; init; }

    /// <summary>From the first scheduled send to the last answer or error.</summary>
    public required double Seconds { get; init; }

    /// <summary>Requests completed (answered or failed) per second over <see cref="Seconds"/>.</summary>
    public double AchievedRate => Requests / Math.Max(Seconds, 1e-9);

    /// <summary>Latency of the answered requests, from their scheduled send time (no coordinated omission), in milliseconds.</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>How late the sender was against the schedule at worst (ms): large when the concurrency cap or the client's cores bound the rate.</summary>
    public required double MaxSendLagMs { get; init; }

    /// <summary>How long the sender waited for votes still being minted (ms): above 0, minting, not the gateways, bounded the rate.</summary>
    public double MintWaitMs { get; init; }

    /// <summary>Answers by HTTP status code.</summary>
    public required SortedDictionary<int, long> ByStatus { get; init; }

    /// <summary>Answers by the gateway's reason code (<c>{"code": …}</c> of a refusal; "accepted" for 202).</summary>
    public required SortedDictionary<string, long> ByCode { get; init; }

    /// <summary>Errors by kind: connection_refused, timeout, connection_reset, host_unreachable, other.</summary>
    public required SortedDictionary<string, long> ByError { get; init; }

    /// <summary>Per gateway, in the order given: requests sent, answered, and 202s.</summary>
    public required IReadOnlyList<GatewayCounts> PerGateway { get; init; }

    /// <summary>
    /// Whether the gateways took the load: no error, no 429 (rate limited), no 5xx. A refusal the
    /// mix asked for (a malformed record's 400) does not fail a run; <c>tvs loadgen</c> exits 1
    /// otherwise.
    /// </summary>
    public bool Ok => Errors == 0 && !ByStatus.Keys.Any(s => s == 429 || s >= 500);
}

public sealed record LatencySummary(double P50, double P90, double P99, double Max, double Mean);

public sealed record GatewayCounts(string Gateway, long Requests, long Answered, long Accepted);

/// <summary>
/// Posts sealed votes to one or more gateways (docs/formats.md, "Gateway API") at a target rate,
/// open loop: request i is due at start + i / rate whatever the answers before it, spread over
/// the gateways round-robin, with at most <see cref="GatewayLoadOptions.Concurrency"/> in flight.
/// Latency runs from the due time, so a slow gateway cannot hide its queueing by slowing the
/// sender (coordinated omission). One pooled <see cref="SocketsHttpHandler"/>; errors are counted,
/// never thrown. Counters are live (<see cref="Completed"/>) for a progress bar.
/// </summary>
public sealed class GatewayLoad
{
    private readonly GatewayLoadOptions _options;
    private readonly VoteFeed _feed;
    private readonly Uri[] _targets;
    private readonly long[] _latencyTicks;
    private readonly long[] _byStatus = new long[600];
    private readonly long[] _sentPerGateway, _answeredPerGateway, _acceptedPerGateway;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _byError = new(StringComparer.Ordinal);
    private long _completed, _answered, _errors, _maxLagTicks, _lastDoneTimestamp, _mintWaitTicks;

    /// <summary>Sends <paramref name="votes"/>, in order (each record's key is the nullifier header, its value the body).</summary>
    public GatewayLoad(GatewayLoadOptions options, IReadOnlyList<GeneratedRecord> votes)
        : this(options, new VoteFeed(votes))
    {
    }

    /// <summary>Sends what <paramref name="feed"/> mints, <see cref="VoteFeed.Count"/> requests.</summary>
    public GatewayLoad(GatewayLoadOptions options, VoteFeed feed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Rate, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        if (options.Gateways.Count == 0)
        {
            throw new ArgumentException("no gateway to send to", nameof(options));
        }
        _options = options;
        _feed = feed;
        _targets = new Uri[options.Gateways.Count];
        for (int g = 0; g < _targets.Length; g++)
        {
            _targets[g] = new Uri(options.Gateways[g], $"/v1/elections/{options.ElectionId:D}/votes");
        }
        _latencyTicks = new long[Planned];
        _sentPerGateway = new long[_targets.Length];
        _answeredPerGateway = new long[_targets.Length];
        _acceptedPerGateway = new long[_targets.Length];
    }

    /// <summary>Requests finished so far (answered or failed).</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Requests the run will send: every vote, or fewer when <see cref="GatewayLoadOptions.Duration"/> ends it first.</summary>
    public long Planned => _options.Duration is { } d ? Math.Min(_feed.Count, RequestsIn(d.TotalSeconds, _options.Rate)) : _feed.Count;

    /// <summary>Requests due within <paramref name="seconds"/> at <paramref name="rate"/> (the product rounded up, ignoring floating-point dust: 0.05 s at 500/s is 25).</summary>
    public static long RequestsIn(double seconds, double rate) => (long)Math.Ceiling(seconds * rate - 1e-9);

    public async Task<GatewayLoadReport> RunAsync(CancellationToken cancel = default)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = _options.Concurrency,
            ConnectTimeout = _options.Timeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        using var http = new HttpClient(handler) { Timeout = _options.Timeout };
        using var gate = new SemaphoreSlim(_options.Concurrency, _options.Concurrency);
        var contentType = new MediaTypeHeaderValue("application/octet-stream");
        long planned = Planned;
        double ticksPerRequest = Stopwatch.Frequency / _options.Rate;
        // The look-ahead is minted before the clock starts; later chunks are minted while sending.
        try
        {
            await _feed.FillAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            _feed.Dispose();
            return Report(0, 0);
        }
        long start = Stopwatch.GetTimestamp();
        long sent = 0;
        VoteChunk? chunk = null;
        int inChunk = 0;
        try
        {
            for (long i = 0; i < planned; i++)
            {
                if (chunk is null || inChunk == chunk.Records.Count)
                {
                    if (!_feed.TryNext(out chunk))
                    {
                        // Not minted yet (or the feed is done): only this wait is minting's.
                        long before = Stopwatch.GetTimestamp();
                        chunk = await _feed.NextAsync(cancel).ConfigureAwait(false);
                        _mintWaitTicks += Stopwatch.GetTimestamp() - before;
                    }
                    inChunk = 0;
                    if (chunk is null)
                    {
                        break; // the feed ran dry (fewer records than requests)
                    }
                }
                long due = start + (long)(i * ticksPerRequest);
                long wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    // Task.Delay has millisecond resolution: every request due within it goes out right after.
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancel).ConfigureAwait(false);
                }
                await gate.WaitAsync(cancel).ConfigureAwait(false);
                long lag = Stopwatch.GetTimestamp() - due;
                if (lag > Volatile.Read(ref _maxLagTicks))
                {
                    Volatile.Write(ref _maxLagTicks, lag); // the one sending loop writes it
                }
                int gateway = (int)(i % _targets.Length);
                _ = SendAsync(http, gate, contentType, chunk, inChunk++, i, gateway, due);
                sent++;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Stopped by the caller: report what was sent.
        }
        finally
        {
            _feed.Dispose(); // nothing more to mint
        }
        // Wait for the requests in flight: every permit back.
        for (int k = 0; k < _options.Concurrency; k++)
        {
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        long end = Math.Max(Volatile.Read(ref _lastDoneTimestamp), start);
        return Report(sent, (double)(end - start) / Stopwatch.Frequency);
    }

    private async Task SendAsync(HttpClient http, SemaphoreSlim gate, MediaTypeHeaderValue contentType, VoteChunk chunk, int offset, long index, int gateway, long due)
    {
        Interlocked.Increment(ref _sentPerGateway[gateway]);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _targets[gateway]) { Content = new ByteArrayContent(chunk.Records[offset].Value) };
            request.Content.Headers.ContentType = contentType;
            request.Headers.TryAddWithoutValidation("X-TVS-Nullifier", chunk.Nullifiers[offset]);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            long done = Stopwatch.GetTimestamp();
            _latencyTicks[index] = Math.Max(1, done - due);
            int status = (int)response.StatusCode;
            Interlocked.Increment(ref _byStatus[Math.Clamp(status, 0, _byStatus.Length - 1)]);
            Interlocked.Increment(ref _answered);
            Interlocked.Increment(ref _answeredPerGateway[gateway]);
            if (status == (int)HttpStatusCode.Accepted)
            {
                Interlocked.Increment(ref _acceptedPerGateway[gateway]);
                Count(_byCode, "accepted");
            }
            else
            {
                Count(_byCode, ReasonCode(body) ?? $"http_{status}");
            }
            MarkDone(done);
        }
        catch (Exception e)
        {
            // Counted, never thrown: a load test reports what the gateways did, including not answering.
            Interlocked.Increment(ref _errors);
            Count(_byError, ErrorKind(e));
            MarkDone(Stopwatch.GetTimestamp());
        }
        finally
        {
            Interlocked.Increment(ref _completed);
            gate.Release();
        }
    }

    private void MarkDone(long timestamp)
    {
        long seen = Volatile.Read(ref _lastDoneTimestamp);
        while (timestamp > seen)
        {
            long was = Interlocked.CompareExchange(ref _lastDoneTimestamp, timestamp, seen);
            if (was == seen)
            {
                return;
            }
            seen = was;
        }
    }

    private static void Count(ConcurrentDictionary<string, StrongBox<long>> counts, string key) =>
        Interlocked.Increment(ref counts.GetOrAdd(key, static _ => new StrongBox<long>()).Value);

    /// <summary>The <c>code</c> of a refusal's JSON body (docs/formats.md, "Gateway API"), or null when the body has none.</summary>
    private static string? ReasonCode(byte[] body)
    {
        if (body.Length == 0 || body[0] != (byte)'{')
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("code"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>A transport failure's kind, as load testers name them.</summary>
    private static string ErrorKind(Exception e)
    {
        if (e is TaskCanceledException)
        {
            return "timeout";
        }
        for (var inner = e; inner != null; inner = inner.InnerException)
        {
            if (inner is SocketException s)
            {
                return s.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection_refused",
                    SocketError.TimedOut => "timeout",
                    SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => "connection_reset",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.TryAgain => "host_unreachable",
                    _ => "socket_" + s.SocketErrorCode.ToString().ToLowerInvariant(),
                };
            }
            if (inner is HttpIOException)
            {
                return "connection_reset";
            }
        }
        return "other_" + e.GetType().Name;
    }

    private GatewayLoadReport Report(long sent, double seconds)
    {
        var answered = new long[Volatile.Read(ref _answered)];
        int n = 0;
        for (int i = 0; i < _latencyTicks.Length && n < answered.Length; i++)
        {
            if (_latencyTicks[i] > 0)
            {
                answered[n++] = _latencyTicks[i];
            }
        }
        Array.Sort(answered, 0, n);
        double ms = 1000.0 / Stopwatch.Frequency;
        double Percentile(double p) => n == 0 ? 0 : Math.Round(answered[Math.Min(n - 1, (int)Math.Ceiling(p * n) - 1)] * ms, 3);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += answered[i];
        }
        var byStatus = new SortedDictionary<int, long>();
        for (int s = 0; s < _byStatus.Length; s++)
        {
            if (_byStatus[s] > 0)
            {
                byStatus[s] = _byStatus[s];
            }
        }
        var perGateway = new GatewayCounts[_targets.Length];
        for (int g = 0; g < perGateway.Length; g++)
        {
            perGateway[g] = new GatewayCounts(_options.Gateways[g].ToString(), _sentPerGateway[g], _answeredPerGateway[g], _acceptedPerGateway[g]);
        }
        return new GatewayLoadReport
        {
            TargetRate = _options.Rate,
            Gateways = _targets.Length,
            Concurrency = _options.Concurrency,
            Requests = sent,
            Answered = n,
            Errors = Volatile.Read(ref _errors),
            Seconds = seconds,
            Latency = new LatencySummary(Percentile(0.50), Percentile(0.90), Percentile(0.99), n == 0 ? 0 : Math.Round(answered[n - 1] * ms, 3), n == 0 ? 0 : Math.Round(sum / n * ms, 3)),
            MaxSendLagMs = Math.Round(Math.Max(0, Volatile.Read(ref _maxLagTicks)) * ms, 3),
            MintWaitMs = Math.Round(_mintWaitTicks * ms, 3),
            ByStatus = byStatus,
            ByCode = new SortedDictionary<string, long>(_byCode.ToDictionary(kv => kv.Key, kv => kv.Value.Value), StringComparer.Ordinal),
            ByError = new SortedDictionary<string, long>(_byError.ToDictionary(kv => kv.Key, kv => kv.Value.Value), StringComparer.Ordinal),
            PerGateway = perGateway,
        };
    }
}
