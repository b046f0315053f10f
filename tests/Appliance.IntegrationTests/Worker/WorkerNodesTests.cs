using Appliance.IntegrationTests.Infrastructure;
using Appliance.Worker;
using Appliance.Worker.Jobs;
using Npgsql;

namespace Appliance.IntegrationTests.Worker;

/// <summary>The worker_nodes liveness table: the heartbeat's upsert and the pruning of nodes gone for a day.</summary>
public sealed class WorkerNodesTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Heartbeat_inserts_the_node_row_and_then_only_moves_last_seen_forward()
    {
        var startedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var node = new WorkerNode("worker-1-1234", "worker-1", "1.2.3", startedAt);

        await WorkerHeartbeatJob.BeatAsync(_database.DataSource, node, CancellationToken.None);
        var first = Assert.Single(await ReadNodesAsync());
        Assert.Equal(("worker-1-1234", "worker-1", "1.2.3", startedAt), (first.NodeId, first.HostName, first.Version, first.StartedAt));
        Assert.InRange(first.LastSeenAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        await Task.Delay(20);
        await WorkerHeartbeatJob.BeatAsync(_database.DataSource, node with { StartedAt = startedAt.AddHours(1) }, CancellationToken.None);
        var second = Assert.Single(await ReadNodesAsync());
        Assert.Equal(startedAt, second.StartedAt);
        Assert.True(second.LastSeenAt > first.LastSeenAt, $"last_seen_at did not move: {first.LastSeenAt:O} then {second.LastSeenAt:O}");

        await WorkerHeartbeatJob.BeatAsync(_database.DataSource, new WorkerNode("worker-2-99", "worker-2", "1.2.3", startedAt), CancellationToken.None);
        Assert.Equal(["worker-1-1234", "worker-2-99"], (await ReadNodesAsync()).Select(n => n.NodeId));
    }

    [Fact]
    public async Task Prune_deletes_only_nodes_not_seen_for_a_day()
    {
        await InsertNodeAsync("live", TimeSpan.Zero);
        await InsertNodeAsync("quiet-for-23h", TimeSpan.FromHours(23));
        await InsertNodeAsync("gone-for-25h", TimeSpan.FromHours(25));
        await InsertNodeAsync("gone-for-a-month", TimeSpan.FromDays(30));

        var deleted = await PruneWorkerNodesJob.PruneAsync(_database.DataSource, PruneWorkerNodesJob.Retention, CancellationToken.None);

        Assert.Equal(2, deleted);
        Assert.Equal(["live", "quiet-for-23h"], (await ReadNodesAsync()).Select(n => n.NodeId));
        Assert.Equal(0, await PruneWorkerNodesJob.PruneAsync(_database.DataSource, PruneWorkerNodesJob.Retention, CancellationToken.None));
    }

    private async Task InsertNodeAsync(string nodeId, TimeSpan unseenFor)
    {
        await using var command = _database.DataSource.CreateCommand("""
            INSERT INTO worker_nodes (node_id, host_name, version, started_at, last_seen_at)
            VALUES (@id, 'host', 'v', now() - @unseen - interval '1 hour', now() - @unseen)
            """);
        command.Parameters.AddWithValue("id", nodeId);
        command.Parameters.AddWithValue("unseen", unseenFor);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<(string NodeId, string HostName, string Version, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt)>> ReadNodesAsync()
    {
        var nodes = new List<(string, string, string, DateTimeOffset, DateTimeOffset)>();
        await using var command = _database.DataSource.CreateCommand("SELECT node_id, host_name, version, started_at, last_seen_at FROM worker_nodes ORDER BY node_id");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            nodes.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return nodes;
    }
}
