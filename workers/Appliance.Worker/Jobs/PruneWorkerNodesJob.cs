using Npgsql;
using Quartz;

namespace Appliance.Worker.Jobs;

/// <summary>
/// Deletes worker_nodes rows not seen for a day. Every worker start registers a new node id, so without this the
/// table grows by a row per restart and deploy; a day keeps recently stopped or crashed nodes visible to operators.
/// Cluster-wide: one fire per hour on whichever node acquires it; two nodes pruning at once would only repeat work,
/// but <see cref="DisallowConcurrentExecutionAttribute"/> keeps a slow run from overlapping the next one.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class PruneWorkerNodesJob(NpgsqlDataSource dataSource, ILogger<PruneWorkerNodesJob> logger) : IJob
{
    public static readonly JobKey Key = new("prune-worker-nodes", "maintenance");

    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var deleted = await PruneAsync(dataSource, Retention, cancellationToken);
        if (deleted > 0)
        {
            LogPruned(logger, deleted, Retention);
        }
    }

    /// <summary>Deletes the rows whose last heartbeat is older than <paramref name="retention"/>; returns how many.</summary>
    public static async Task<int> PruneAsync(NpgsqlDataSource dataSource, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("DELETE FROM worker_nodes WHERE last_seen_at < now() - @retention");
        command.Parameters.AddWithValue("retention", retention);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pruned {Count} worker node(s) not seen for {Retention}")]
    private static partial void LogPruned(ILogger logger, int count, TimeSpan retention);
}
