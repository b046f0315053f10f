using System.Text.RegularExpressions;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform;
using Npgsql;

namespace Appliance.IntegrationTests.Worker;

/// <summary>The appliance-worker binary as a process: configuration and schema checks, start-up, SIGTERM.</summary>
public sealed partial class WorkerProcessTests
{
    /// <summary>The release binary when <c>APPLIANCE_PUBLISHED_WORKER</c> names one, else the build output the project reference copies here.</summary>
    private static string WorkerBinary =>
        Environment.GetEnvironmentVariable("APPLIANCE_PUBLISHED_WORKER") is { Length: > 0 } published
            ? published
            : Path.Combine(AppContext.BaseDirectory, "appliance-worker");

    [Fact]
    public async Task Missing_connection_string_stops_the_worker_with_one_line_and_exit_78()
    {
        var environment = BinaryProcess.Environment("unused", BinaryProcess.FreePort());
        environment.Remove("APPLIANCE_Database__ConnectionString");

        var (exit, output) = await BinaryProcess.RunAsync(WorkerBinary, environment);

        Assert.Equal(ExitCodes.Configuration, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("configuration error: Database:ConnectionString is missing", line, StringComparison.Ordinal);
        Assert.Contains("APPLIANCE_Database__ConnectionString", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_database_stops_the_worker_at_once_with_exit_69()
    {
        var connectionString = TestDatabase.ConnectionStringFor("appliance_missing_" + Guid.NewGuid().ToString("N")[..8]);
        var environment = BinaryProcess.Environment(connectionString, BinaryProcess.FreePort());

        var (exit, output) = await BinaryProcess.RunAsync(WorkerBinary, environment);

        Assert.True(exit == ExitCodes.DatabaseUnavailable, output);
        Assert.StartsWith("database unavailable:", LastLine(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edited_migration_stops_the_worker_with_exit_65()
    {
        await using var database = await TestDatabase.CreateAsync();
        await ExecuteAsync(database.DataSource, "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());

        var (exit, output) = await BinaryProcess.RunAsync(WorkerBinary, environment);

        Assert.True(exit == ExitCodes.MigrationRefused, output);
        Assert.StartsWith("database schema refused: migration 0001_initial.sql was changed", LastLine(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_waits_for_pending_migrations_and_sigterm_while_waiting_is_a_clean_stop()
    {
        await using var database = await TestDatabase.CreateAsync(migrated: false);
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());

        await using var worker = BinaryProcess.Start(WorkerBinary, environment);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (!worker.Output.Contains("migration(s) pending, first 0001_initial.sql", StringComparison.Ordinal) && !worker.HasExited)
            {
                await Task.Delay(50, deadline.Token);
            }
        }

        Assert.False(worker.HasExited, worker.Output);
        await worker.TerminateAsync();
        Assert.True(worker.ExitCode == ExitCodes.Ok, worker.Output);
        Assert.Equal(0L, await ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public async Task Worker_joins_the_cluster_beats_prunes_and_stops_cleanly_on_sigterm()
    {
        await using var database = await TestDatabase.CreateAsync();
        await ExecuteAsync(database.DataSource, """
            INSERT INTO worker_nodes (node_id, host_name, version, started_at, last_seen_at)
            VALUES ('long-gone', 'old-host', '0.9', now() - interval '3 days', now() - interval '2 days')
            """);
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());

        await using var worker = BinaryProcess.Start(WorkerBinary, environment);
        string? nodeId = null;
        var staleRows = 1L;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while ((nodeId is null || staleRows > 0) && !worker.HasExited && !deadline.IsCancellationRequested)
            {
                await Task.Delay(100, CancellationToken.None);
                nodeId = await ScalarAsync<string>(database.DataSource, "SELECT node_id FROM worker_nodes WHERE node_id <> 'long-gone'");
                staleRows = await ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM worker_nodes WHERE node_id = 'long-gone'");
            }
        }

        Assert.True(nodeId is not null, "no heartbeat row appeared:\n" + worker.Output);
        Assert.True(staleRows == 0, "the prune job did not run at start-up:\n" + worker.Output);
        Assert.Equal(nodeId, await ScalarAsync<string>(database.DataSource, "SELECT instance_name FROM qrtz_scheduler_state WHERE sched_name = 'appliance'"));
        Assert.Equal(1L, await ScalarAsync<long>(database.DataSource, "SELECT count(*) FROM qrtz_triggers WHERE sched_name = 'appliance' AND trigger_name = 'prune-worker-nodes'"));

        await worker.TerminateAsync();

        Assert.True(worker.ExitCode == ExitCodes.Ok, worker.Output);
        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches(LogLine(), line));
        Assert.Contains(lines, line => line.Contains("pruned 1 worker node(s)", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains($"worker node {nodeId}", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Shutdown complete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_serves_metrics_with_job_runs_and_the_database_pool()
    {
        await using var database = await TestDatabase.CreateAsync();
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());
        var port = BinaryProcess.FreePort();
        environment["APPLIANCE_Metrics__Url"] = $"http://127.0.0.1:{port}";

        await using var worker = BinaryProcess.Start(WorkerBinary, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        var text = string.Empty;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // The prune job runs once at start-up; its run is counted when it finishes.
            while (!text.Contains("worker_job_runs_total{job=\"prune-worker-nodes\"}", StringComparison.Ordinal) && !worker.HasExited && !deadline.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None);
                try
                {
                    text = await http.GetStringAsync("/metrics");
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
            }
        }

        Assert.True(text.Contains("worker_job_runs_total{job=\"prune-worker-nodes\"} 1", StringComparison.Ordinal) || text.Contains("worker_job_runs_total{job=\"prune-worker-nodes\"} 2", StringComparison.Ordinal), text + "\n" + worker.Output);
        Assert.Contains("# TYPE worker_job_failures_total counter", text, StringComparison.Ordinal);
        Assert.Contains("worker_job_duration_seconds_count{job=\"prune-worker-nodes\"}", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^database_connections_max [1-9]\d*", text);
        await worker.TerminateAsync();
        Assert.True(worker.ExitCode == ExitCodes.Ok, worker.Output);
    }

    private static string LastLine(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? string.Empty;

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    /// <summary>One record per line (timestamp, level, category), as journald and Loki want them.</summary>
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): \S+\[\d+\] ")]
    private static partial Regex LogLine();
}
