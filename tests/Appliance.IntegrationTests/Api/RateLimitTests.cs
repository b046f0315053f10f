using System.Globalization;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

/// <summary>The per-user and per-address API rate limit with its headers, on real Redis.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task Every_answer_carries_the_headers_and_the_limit_answers_429_with_retry_after()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var api = await ApiServer.StartAsync(new()
        {
            ["Redis:Endpoint"] = redis.Endpoint,
            ["Redis:Password"] = redis.Password,
            ["RateLimit:PerUserPerMinute"] = "5",
            ["RateLimit:PerIpPerMinute"] = "3",
        });

        for (var i = 1; i <= 5; i++)
        {
            var ok = await api.Client.GetAsync("/api/v1/customers");
            Assert.Equal(200, (int)ok.StatusCode);
            Assert.Equal(5, Rest.Header(ok, "X-RateLimit-Limit"));
            Assert.Equal(5 - i, Rest.Header(ok, "X-RateLimit-Remaining"));
            Assert.InRange(Rest.Header(ok, "X-RateLimit-Reset") - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 0, 61);
        }

        var limited = await api.Client.GetAsync("/api/v1/customers");
        var error = await ApiServer.AssertErrorAsync(limited, 429, "RATE_LIMIT_EXCEEDED");
        Assert.Equal("retry_after", error.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.InRange(int.Parse(limited.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(0, Rest.Header(limited, "X-RateLimit-Remaining"));

        // Health probes are never limited; anonymous callers count per address, separately from the user.
        Assert.Equal(200, (int)(await api.Client.GetAsync("/health")).StatusCode);
        var anonymous = await api.Anonymous.GetAsync("/.well-known/jwks.json");
        Assert.Equal(200, (int)anonymous.StatusCode);
        Assert.Equal(3, Rest.Header(anonymous, "X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Rate_limiting_fails_open_when_redis_is_down_but_token_checks_fail_closed()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var api = await ApiServer.StartAsync(new() { ["Redis:Endpoint"] = redis.Endpoint, ["Redis:Password"] = redis.Password });
        await redis.StopAsync();
        var anonymous = await api.Anonymous.GetAsync("/.well-known/jwks.json");
        Assert.Equal(200, (int)anonymous.StatusCode);
        Assert.False(anonymous.Headers.Contains("X-RateLimit-Limit"));
        Assert.Contains(api.Logs.Lines, line => line.Contains("rate limit skipped (fail open)", StringComparison.Ordinal));
        await ApiServer.AssertErrorAsync(await api.Client.GetAsync("/api/v1/customers"), 503, "SERVICE_UNAVAILABLE");

        // Both decisions are counted at /metrics.
        var metrics = await api.Anonymous.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^appliance_rate_limit_fail_open_total [1-9]", metrics);
        Assert.Matches(@"(?m)^appliance_redis_fail_closed_total [1-9]", metrics);
    }
}
