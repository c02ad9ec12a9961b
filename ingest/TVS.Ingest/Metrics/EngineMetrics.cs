using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using TVS.Engine.Processing;

namespace TVS.Ingest.Metrics;

/// <summary>
/// Prometheus exporter of one engine process (docs/ops/metrics.md): the partitions it runs,
/// registered and unregistered as Kafka assigns and revokes them, and the Npgsql connection pools
/// of the process. Every value is read from <see cref="EngineStats"/> when Prometheus scrapes
/// (a before-collect callback), never on the vote path: the stats are plain counters, each with
/// one writer thread, read racily here, which is fine for counters that only grow.
/// </summary>
/// <remarks>
/// Thread-safe: <see cref="Register"/>, <see cref="Unregister"/> and scrapes may run at once.
/// Database pools: Npgsql publishes its pool state through System.Diagnostics.Metrics; this class
/// listens to those instruments itself (not prometheus-net's meter adapter, which would export
/// every meter of the process under OpenTelemetry names) and exports them as
/// <c>tvs_engine_db_connection_pool_*</c>, so no data source has to be registered.
/// </remarks>
public sealed class EngineMetrics : IDisposable
{
    /// <summary>Span of the gauges the seed names as rates or percentiles (votes per second, p99, nullifier check latency).</summary>
    public static readonly TimeSpan GaugeWindow = TimeSpan.FromMinutes(1);

    private readonly object _gate = new();
    private readonly Dictionary<int, PartitionSeries> _partitions = [];
    private readonly HashSet<string> _exportedPools = new(StringComparer.Ordinal);
    private readonly EngineCollectors _collectors;
    private readonly NpgsqlPoolObserver? _pools;
    private WebApplication? _server;
    private bool _disposed;

    /// <param name="registry">Where the metrics live; null: a registry of their own (with the process and .NET runtime metrics).</param>
    /// <param name="observeNpgsqlPools">Export the process's Npgsql connection pools (db_connection_pool_usage).</param>
    public EngineMetrics(CollectorRegistry? registry = null, bool observeNpgsqlPools = true)
    {
        if (registry is null)
        {
            registry = Prometheus.Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
        }
        Registry = registry;
        _collectors = new EngineCollectors(registry);
        _pools = observeNpgsqlPools ? new NpgsqlPoolObserver() : null;
        registry.AddBeforeCollectCallback(Collect);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>http://address:port of the metrics server once <see cref="StartServer"/> returned.</summary>
    public Uri? Address { get; private set; }

    /// <summary>Partitions currently registered.</summary>
    public IReadOnlyList<int> Partitions
    {
        get
        {
            lock (_gate)
            {
                return [.. _partitions.Keys.Order()];
            }
        }
    }

    /// <summary>
    /// Serves <c>GET /metrics</c> (Prometheus text format) and <c>GET /healthz</c> on
    /// <paramref name="host"/> (an IP address, "localhost", or "*" / "0.0.0.0" for every interface)
    /// and <paramref name="port"/> (0 picks a free one). Returns the bound address.
    /// </summary>
    public Uri StartServer(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        var address = ParseHost(host);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_server != null)
            {
                throw new InvalidOperationException("the metrics server is already running");
            }
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Listen(address, port, l => l.Protocols = HttpProtocols.Http1);
            });
            var app = builder.Build();
            app.MapMetrics("/metrics", Registry);
            app.MapGet("/healthz", Healthz);
            app.StartAsync().GetAwaiter().GetResult();
            _server = app;
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Address = new Uri(bound);
            return Address;
        }
    }

    /// <summary>
    /// Starts exporting <paramref name="partition"/>'s <paramref name="stats"/> (call when the
    /// partition is assigned, with the stats of the engine that runs it). <paramref name="consumerLag"/>
    /// gives its Kafka consumer lag (e.g. <c>() => inputLog.Lag</c>), called at scrape time; null
    /// leaves kafka_consumer_lag out. Registering a partition again replaces it (its counters start
    /// over from the new stats).
    /// </summary>
    public void Register(int partition, EngineStats stats, Func<long?>? consumerLag = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentNullException.ThrowIfNull(stats);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_partitions.Remove(partition, out var old))
            {
                old.Remove();
            }
            _partitions[partition] = new PartitionSeries(_collectors, partition, stats, consumerLag, GaugeWindow);
            _collectors.Partitions.Set(_partitions.Count);
        }
    }

    /// <summary>Stops exporting <paramref name="partition"/> and removes its series (call when it is revoked). False if it was not registered.</summary>
    public bool Unregister(int partition)
    {
        lock (_gate)
        {
            if (!_partitions.Remove(partition, out var series))
            {
                return false;
            }
            series.Remove();
            _collectors.Partitions.Set(_partitions.Count);
            return true;
        }
    }

    private void Collect()
    {
        lock (_gate)
        {
            foreach (var series in _partitions.Values)
            {
                series.Collect();
            }
            _collectors.Partitions.Set(_partitions.Count);
            CollectPools();
        }
    }

    private void CollectPools()
    {
        if (_pools is null)
        {
            return;
        }
        var c = _collectors;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pool in _pools.Sample())
        {
            seen.Add(pool.Name);
            c.PoolUsage.WithLabels(pool.Name, "used").Set(pool.Used);
            c.PoolUsage.WithLabels(pool.Name, "idle").Set(pool.Idle);
            c.PoolMax.WithLabels(pool.Name).Set(pool.Max);
            c.PoolUtilization.WithLabels(pool.Name).Set(pool.Max > 0 ? (double)pool.Used / pool.Max : double.NaN);
            c.PoolPending.WithLabels(pool.Name).Set(pool.Pending);
            c.PoolTimeouts.WithLabels(pool.Name).IncTo(pool.Timeouts);
        }
        // A disposed data source is no longer reported: drop its series rather than freeze them.
        foreach (var gone in _exportedPools.Where(p => !seen.Contains(p)).ToList())
        {
            c.PoolUsage.RemoveLabelled(gone, "used");
            c.PoolUsage.RemoveLabelled(gone, "idle");
            c.PoolMax.RemoveLabelled(gone);
            c.PoolUtilization.RemoveLabelled(gone);
            c.PoolPending.RemoveLabelled(gone);
            c.PoolTimeouts.RemoveLabelled(gone);
            _exportedPools.Remove(gone);
        }
        _exportedPools.UnionWith(seen);
    }

    private Task Healthz(HttpContext ctx)
    {
        int partitions;
        lock (_gate)
        {
            partitions = _partitions.Count;
        }
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{{\"status\":\"ok\",\"partitions\":{partitions}}}"));
    }

    private static IPAddress ParseHost(string host) => host switch
    {
        "" or "*" or "+" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(host.Trim('[', ']'), out var ip) => ip,
        _ => Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new ArgumentException($"{host} does not resolve to an address", nameof(host)),
    };

    public void Dispose()
    {
        WebApplication? server;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            server = _server;
            _server = null;
        }
        if (server != null)
        {
            server.StopAsync().GetAwaiter().GetResult();
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _pools?.Dispose();
    }
}
