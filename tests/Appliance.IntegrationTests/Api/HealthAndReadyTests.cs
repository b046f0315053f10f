using System.Net.Sockets;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

public sealed class HealthAndReadyTests
{
    [Fact]
    public async Task Health_answers_without_touching_backing_services()
    {
        await using var api = await ApiServer.StartAsync(new() { ["Redis:Endpoint"] = $"127.0.0.1:{ClosedPort()}" }, withDatabase: false);
        var response = await api.Client.GetAsync("/health");
        Assert.Equal(200, (int)response.StatusCode);
        var body = await ApiServer.ReadJsonAsync(response);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Ready_is_200_with_every_check_when_postgres_redis_and_schema_are_fine()
    {
        await using var api = await ApiServer.StartAsync();
        var response = await api.Client.GetAsync("/ready");
        Assert.Equal(200, (int)response.StatusCode);
        var body = await ApiServer.ReadJsonAsync(response);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        foreach (var check in new[] { "postgres", "redis", "migrations" })
        {
            Assert.Equal("ok", body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Ready_is_200_when_the_connection_string_asks_for_multiplexing()
    {
        // The readiness probe opens a fresh unpooled connection, which Npgsql refuses to combine with multiplexing.
        await using var api = await ApiServer.StartAsync(connectionOptions: "Multiplexing=true");
        var response = await api.Client.GetAsync("/ready");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ok", (await ApiServer.ReadJsonAsync(response)).GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_is_503_envelope_naming_redis_when_redis_is_stopped_and_recovers_when_it_returns()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var api = await ApiServer.StartAsync(new() { ["Redis:Endpoint"] = redis.Endpoint, ["Redis:Password"] = redis.Password });
        Assert.Equal(200, (int)(await api.Client.GetAsync("/ready")).StatusCode);

        await redis.StopAsync();
        var down = await api.Client.GetAsync("/ready");
        var error = await ApiServer.AssertErrorAsync(down, 503, "SERVICE_UNAVAILABLE");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("redis", detail.GetProperty("field").GetString());
        Assert.Contains("redis", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        await redis.RestartAsync();
        // The Redis multiplexer reconnects in the background, retrying every 0.1 s: ready again well within 2 s.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((int)(await api.Client.GetAsync("/ready")).StatusCode != 200 && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"ready again after {watch.Elapsed}");
    }

    [Fact]
    public async Task Ready_is_503_naming_postgres_and_migrations_when_postgres_is_unreachable()
    {
        await using var api = await ApiServer.StartAsync(withDatabase: false);
        var response = await api.Client.GetAsync("/ready");
        var error = await ApiServer.AssertErrorAsync(response, 503, "SERVICE_UNAVAILABLE");
        var fields = error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToList();
        Assert.Equal(["postgres", "migrations"], fields);
    }

    [Fact]
    public async Task Data_endpoint_is_503_not_500_when_postgres_is_unreachable()
    {
        await using var api = await ApiServer.StartAsync(withDatabase: false);
        var response = await api.Client.GetAsync("/api/v1/customers");
        await ApiServer.AssertErrorAsync(response, 503, "SERVICE_UNAVAILABLE");
    }

    [Fact]
    public async Task Ready_is_503_naming_the_database_when_new_connections_fail_while_pooled_ones_still_work()
    {
        await using var api = await ApiServer.StartAsync();
        var database = api.Database!.Name;
        Assert.Equal(200, (int)(await api.Client.GetAsync("/ready")).StatusCode);
        Assert.Equal(200, (int)(await api.Client.GetAsync("/api/v1/customers")).StatusCode);
        try
        {
            // Every new session of this database now fails to start (a library it must load is missing); the API's
            // pooled connections were opened before and keep working.
            await AdminExecuteAsync($"ALTER DATABASE {database} SET session_preload_libraries = 'appliance_missing_library'");
            Assert.Equal(200, (int)(await api.Client.GetAsync("/api/v1/customers")).StatusCode);

            var response = await api.Client.GetAsync("/ready");
            var error = await ApiServer.AssertErrorAsync(response, 503, "SERVICE_UNAVAILABLE");
            var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
            Assert.Equal("postgres", detail.GetProperty("field").GetString());
            Assert.Contains(database, detail.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("appliance_missing_library", detail.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await AdminExecuteAsync($"ALTER DATABASE {database} RESET session_preload_libraries");
        }

        Assert.Equal(200, (int)(await api.Client.GetAsync("/ready")).StatusCode);
    }

    [Fact]
    public async Task Requests_on_connections_postgres_terminated_are_503_with_the_envelope_and_the_api_recovers()
    {
        await using var api = await ApiServer.StartAsync(maxPoolSize: 4);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.Client.GetAsync("/api/v1/customers")));
        var statuses = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            // What a PostgreSQL shutdown does to every session: FATAL 57P01 (admin_shutdown) on the next use.
            await AdminExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{api.Database!.Name}' AND application_name = 'appliance-api'");
            HttpResponseMessage response;
            var attempts = 0;
            while (true)
            {
                response = await api.Client.GetAsync("/api/v1/customers");
                if (response.StatusCode == System.Net.HttpStatusCode.OK || ++attempts > 5)
                {
                    break;
                }

                statuses.Add((int)response.StatusCode);
                await ApiServer.AssertErrorAsync(response, 503, "SERVICE_UNAVAILABLE");
            }

            Assert.Equal(200, (int)response.StatusCode);
        }

        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal(503, s));
    }

    private static async Task AdminExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(TestEnvironment.PostgresAdminConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Ready_is_503_when_migrations_are_pending()
    {
        await using var empty = await TestDatabase.CreateAsync(migrated: false);
        await using var api = await ApiServer.StartAsync(new() { ["Database:ConnectionString"] = empty.ConnectionString });
        var response = await api.Client.GetAsync("/ready");
        var error = await ApiServer.AssertErrorAsync(response, 503, "SERVICE_UNAVAILABLE");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("migrations", detail.GetProperty("field").GetString());
        Assert.Contains("pending", detail.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
