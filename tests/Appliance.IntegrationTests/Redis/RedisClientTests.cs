using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;

namespace Appliance.IntegrationTests.Redis;

/// <summary>The project's RESP client against a real redis-server.</summary>
public sealed class RedisClientTests : IAsyncLifetime
{
    private RedisProcess _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisProcess.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private RedisClient Client(string? password = null, int database = 0, string? user = null) =>
        new(new RedisSettings("127.0.0.1", _redis.Port, user, password ?? _redis.Password, database, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));

    [Fact]
    public async Task Ping_set_get_and_null()
    {
        await using var client = Client();
        Assert.True(await client.PingAsync() < TimeSpan.FromSeconds(1));
        Assert.Equal("OK", (await client.ExecuteAsync(["SET", "greeting", "grüß gott\r\nline two", "EX", "60"])).Text);
        Assert.Equal("grüß gott\r\nline two", (await client.ExecuteAsync(["GET", "greeting"])).Text);
        Assert.True((await client.ExecuteAsync(["GET", "missing"])).IsNull);
        Assert.Equal(3, (await client.ExecuteAsync(["INCRBY", "counter", "3"])).Number);
        var list = await client.ExecuteAsync(["MGET", "greeting", "missing"]);
        Assert.Equal(RedisValueKind.Array, list.Kind);
        Assert.Equal(2, list.Items!.Count);
        Assert.True(list.Items[1].IsNull);
    }

    [Fact]
    public async Task Values_larger_than_the_read_buffer_round_trip()
    {
        await using var client = Client();
        var big = new string('x', 200_000);
        await client.ExecuteAsync(["SET", "big", big]);
        Assert.Equal(big, (await client.ExecuteAsync(["GET", "big"])).Text);
    }

    [Fact]
    public async Task Wrong_password_is_a_server_error()
    {
        await using var client = Client(password: "wrong");
        var ex = await Assert.ThrowsAsync<RedisServerException>(() => client.PingAsync());
        Assert.Contains("WRONGPASS", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acl_user_auth_and_database_select()
    {
        await using (var admin = Client())
        {
            await admin.ExecuteAsync(["ACL", "SETUSER", "appliance", "on", ">user-secret-123", "~*", "+@all"]);
        }

        await using var client = Client(password: "user-secret-123", database: 3, user: "appliance");
        await client.ExecuteAsync(["SET", "k", "in-db-3"]);
        await using var other = Client();
        Assert.True((await other.ExecuteAsync(["GET", "k"])).IsNull);
        await other.ExecuteAsync(["SELECT", "3"]);
        Assert.Equal("in-db-3", (await other.ExecuteAsync(["GET", "k"])).Text);
    }

    [Fact]
    public async Task Error_reply_throws_but_keeps_the_connection_usable()
    {
        await using var client = Client();
        await client.ExecuteAsync(["SET", "text", "abc"]);
        await Assert.ThrowsAsync<RedisServerException>(() => client.ExecuteAsync(["INCR", "text"]));
        Assert.Equal("abc", (await client.ExecuteAsync(["GET", "text"])).Text);
    }

    [Fact]
    public async Task A_server_restart_mid_use_fails_fast_then_reconnects_by_itself()
    {
        await using var client = Client();
        await client.ExecuteAsync(["SET", "before", "1"]);
        await _redis.StopAsync();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => client.PingAsync());
        await _redis.RestartAsync();
        Assert.True(await client.PingAsync() > TimeSpan.Zero);
        Assert.Equal("OK", (await client.ExecuteAsync(["SET", "after", "2"])).Text);
    }

    [Fact]
    public async Task A_command_that_exceeds_the_timeout_is_unavailable_and_the_next_one_works()
    {
        await using var client = Client();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => client.ExecuteAsync(["BLPOP", "never-filled", "1.5"]));
        await Task.Delay(600);
        Assert.True(await client.PingAsync() > TimeSpan.Zero);
    }

    [Fact]
    public async Task Concurrent_callers_get_their_own_replies()
    {
        await using var client = Client();
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            await client.ExecuteAsync(["SET", $"key:{i}", $"value:{i}"]);
            return (await client.ExecuteAsync(["GET", $"key:{i}"])).Text;
        }));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"value:{i}"), results);
    }

    [Fact]
    public async Task Nothing_listening_is_unavailable_not_a_hang()
    {
        await _redis.StopAsync();
        await using var client = Client();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => client.PingAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3));
    }
}
