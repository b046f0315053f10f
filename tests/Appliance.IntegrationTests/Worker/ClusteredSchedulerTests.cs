using Appliance.IntegrationTests.Infrastructure;
using Appliance.Worker;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Quartz;

namespace Appliance.IntegrationTests.Worker;

/// <summary>
/// Two worker nodes in one process, each a scheduler built by <see cref="WorkerScheduler.UseApplianceCluster"/> (the
/// production store configuration) over the same database, firing one cluster-wide trigger.
/// </summary>
public sealed class ClusteredSchedulerTests
{
    private const int Fires = 24;
    private static readonly TimeSpan FireInterval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Two_nodes_run_every_fire_of_a_cluster_wide_job_exactly_once_and_a_survivor_takes_over()
    {
        await using var database = await TestDatabase.CreateAsync();
        await ExecuteAsync(database.DataSource, """
            CREATE TABLE test_fires (
                scheduled_at  bigint NOT NULL,
                fire_instance text NOT NULL,
                node_id       text NOT NULL,
                fired_at      timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """);

        // Both nodes declare the same job and trigger when they start, as every worker node does.
        var startAt = DateTimeOffset.UtcNow.AddSeconds(3);
        await using var nodeA = BuildNode(database.DataSource, "node-a", startAt);
        await using var nodeB = BuildNode(database.DataSource, "node-b", startAt);
        var schedulerA = await nodeA.GetScheduler();
        var schedulerB = await nodeB.GetScheduler();
        await schedulerA.Start();
        await schedulerB.Start();
        Assert.Equal(WorkerScheduler.SchedulerName, schedulerA.SchedulerName);
        Assert.Equal(WorkerScheduler.SchedulerName, schedulerB.SchedulerName);
        Assert.Equal(["node-a", "node-b"], await QueryStringsAsync(database.DataSource, "SELECT instance_name FROM qrtz_scheduler_state ORDER BY 1"));

        // A third of the way through, node A stops, waiting for its running job; node B must carry on alone.
        await WaitForAsync(database.DataSource, Fires / 3, TimeSpan.FromSeconds(30));
        await schedulerA.Shutdown(waitForJobsToComplete: true);
        var firesOnA = await CountAsync(database.DataSource, "SELECT count(*) FROM test_fires WHERE node_id = 'node-a'");
        Assert.True(await CountAsync(database.DataSource, "SELECT count(*) FROM test_fires") < Fires, "node A stopped after the last fire; the take-over was not exercised");
        await WaitForAsync(database.DataSource, Fires, TimeSpan.FromSeconds(30));

        // Give a double execution time to show up before counting.
        await Task.Delay(FireInterval * 5);
        await schedulerB.Shutdown(waitForJobsToComplete: true);

        Assert.Equal(Fires, await CountAsync(database.DataSource, "SELECT count(*) FROM test_fires"));
        Assert.Equal(Fires, await CountAsync(database.DataSource, "SELECT count(DISTINCT scheduled_at) FROM test_fires"));
        Assert.Equal(Fires, await CountAsync(database.DataSource, "SELECT count(DISTINCT fire_instance) FROM test_fires"));
        Assert.Equal(startAt.UtcTicks, await ScalarAsync<long>(database.DataSource, "SELECT min(scheduled_at) FROM test_fires"));
        Assert.Equal(firesOnA, await CountAsync(database.DataSource, "SELECT count(*) FROM test_fires WHERE node_id = 'node-a'"));
        Assert.Equal(Fires - firesOnA, await CountAsync(database.DataSource, "SELECT count(*) FROM test_fires WHERE node_id = 'node-b'"));
        Assert.Equal(0, await CountAsync(database.DataSource, "SELECT count(*) FROM qrtz_fired_triggers"));
    }

    private static StandaloneSchedulerFactory BuildNode(NpgsqlDataSource dataSource, string instanceId, DateTimeOffset startAt) =>
        QuartzSchedulerBuilder.Create(quartz =>
        {
            quartz.Services.AddSingleton(dataSource);
            quartz.UseApplianceCluster(dataSource);
            quartz.ConfigureScheduler(options => options.InstanceId = instanceId);
            quartz.ScheduleJob<RecordingJob>(
                trigger => trigger
                    .WithIdentity("recording", "tests")
                    .StartAt(startAt)
                    .WithSimpleSchedule(schedule => schedule.WithInterval(FireInterval).WithRepeatCount(Fires - 1)),
                job => job.WithIdentity("recording", "tests"));
        }).Build();

    private static async Task WaitForAsync(NpgsqlDataSource dataSource, int fires, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (await CountAsync(dataSource, "SELECT count(*) FROM test_fires") < fires)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                var state = await QueryStringsAsync(dataSource, """
                    SELECT 'fires on ' || node_id || ': ' || count(*) FROM test_fires GROUP BY node_id
                    UNION ALL SELECT 'trigger ' || trigger_state || ', next ' || coalesce(next_fire_time::text, '-') FROM qrtz_triggers
                    UNION ALL SELECT 'in flight on ' || instance_name || ': ' || state FROM qrtz_fired_triggers
                    UNION ALL SELECT 'node ' || instance_name FROM qrtz_scheduler_state
                    """);
                Assert.Fail($"{fires} fires expected within {timeout.TotalSeconds} s: {string.Join("; ", state)}");
            }

            await Task.Delay(50);
        }
    }

    private static async Task<int> CountAsync(NpgsqlDataSource dataSource, string sql) => (int)await ScalarAsync<long>(dataSource, sql);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> QueryStringsAsync(NpgsqlDataSource dataSource, string sql)
    {
        var values = new List<string>();
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Records each fire it runs. Deliberately allows concurrent execution: only the cluster stands between a fire and a second run of it.</summary>
    public sealed class RecordingJob(NpgsqlDataSource dataSource) : IJob
    {
        public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
        {
            await using var command = dataSource.CreateCommand("INSERT INTO test_fires (scheduled_at, fire_instance, node_id) VALUES (@scheduled, @fire, @node)");
            command.Parameters.AddWithValue("scheduled", context.ScheduledFireTimeUtc?.UtcTicks ?? -1);
            command.Parameters.AddWithValue("fire", context.FireInstanceId);
            command.Parameters.AddWithValue("node", context.Scheduler.SchedulerInstanceId);
            await command.ExecuteNonQueryAsync(cancellationToken);
            await Task.Delay(50, cancellationToken);
        }
    }
}
