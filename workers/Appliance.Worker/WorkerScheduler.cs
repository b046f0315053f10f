using Appliance.Worker.Jobs;
using Npgsql;
using Quartz;
using Quartz.Impl.AdoJobStore;

namespace Appliance.Worker;

/// <summary>
/// The worker's Quartz scheduler: one clustered ADO.NET store in the appliance database (qrtz_* tables from
/// migration 0002), shared by every worker node, so that each fire of a cluster-wide job runs on exactly one node.
/// Tests build their in-process nodes through <see cref="UseApplianceCluster"/> too, so they run what production runs.
/// </summary>
public static class WorkerScheduler
{
    /// <summary>The scheduler name (<c>sched_name</c> in qrtz_*); every node of the cluster must use the same one.</summary>
    public const string SchedulerName = "appliance";

    /// <summary>How often a node records in qrtz_scheduler_state that it is alive.</summary>
    public static readonly TimeSpan CheckinInterval = TimeSpan.FromSeconds(7.5);

    /// <summary>
    /// How long past a missed check-in the other nodes wait before they recover a node's in-flight work.
    /// Longer than a GC pause or a PostgreSQL failover, short enough that a crashed node's jobs resume within half a minute.
    /// </summary>
    public static readonly TimeSpan CheckinMisfireThreshold = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How late a fire may be and still run: a node restarting or a short database outage delays a fire, it does not lose
    /// it. Later than that, the trigger's misfire instruction decides; the interval jobs here skip to their next interval
    /// rather than run a backlog.
    /// </summary>
    public static readonly TimeSpan MisfireThreshold = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a node that found nothing to fire waits before it asks the store again. Quartz's 30 s default means a node
    /// can sleep through another node's trigger being released (a node stopping, a job scheduled elsewhere); at 5 s a
    /// take-over costs seconds, for one cheap indexed query per idle node every 5 s.
    /// </summary>
    public static readonly TimeSpan IdleWaitTime = TimeSpan.FromSeconds(5);

    /// <summary>Jobs running at once on one node. The jobs are short database statements; four leaves room for a slow one.</summary>
    public const int MaxConcurrency = 4;

    /// <summary>Configures the clustered PostgreSQL store over the process's one data source. Registers no jobs.</summary>
    public static IQuartzBuilder UseApplianceCluster(this IQuartzBuilder quartz, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(quartz);
        ArgumentNullException.ThrowIfNull(dataSource);
        quartz.ConfigureScheduler(options =>
        {
            options.InstanceName = SchedulerName;
            options.IdleWaitTime = IdleWaitTime;

            // SIGTERM: running jobs see their cancellation token fire and should stop at the next safe point; the
            // scheduler still waits for them to return (WaitForJobsToComplete), within the host's shutdown timeout.
            options.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
        });
        quartz.UseDefaultThreadPool(MaxConcurrency);
        quartz.AddJobLogScope();
        quartz.UsePersistentStore(store =>
        {
            // Not UsePostgres(connectionString): that path names Npgsql's types as strings (RequiresUnreferencedCode).
            // The dialect is chosen by its delegate type and connections come from the process's one slim
            // NpgsqlDataSource, so nothing is resolved by name and there is no second connection pool.
            store.UseDriverDelegate<PostgreSQLDelegate>();
            store.UseDataSource(source =>
            {
                source.Provider = DataSourceOptions.Providers.Npgsql;
                source.DataSourceFactory = _ => dataSource;
            });
            store.UseSystemTextJsonSerializer();
            store.ConfigureStore(options =>
            {
                options.TablePrefix = "qrtz_";
                options.MisfireThreshold = MisfireThreshold;
            });
            store.UseClustering(clustering =>
            {
                clustering.CheckinInterval = CheckinInterval;
                clustering.CheckinMisfireThreshold = CheckinMisfireThreshold;
            });
        });
        return quartz;
    }

    /// <summary>
    /// Registers the cluster-wide jobs. Explicit on purpose: no assembly scanning, nothing the trimmer cannot see.
    /// Every node declares them when it starts and the declaration replaces the stored trigger (Quartz's default), so a
    /// new release's schedule takes effect and an interval trigger restarts its interval at each node start: interval jobs
    /// must be harmless to run then. A job tied to the wall clock uses a cron trigger, which a restart does not move.
    /// (Quartz's ScheduleTriggerRelativeToReplacedTrigger would keep the interval, but in 4.7.3 it also skips the first
    /// fire of a trigger that two nodes declare before it has fired; the clustered-scheduler test caught that.)
    /// </summary>
    public static IQuartzBuilder AddClusterJobs(this IQuartzBuilder quartz)
    {
        quartz.ScheduleJob<PruneWorkerNodesJob>(
            trigger => trigger
                .WithIdentity(PruneWorkerNodesJob.Key.Name, PruneWorkerNodesJob.Key.Group)
                .StartNow()
                .WithSimpleSchedule(schedule => schedule
                    .WithInterval(PruneWorkerNodesJob.Interval)
                    .RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
            job => job.WithIdentity(PruneWorkerNodesJob.Key));
        quartz.ScheduleJob<SlaBreachJob>(
            trigger => trigger
                .WithIdentity(SlaBreachJob.Key.Name, SlaBreachJob.Key.Group)
                .StartNow()
                .WithSimpleSchedule(schedule => schedule
                    .WithInterval(SlaBreachJob.Interval)
                    .RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
            job => job.WithIdentity(SlaBreachJob.Key));
        return quartz;
    }
}
