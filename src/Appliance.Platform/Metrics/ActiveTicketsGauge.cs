using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;

namespace Appliance.Platform.Metrics;

/// <summary>
/// <c>active_tickets_total{status,priority}</c>: open tickets (new, assigned, in progress, waiting for the customer;
/// not deleted) by status and priority, as one grouped count that is at most <see cref="MaxAge"/> old.
/// </summary>
/// <remarks>
/// A scrape never waits for more than one such count: the count runs when a scrape finds the figures older than
/// <see cref="MaxAge"/>, one at a time per process (a scrape that arrives while one runs answers the previous figures),
/// with a 5 s command timeout, and reads only the open tickets' entries of the partial index on (status, priority).
/// So a million closed tickets cost nothing and the database does at most one such count per process every 30 s,
/// whatever the scrape rate. Why not a counts table kept by a trigger: every ticket create would update one of
/// 16 hot rows, serialising creates on its row lock (docs/decisions/0011-metrics.md).
/// </remarks>
public sealed class ActiveTicketsGauge(NpgsqlDataSource dataSource, ILogger<ActiveTicketsGauge> logger, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    public static readonly string[] OpenStatuses = ["new", "assigned", "in_progress", "waiting_customer"];

    public static readonly string[] Priorities = ["low", "medium", "high", "critical"];

    private static readonly Gauge Active = Prometheus.Metrics.CreateGauge(
        "active_tickets_total", "Open tickets by status and priority (at most 30 s old)", new GaugeConfiguration { LabelNames = ["status", "priority"] });

    private int _refreshing;
    private DateTimeOffset _refreshedAt = DateTimeOffset.MinValue;

    /// <summary>Hooks the count into every scrape of the default registry. Call once per process.</summary>
    public void Register() => Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(RefreshIfStaleAsync);

    public async Task RefreshIfStaleAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - _refreshedAt < MaxAge || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            var counts = new Dictionary<(string, string), long>();
            await using (var command = dataSource.CreateCommand(
                "SELECT status, priority, count(*) FROM tickets WHERE deleted_at IS NULL AND status = ANY(@statuses) GROUP BY status, priority"))
            {
                command.CommandTimeout = 5;
                command.Parameters.Add(new NpgsqlParameter<string[]>("statuses", OpenStatuses));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
                }
            }

            // Every pair is set, zero included, so a series does not vanish when its last ticket closes.
            foreach (var status in OpenStatuses)
            {
                foreach (var priority in Priorities)
                {
                    Active.WithLabels(status, priority).Set(counts.GetValueOrDefault((status, priority)));
                }
            }

            _refreshedAt = time.GetUtcNow();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The scrape still answers, with the last figures: metrics must not fail because the database is slow or away.
            logger.LogWarning("active_tickets_total not refreshed: {Error}", ex.Message);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }
}
