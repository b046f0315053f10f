using System.Diagnostics.Metrics;
using Prometheus;

namespace Appliance.Platform.Metrics;

/// <summary>
/// The appliance's Prometheus metrics (prometheus-net, the process-wide default registry, exposed at <c>/metrics</c>):
/// the HTTP metrics with the names, labels and buckets of the monitoring design, the database pool, and what
/// System.Diagnostics.Metrics meters count (Redis fail-open and fail-closed counters), which prometheus-net's meter
/// adapter exports under their own names. Names and the rules behind them: docs/decisions/0011-metrics.md.
/// </summary>
public static class ApplianceMetrics
{
    /// <summary>Seconds; the buckets the alert rules' p95 (<c>histogram_quantile(0.95, ...)</c>) is computed from.</summary>
    public static readonly double[] DurationBuckets = [0.01, 0.05, 0.1, 0.5, 1, 2, 5];

    private static readonly string[] HttpLabels = ["method", "route", "status_code"];

    public static readonly Counter HttpRequests = Prometheus.Metrics.CreateCounter(
        "http_requests_total", "Total HTTP requests", new CounterConfiguration { LabelNames = HttpLabels });

    public static readonly Histogram HttpRequestDuration = Prometheus.Metrics.CreateHistogram(
        "http_request_duration_seconds", "HTTP request duration in seconds", new HistogramConfiguration { LabelNames = HttpLabels, Buckets = DurationBuckets });

    private static readonly Gauge ConnectionsActive = Prometheus.Metrics.CreateGauge(
        "database_connections_active", "PostgreSQL connections of this process's pool in use by a command or transaction");

    private static readonly Gauge ConnectionsIdle = Prometheus.Metrics.CreateGauge(
        "database_connections_idle", "PostgreSQL connections of this process's pool open and idle");

    private static readonly Gauge ConnectionsMax = Prometheus.Metrics.CreateGauge(
        "database_connections_max", "The most connections this process's pool opens (Max Pool Size)");

    private static int _configured;

    /// <summary>
    /// Reads the pool figures Npgsql publishes on its <c>Npgsql</c> meter (<c>db.client.connection.count</c> by
    /// state, <c>db.client.connection.max</c>) on every scrape, summed over the process's data sources (one in the
    /// API and the worker). Npgsql's counters, no query. Only these two observable instruments are listened to, so
    /// nothing is added to a command's path.
    /// </summary>
    private static void TrackDatabase()
    {
        var gate = new Lock();
        long used = 0, idle = 0, max = 0;
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name is "db.client.connection.count" or "db.client.connection.max")
                {
                    self.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (instrument.Name == "db.client.connection.max")
            {
                max += value;
                return;
            }

            foreach (var tag in tags)
            {
                if (tag.Key == "db.client.connection.state")
                {
                    if (tag.Value as string == "used")
                    {
                        used += value;
                    }
                    else
                    {
                        idle += value;
                    }
                }
            }
        }

        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            lock (gate)
            {
                (used, idle, max) = (0, 0, 0);
                listener.RecordObservableInstruments();
                ConnectionsActive.Set(used);
                ConnectionsIdle.Set(idle);
                ConnectionsMax.Set(max);
            }
        });
    }

    /// <summary>
    /// Sets up the process's export once: the pool gauges, the appliance's own meter counters, prometheus-net's
    /// process metrics. Not ASP.NET Core's and the runtime's meters, whose per-request instruments would double the
    /// cost of a request for figures <c>http_*</c> already has.
    /// </summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1)
        {
            return; // once per process: the registry is process-wide (the integration tests build several APIs)
        }

        TrackDatabase();
        ExportApplianceCounters();
        Prometheus.Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressProcessMetrics = false, SuppressDebugMetrics = true });
    }

    /// <summary>
    /// Every <c>Counter&lt;long&gt;</c> of a meter named <c>Appliance.*</c> (the Redis fail-open and fail-closed
    /// counters, the rate-limit rejections) as a Prometheus counter of the same name, present from the start at 0.
    /// A listener of our own rather than prometheus-net's meter adapter, which showed these counters only after a
    /// delay and not in the scrape right after they counted.
    /// </summary>
    private static void ExportApplianceCounters()
    {
        var counters = new System.Collections.Concurrent.ConcurrentDictionary<Instrument, Counter>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instrument.Meter.Name.StartsWith("Appliance.", StringComparison.Ordinal) && instrument is Counter<long>)
                {
                    counters[instrument] = Prometheus.Metrics.CreateCounter(instrument.Name, instrument.Description ?? instrument.Name);
                    self.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (counters.TryGetValue(instrument, out var counter))
            {
                counter.Inc(value);
            }
        });
        listener.Start();
    }
}
