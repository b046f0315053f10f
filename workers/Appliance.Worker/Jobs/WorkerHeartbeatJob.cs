using Npgsql;
using Quartz;

namespace Appliance.Worker.Jobs;

/// <summary>
/// Upserts this node's worker_nodes row every 15 s, so that operators and the API's /ready can see which workers are live.
/// <para>
/// Per node, and therefore deliberately not a Quartz job but a hosted timer beside the scheduler. The clustered store
/// runs a trigger on whichever node acquires it, so a shared heartbeat trigger would beat for a random node; a trigger
/// per node (a job key carrying the node id) would outlive its node: every start gets a fresh instance id, and the
/// surviving nodes would go on firing a dead node's trigger and keep its row looking alive. A timer lives and dies with
/// its process, and cannot queue behind long-running jobs in the scheduler's thread pool. It beats only while this
/// node's clustered scheduler is running, so a fresh row means a node that is taking work; Quartz is for cluster-wide jobs.
/// </para>
/// </summary>
public sealed partial class WorkerHeartbeatJob(ISchedulerFactory schedulers, NpgsqlDataSource dataSource, ILogger<WorkerHeartbeatJob> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan StartPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>Inserts the node's row or refreshes its last_seen_at (database clock, so that every node and the pruning agree).</summary>
    public static async Task BeatAsync(NpgsqlDataSource dataSource, WorkerNode node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(node);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO worker_nodes (node_id, host_name, version, started_at, last_seen_at)
            VALUES (@node_id, @host_name, @version, @started_at, now())
            ON CONFLICT (node_id) DO UPDATE
               SET host_name = excluded.host_name, version = excluded.version, last_seen_at = excluded.last_seen_at
            """);
        command.Parameters.AddWithValue("node_id", node.NodeId);
        command.Parameters.AddWithValue("host_name", node.HostName);
        command.Parameters.AddWithValue("version", node.Version);
        command.Parameters.AddWithValue("started_at", node.StartedAt.UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The hosted scheduler starts once the host has started; its instance id is this node's id.
            var scheduler = await schedulers.GetScheduler(stoppingToken);
            while (scheduler.Status == SchedulerStatus.Created)
            {
                await Task.Delay(StartPoll, stoppingToken);
            }

            var node = new WorkerNode(scheduler.SchedulerInstanceId, Environment.MachineName, WorkerNode.CurrentVersion, DateTimeOffset.UtcNow);
            LogNodeUp(logger, node.NodeId, node.Version);
            var failing = false;
            using var timer = new PeriodicTimer(Interval);
            do
            {
                if (scheduler.Status != SchedulerStatus.Running)
                {
                    continue;
                }

                try
                {
                    await BeatAsync(dataSource, node, stoppingToken);
                    if (failing)
                    {
                        LogBeatRecovered(logger, node.NodeId);
                        failing = false;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Keep beating: the database may be failing over, and the next beat marks the node live again.
                    // A heartbeat that gave up would leave a working node looking dead.
                    LogBeatFailed(logger, node.NodeId, ex.Message);
                    failing = true;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "worker node {NodeId} (version {Version}) is up; heartbeat every 15 s")]
    private static partial void LogNodeUp(ILogger logger, string nodeId, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat of worker node {NodeId} failed: {Problem}")]
    private static partial void LogBeatFailed(ILogger logger, string nodeId, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "heartbeat of worker node {NodeId} recovered")]
    private static partial void LogBeatRecovered(ILogger logger, string nodeId);
}
