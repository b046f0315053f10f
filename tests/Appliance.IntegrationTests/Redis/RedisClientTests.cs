using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;

namespace Appliance.IntegrationTests.Redis;

/// <summary>The StackExchange.Redis-backed <see cref="MultiplexedRedisClient"/> against a real redis-server.</summary>
public sealed class RedisClientTests : IAsyncLifetime
{
    private RedisProcess _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisProcess.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private MultiplexedRedisClient Client(string? password = null, int database = 0, string? user = null, int timeoutMs = 5000, string name = "test", int connectMs = 5000) =>
        new(new RedisSettings("127.0.0.1", _redis.Port, user, password ?? _redis.Password, database, TimeSpan.FromMilliseconds(timeoutMs), TimeSpan.FromMilliseconds(connectMs)), name);

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
    public async Task Wrong_password_is_unavailable_naming_the_authentication_failure()
    {
        // A short connect timeout: the library keeps retrying the refused AUTH for its whole connect window, and on a
        // loaded machine a long one ran into this client's own connect deadline, which names no cause.
        await using var client = Client(password: "wrong", connectMs: 1000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RedisUnavailableException>(() => client.PingAsync());
        // The library's words (NOAUTH/WRONGPASS, "Authentication", "password") reach the message an operator reads.
        Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
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
        Assert.Equal("appliance", (await client.ExecuteAsync(["ACL", "WHOAMI"])).Text);
        await using var other = Client();
        Assert.True((await other.ExecuteAsync(["GET", "k"])).IsNull);
        await using var sameDatabase = Client(database: 3);
        Assert.Equal("in-db-3", (await sameDatabase.ExecuteAsync(["GET", "k"])).Text);
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
        // The multiplexer reconnects in the background, retrying every 0.1 s.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await PingsAsync(client) && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"reconnecting took {watch.Elapsed}");
        Assert.Equal("OK", (await client.ExecuteAsync(["SET", "after", "2"])).Text);
    }

    [Fact]
    public async Task A_command_that_exceeds_the_timeout_is_unavailable_and_the_next_one_works()
    {
        await using var client = Client(timeoutMs: 1000);
        await Assert.ThrowsAsync<RedisUnavailableException>(() => client.ExecuteAsync(["BLPOP", "never-filled", "1.5"]));
        await Task.Delay(600);
        Assert.True(await client.PingAsync() > TimeSpan.Zero);
    }

    [Fact]
    public async Task Concurrent_callers_get_their_own_replies()
    {
        // About reply matching, not latency: a loaded CI machine must not turn this into a timeout test.
        await using var client = Client(timeoutMs: 15_000);
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
        await using var client = Client(connectMs: 1000);
        // The first command waits for the first connection attempt, which the connect timeout bounds ...
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => client.PingAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"the first command took {watch.Elapsed}");
        // ... and while Redis stays down every later command fails at once instead of queueing (fail open/closed now).
        for (var i = 0; i < 20; i++)
        {
            watch.Restart();
            await Assert.ThrowsAsync<RedisUnavailableException>(() => client.ExecuteAsync(["GET", "k"]));
            Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), $"a command while down took {watch.Elapsed}");
        }
    }

    [Fact]
    public async Task Concurrent_callers_share_one_connection()
    {
        await using var client = Client(timeoutMs: 15_000, name: "shared");
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.ExecuteAsync(["ECHO", $"{i}"])));
        // The multiplexer's connections seen by the server: one for commands, one for pub/sub, however many callers.
        var clients = (await ClientListAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.Contains(" name=shared ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, clients.Count);
        Assert.Single(clients, line => line.Contains(" cmd=echo ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_thousand_concurrent_mixed_commands_each_get_their_own_reply()
    {
        await using var client = Client(timeoutMs: 15_000);
        await client.ExecuteAsync(["SET", "text", "not a number"]);
        var increments = 0;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            switch (i % 5)
            {
                case 0:
                    return (await client.ExecuteAsync(["ECHO", $"echo:{i}"])).Text == $"echo:{i}";
                case 1:
                    await client.ExecuteAsync(["SET", $"k:{i}", $"v:{i}"]);
                    return (await client.ExecuteAsync(["GET", $"k:{i}"])).Text == $"v:{i}";
                case 2:
                    Interlocked.Increment(ref increments);
                    return (await client.ExecuteAsync(["INCR", "shared"])).Kind == RedisValueKind.Number;
                case 3:
                    var error = await Assert.ThrowsAsync<RedisServerException>(() => client.ExecuteAsync(["INCR", "text"]));
                    return error.Message.StartsWith("ERR", StringComparison.Ordinal);
                default:
                    var batch = await client.ExecuteBatchAsync([["ECHO", $"a:{i}"], ["STRLEN", $"b:{i}"], ["ECHO", $"c:{i}"]]);
                    return batch.Count == 3 && batch[0].Text == $"a:{i}" && batch[1].Number == 0 && batch[2].Text == $"c:{i}";
            }
        }));
        Assert.All(outcomes, Assert.True);
        Assert.Equal(increments, (await client.ExecuteAsync(["GET", "shared"])).Text is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : -1);
    }

    [Fact]
    public async Task A_batch_is_one_write_and_returns_error_replies_in_place()
    {
        await using var client = Client();
        var replies = await client.ExecuteBatchAsync([["SET", "t", "abc"], ["INCR", "t"], ["APPEND", "t", "d"], ["GET", "t"]]);
        Assert.Equal("OK", replies[0].Text);
        Assert.Equal(RedisValueKind.Error, replies[1].Kind);
        Assert.StartsWith("ERR", replies[1].Text, StringComparison.Ordinal);
        Assert.Equal("abcd", replies[3].Text);
        Assert.Equal(4, replies[2].Number);
        Assert.Empty(await client.ExecuteBatchAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ExecuteBatchAsync([["GET", "t"], []]));
        Assert.Equal("abcd", (await client.ExecuteAsync(["GET", "t"])).Text);
    }

    [Fact]
    public async Task A_timeout_fails_everyone_queued_behind_it_and_later_replies_still_reach_their_own_callers()
    {
        await using var client = Client(timeoutMs: 1500);
        var blocked = client.ExecuteAsync(["BLPOP", "never-filled", "3"]);
        await Task.Delay(100);
        var behind = Enumerable.Range(0, 20).Select(i => client.ExecuteAsync(["ECHO", $"{i}"])).ToList();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => blocked);
        foreach (var task in behind)
        {
            await Assert.ThrowsAsync<RedisUnavailableException>(() => task);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"the timeouts took {watch.Elapsed}");
        // The library keeps the timed-out commands in the pipeline until their replies come, so once the server answers
        // again every reply is matched to its own (abandoned) command and a new caller gets its own.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? after = null;
        while (after is null && DateTime.UtcNow < deadline)
        {
            try
            {
                after = (await client.ExecuteAsync(["ECHO", "after"])).Text;
            }
            catch (RedisUnavailableException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal("after", after);
        Assert.Equal("x", (await client.ExecuteAsync(["ECHO", "x"])).Text);
    }

    [Fact]
    public async Task A_caller_cancelling_after_its_write_keeps_the_connection_in_sync()
    {
        await using var client = Client(timeoutMs: 2000);
        var idBefore = (await client.ExecuteAsync(["CLIENT", "ID"])).Number;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var blocked = client.ExecuteAsync(["BLPOP", "never-filled", "0.5"], cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        // The BLPOP's nil reply arrives later and must be consumed by its abandoned slot, not by this ECHO.
        Assert.Equal("mine", (await client.ExecuteAsync(["ECHO", "mine"])).Text);
        Assert.Equal(idBefore, (await client.ExecuteAsync(["CLIENT", "ID"])).Number);
    }

    [Fact]
    public async Task A_restart_under_load_fails_in_flight_commands_cleanly_and_heals()
    {
        await using var client = Client();
        using var stop = new CancellationTokenSource();
        var wrong = 0;
        var succeeded = 0;
        var unavailable = 0;
        var succeededAfterRestart = 0;
        var restarted = false;
        var workers = Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var expected = $"{w}:{i}";
                try
                {
                    var reply = await client.ExecuteAsync(["ECHO", expected]);
                    if (reply.Text != expected)
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    Interlocked.Increment(ref succeeded);
                    if (Volatile.Read(ref restarted))
                    {
                        Interlocked.Increment(ref succeededAfterRestart);
                    }
                }
                catch (RedisUnavailableException)
                {
                    Interlocked.Increment(ref unavailable);
                    await Task.Delay(5);
                }
            }
        })).ToList();

        await Task.Delay(300);
        await _redis.StopAsync();
        await Task.Delay(300);
        await _redis.RestartAsync();
        Volatile.Write(ref restarted, true);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref succeededAfterRestart) < 1000 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, wrong);
        Assert.True(unavailable > 0, "stopping the server should have failed some commands");
        Assert.True(succeededAfterRestart >= 1000, $"only {succeededAfterRestart} commands succeeded after the restart");
    }

    private static async Task<bool> PingsAsync(MultiplexedRedisClient client)
    {
        try
        {
            await client.PingAsync();
            return true;
        }
        catch (RedisUnavailableException)
        {
            return false;
        }
    }

    /// <summary>
    /// CLIENT LIST is an admin command, which the appliance's client does not enable; the test asks through its own
    /// admin connection, built from the same settings.
    /// </summary>
    private async Task<string> ClientListAsync()
    {
        var options = RedisConnection.Options(new RedisSettings("127.0.0.1", _redis.Port, null, _redis.Password, 0, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)), "admin");
        options.AllowAdmin = true;
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options);
        return (string)(await admin.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!;
    }
}
