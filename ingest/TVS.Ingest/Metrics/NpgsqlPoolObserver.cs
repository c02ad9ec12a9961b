using System.Diagnostics.Metrics;

namespace TVS.Ingest.Metrics;

/// <summary>
/// Reads the connection pools of every NpgsqlDataSource in the process from the metrics Npgsql
/// publishes through System.Diagnostics.Metrics (meter "Npgsql", OpenTelemetry database
/// conventions): connections by state and the pool maximum (observable, read when asked), pending
/// opens and open timeouts (summed from their events). No reference to Npgsql is needed, and the
/// host has nothing to register: any data source the engine opens shows up, named by its
/// <c>Name</c> or, by default, its connection string without the password.
/// </summary>
/// <remarks>
/// Pending requests are an up-down counter whose events are only seen from the moment this
/// listens, so create it before the data sources open connections (the engine host does).
/// </remarks>
internal sealed class NpgsqlPoolObserver : IDisposable
{
    private const string MeterName = "Npgsql";
    private const string ConnectionCount = "db.client.connection.count";
    private const string ConnectionMax = "db.client.connection.max";
    private const string PendingRequests = "db.client.connection.npgsql.pending_requests";
    private const string Timeouts = "db.client.connection.npgsql.timeouts";
    private const string PoolTag = "db.client.connection.pool.name";
    private const string StateTag = "db.client.connection.state";

    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, PoolState> _pools = new(StringComparer.Ordinal);
    private bool _sampling;

    public NpgsqlPoolObserver()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name is ConnectionCount or ConnectionMax or PendingRequests or Timeouts)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.Start();
    }

    /// <summary>The pools as they are now (those Npgsql still reports).</summary>
    public IReadOnlyList<PoolSample> Sample()
    {
        lock (_gate)
        {
            foreach (var p in _pools.Values)
            {
                p.Reported = false;
            }
            _sampling = true;
            try
            {
                _listener.RecordObservableInstruments();
            }
            finally
            {
                _sampling = false;
            }
            var result = new List<PoolSample>(_pools.Count);
            foreach (var (name, p) in _pools)
            {
                if (p.Reported)
                {
                    result.Add(new PoolSample(name, p.Used, p.Idle, p.Max, Math.Max(0, p.Pending), p.Timeouts));
                }
            }
            return result;
        }
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pool = null;
        string? state = null;
        foreach (var tag in tags)
        {
            if (tag.Key == PoolTag)
            {
                pool = tag.Value as string;
            }
            else if (tag.Key == StateTag)
            {
                state = tag.Value as string;
            }
        }
        if (pool is null)
        {
            return;
        }
        lock (_gate)
        {
            if (!_pools.TryGetValue(pool, out var p))
            {
                _pools[pool] = p = new PoolState();
            }
            switch (instrument.Name)
            {
                case ConnectionCount when _sampling:
                    p.Reported = true;
                    if (state == "used")
                    {
                        p.Used = value;
                    }
                    else if (state == "idle")
                    {
                        p.Idle = value;
                    }
                    break;
                case ConnectionMax when _sampling:
                    p.Reported = true;
                    p.Max = value;
                    break;
                case PendingRequests:
                    p.Pending += value;
                    break;
                case Timeouts:
                    p.Timeouts += value;
                    break;
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private sealed class PoolState
    {
        public bool Reported;
        public long Used;
        public long Idle;
        public long Max;
        public long Pending;
        public long Timeouts;
    }
}

/// <summary>One Npgsql pool at one instant.</summary>
internal readonly record struct PoolSample(string Name, long Used, long Idle, long Max, long Pending, long Timeouts);
