using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;

namespace Appliance.IntegrationTests.Redis;

/// <summary>Typed commands, Lua scripts with the rate limiter, and pub/sub against a real redis-server.</summary>
public sealed class RedisCommandsTests : IAsyncLifetime
{
    private RedisProcess _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisProcess.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    // No test here is about timeouts, so they are generous: on a loaded CI machine 200 callers queued behind the first
    // connect once took longer than 2 s and failed a test about counting.
    private MultiplexedRedisClient Client() =>
        new(new RedisSettings("127.0.0.1", _redis.Port, null, _redis.Password, 0, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5)));

    [Fact]
    public async Task Typed_string_counter_and_key_commands()
    {
        await using var redis = Client();
        Assert.Null(await redis.StringGetAsync("jti:1"));
        Assert.Null(await redis.TimeToLiveAsync("jti:1"));
        Assert.True(await redis.StringSetAsync("jti:1", "revoked", TimeSpan.FromMinutes(5)));
        Assert.Equal("revoked", await redis.StringGetAsync("jti:1"));
        var ttl = await redis.TimeToLiveAsync("jti:1");
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4.9), TimeSpan.FromMinutes(5));
        Assert.False(await redis.StringSetAsync("jti:1", "other", onlyIfNotExists: true));
        Assert.Equal("revoked", await redis.StringGetAsync("jti:1"));
        Assert.True(await redis.StringSetAsync("plain", "x"));
        Assert.Equal(Timeout.InfiniteTimeSpan, await redis.TimeToLiveAsync("plain"));

        Assert.Equal(1, await redis.IncrementAsync("fails:a"));
        Assert.Equal(5, await redis.IncrementAsync("fails:a", 4));
        Assert.False(await redis.ExpireAsync("missing", TimeSpan.FromSeconds(1)));
        Assert.True(await redis.ExpireAsync("fails:a", TimeSpan.FromMilliseconds(1000)));
        Assert.True(await redis.ExistsAsync("fails:a"));
        await Task.Delay(1300);
        Assert.False(await redis.ExistsAsync("fails:a"));

        Assert.Equal(2, await redis.DeleteAsync(["jti:1", "plain", "missing"]));
        Assert.Equal(0, await redis.DeleteAsync("jti:1"));
        Assert.Equal(0, await redis.DeleteAsync([]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => redis.StringSetAsync("k", "v", TimeSpan.Zero));
        Assert.False(await redis.ExistsAsync("k"));
    }

    [Fact]
    public async Task Script_sha1_matches_the_server_and_noscript_falls_back_to_eval()
    {
        await using var redis = Client();
        var script = new RedisScript("return ARGV[1] .. KEYS[1]");
        Assert.Equal(script.Sha1, (await redis.ExecuteAsync(["SCRIPT", "LOAD", script.Text])).Text);
        Assert.Equal("ab", (await redis.EvaluateAsync(script, ["b"], ["a"])).Text);
        await redis.ExecuteAsync(["SCRIPT", "FLUSH"]);
        Assert.Equal(0, (await redis.ExecuteAsync(["SCRIPT", "EXISTS", script.Sha1])).Items![0].Number);
        Assert.Equal("cd", (await redis.EvaluateAsync(script, ["d"], ["c"])).Text);
        // The client sent the text again after NOSCRIPT, which cached it again, so the next call is an EVALSHA hit.
        Assert.Equal(1, (await redis.ExecuteAsync(["SCRIPT", "EXISTS", script.Sha1])).Items![0].Number);
        var broken = new RedisScript("return redis.call('NOPE')");
        await Assert.ThrowsAsync<RedisServerException>(() => redis.EvaluateAsync(broken, [], []));
    }

    [Fact]
    public async Task Rate_limit_allows_exactly_the_limit_under_200_concurrent_hits()
    {
        await using var redis = Client();
        var limiter = new RedisRateLimiter(redis);
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => limiter.HitAsync("rl:user:1", 50, TimeSpan.FromMinutes(1))));
        Assert.Equal(50, results.Count(r => r.Allowed));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Select(r => r.Count).Order());
        Assert.All(results, r =>
        {
            Assert.Equal(50, r.Limit);
            Assert.Equal(Math.Max(0, 50 - r.Count), r.Remaining);
            Assert.Equal(r.Count <= 50, r.Allowed);
            Assert.InRange(r.ResetAfter, TimeSpan.FromSeconds(55), TimeSpan.FromMinutes(1));
        });
        Assert.InRange((await redis.TimeToLiveAsync("rl:user:1"))!.Value, TimeSpan.FromSeconds(55), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Hit_unless_marked_counts_like_a_hit_and_refuses_without_counting_while_the_marker_exists()
    {
        await using var redis = Client();
        var limiter = new RedisRateLimiter(redis);
        var first = await limiter.HitUnlessMarkedAsync("auth:revoked:x", "auth:revoked:sid:x", "auth:valid-after:x", DateTimeOffset.UtcNow, "rl:user:m", 2, TimeSpan.FromMinutes(1));
        Assert.Equal((true, 1L, 1L), (first!.Allowed, first.Count, first.Remaining));
        Assert.InRange(first.ResetAfter, TimeSpan.FromSeconds(55), TimeSpan.FromMinutes(1));
        Assert.Equal(2, (await limiter.HitAsync("rl:user:m", 2, TimeSpan.FromMinutes(1))).Count);
        var over = await limiter.HitUnlessMarkedAsync("auth:revoked:x", "auth:revoked:sid:x", "auth:valid-after:x", DateTimeOffset.UtcNow, "rl:user:m", 2, TimeSpan.FromMinutes(1));
        Assert.Equal((false, 3L, 0L), (over!.Allowed, over.Count, over.Remaining));

        await redis.ExecuteAsync(["SET", "auth:revoked:x", "1"]);
        Assert.Null(await limiter.HitUnlessMarkedAsync("auth:revoked:x", "auth:revoked:sid:x", "auth:valid-after:x", DateTimeOffset.UtcNow, "rl:user:m", 2, TimeSpan.FromMinutes(1)));
        Assert.Null(await limiter.HitUnlessMarkedAsync("auth:revoked:x", "auth:revoked:sid:x", "auth:valid-after:x", DateTimeOffset.UtcNow, "rl:user:fresh", 2, TimeSpan.FromMinutes(1)));
        Assert.Equal("3", (await redis.ExecuteAsync(["GET", "rl:user:m"])).Text);
        Assert.False(await redis.ExistsAsync("rl:user:fresh"));
    }

    [Fact]
    public async Task Rate_limit_window_resets_and_survives_script_flush_and_restart()
    {
        await using var redis = Client();
        var limiter = new RedisRateLimiter(redis);
        var window = TimeSpan.FromMilliseconds(1500);
        Assert.True((await limiter.HitAsync("rl:ip", 2, window)).Allowed);
        Assert.True((await limiter.HitAsync("rl:ip", 2, window)).Allowed);
        var blocked = await limiter.HitAsync("rl:ip", 2, window);
        Assert.False(blocked.Allowed);
        Assert.Equal(0, blocked.Remaining);
        Assert.InRange(blocked.ResetAfter, TimeSpan.FromMilliseconds(1), window);
        await Task.Delay(blocked.ResetAfter + TimeSpan.FromMilliseconds(100));
        var fresh = await limiter.HitAsync("rl:ip", 2, window);
        Assert.Equal(1, fresh.Count);
        Assert.True(fresh.Allowed);

        await redis.ExecuteAsync(["SCRIPT", "FLUSH"]);
        Assert.Equal(2, (await limiter.HitAsync("rl:ip", 2, window)).Count);
        var peek = await limiter.PeekAsync("rl:ip", 2);
        Assert.Equal((false, 2L, 0L), (peek.Allowed, peek.Count, peek.Remaining));
        Assert.InRange(peek.ResetAfter, TimeSpan.FromMilliseconds(1), window);
        Assert.Equal(2, (await limiter.PeekAsync("rl:ip", 2)).Count);
        var untouched = await limiter.PeekAsync("rl:never", 2);
        Assert.Equal((true, 0L, 2L, TimeSpan.Zero), (untouched.Allowed, untouched.Count, untouched.Remaining, untouched.ResetAfter));
        Assert.False(await redis.ExistsAsync("rl:never"));

        await _redis.StopAsync();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => limiter.HitAsync("rl:ip", 2, window));
        await _redis.RestartAsync();
        // The multiplexer reconnects in the background; until then hits fail at once rather than queueing.
        Assert.True(await EventuallyAsync(async () =>
        {
            try
            {
                return (await limiter.HitAsync("rl:ip", 2, window)).Count == 1;
            }
            catch (RedisUnavailableException)
            {
                return false;
            }
        }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limiter.HitAsync("rl:ip", 0, window));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limiter.HitAsync("rl:ip", 1, TimeSpan.Zero));
    }

    [Fact]
    public async Task Published_messages_reach_the_subscriber_which_resumes_after_a_restart_and_unsubscribes_on_dispose()
    {
        await using var redis = Client();
        var received = System.Threading.Channels.Channel.CreateUnbounded<RedisMessage>();
        var subscription = await redis.SubscribeAsync("events", m => received.Writer.WriteAsync(m).AsTask());
        Assert.Equal(1, await redis.PublishAsync("events", "hello"));
        Assert.Equal(0, await redis.PublishAsync("other", "ignored"));
        Assert.Equal(new RedisMessage("events", "hello"), await ReadAsync(received));
        // The client still runs normal commands: the multiplexer keeps subscriptions on their own connection.
        Assert.Equal("x", (await redis.ExecuteAsync(["ECHO", "x"])).Text);

        await _redis.StopAsync();
        await _redis.RestartAsync();
        Assert.True(await EventuallyAsync(async () =>
        {
            try
            {
                return await redis.PublishAsync("events", "after restart") == 1;
            }
            catch (RedisUnavailableException)
            {
                return false;
            }
        }));
        Assert.Equal(new RedisMessage("events", "after restart"), await ReadAsync(received));

        await subscription.DisposeAsync();
        Assert.True(await EventuallyAsync(async () => await redis.PublishAsync("events", "gone") == 0));
    }

    [Fact]
    public async Task A_handler_that_throws_does_not_end_the_subscription()
    {
        await using var redis = Client();
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await using var subscription = await redis.SubscribeAsync("c", async m =>
        {
            await received.Writer.WriteAsync(m.Message);
            throw new InvalidOperationException("handler bug");
        });
        await redis.PublishAsync("c", "1");
        await redis.PublishAsync("c", "2");
        Assert.Equal("1", await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("2", await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Subscribing_while_redis_is_down_fails_fast()
    {
        await _redis.StopAsync();
        await using var redis = Client();
        await Assert.ThrowsAsync<RedisUnavailableException>(() => redis.SubscribeAsync("c", _ => Task.CompletedTask));
    }

    private static Task<RedisMessage> ReadAsync(System.Threading.Channels.Channel<RedisMessage> channel) =>
        channel.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
