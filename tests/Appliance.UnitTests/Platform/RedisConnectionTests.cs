using System.Net;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Appliance.UnitTests.Platform;

/// <summary>How the appliance's Redis settings become StackExchange.Redis options.</summary>
public sealed class RedisConnectionTests
{
    private static RedisSettings Load(Dictionary<string, string?> values) =>
        ApplianceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(values)
        {
            ["Database:ConnectionString"] = "Host=127.0.0.1;Database=appliance;Username=appliance",
        }).Build()).Redis;

    [Fact]
    public void A_single_server_maps_auth_database_timeouts_and_the_reconnect_rules()
    {
        var options = RedisConnection.Options(Load(new()
        {
            ["Redis:Endpoint"] = "redis.internal:6380",
            ["Redis:User"] = "appliance",
            ["Redis:Password"] = "s3cret",
            ["Redis:Database"] = "2",
            ["Redis:CommandTimeoutMs"] = "300",
            ["Redis:ConnectTimeoutMs"] = "1500",
        }), "appliance-api");

        Assert.Equal(["redis.internal:6380"], Names(options));
        Assert.Null(options.ServiceName);
        Assert.Equal(("appliance", "s3cret", 2), (options.User, options.Password, options.DefaultDatabase));
        Assert.Equal((300, 300, 1500), (options.SyncTimeout, options.AsyncTimeout, options.ConnectTimeout));
        Assert.Equal("appliance-api", options.ClientName);
        // Never give up connecting, and fail commands at once while disconnected (fail open / fail closed at once).
        Assert.False(options.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        // Timeouts and reconnects are checked on the heartbeat: every 100 ms, and at least twice per command timeout.
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.HeartbeatInterval);
        Assert.IsType<LinearRetry>(options.ReconnectRetryPolicy);
        Assert.True(options.ReconnectRetryPolicy.ShouldRetry(50, 100));
    }

    [Fact]
    public void Defaults_give_no_auth_database_zero_and_two_second_timeouts()
    {
        var options = RedisConnection.Options(Load(new() { ["Redis:Endpoint"] = "127.0.0.1:6379" }));
        Assert.Equal(["127.0.0.1:6379"], Names(options));
        Assert.Equal((null, null, 0), (options.User, options.Password, options.DefaultDatabase));
        Assert.Equal((2000, 2000, 2000), (options.SyncTimeout, options.AsyncTimeout, options.ConnectTimeout));
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), RedisConnection.Options(Load(new() { ["Redis:Endpoint"] = "127.0.0.1:6379", ["Redis:CommandTimeoutMs"] = "100" })).HeartbeatInterval);
    }

    [Fact]
    public void A_service_name_with_sentinels_connects_through_the_sentinels()
    {
        var settings = Load(new()
        {
            ["Redis:ServiceName"] = "appliance",
            ["Redis:Sentinels"] = "10.0.30.12:26379, sentinel-b:26380,10.0.30.13:26379",
            ["Redis:Password"] = "s3cret",
        });
        Assert.Equal("appliance", settings.ServiceName);
        Assert.Equal([("10.0.30.12", 26379), ("sentinel-b", 26380), ("10.0.30.13", 26379)], settings.Sentinels);
        Assert.Equal(("10.0.30.12", 26379), (settings.Host, settings.Port));

        var options = RedisConnection.Options(settings);
        Assert.Equal("appliance", options.ServiceName);
        Assert.Equal(["10.0.30.12:26379", "sentinel-b:26380", "10.0.30.13:26379"], Names(options));
        Assert.Equal("s3cret", options.Password);
    }

    [Theory]
    [InlineData("appliance", null, null, "Redis:Sentinels is missing")]
    [InlineData(null, "10.0.30.12:26379", "127.0.0.1:6379", "Redis:Sentinels needs Redis:ServiceName")]
    [InlineData("appliance", "10.0.30.12:26379", "127.0.0.1:6379", "Redis:Endpoint must not be set together with Redis:ServiceName")]
    [InlineData("appliance", "10.0.30.12", null, "Redis:Sentinels must be host:port")]
    [InlineData("appliance", "10.0.30.12:26379,:1", null, "Redis:Sentinels must be host:port")]
    [InlineData("my service", "10.0.30.12:26379", null, "Redis:ServiceName must be at most 64 letters")]
    public void Sentinel_settings_that_do_not_fit_together_are_named(string? service, string? sentinels, string? endpoint, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(new()
        {
            ["Redis:ServiceName"] = service,
            ["Redis:Sentinels"] = sentinels,
            ["Redis:Endpoint"] = endpoint,
        }));
        Assert.StartsWith("configuration error: " + expected, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The library keeps IP addresses as <see cref="IPEndPoint"/> and names as <see cref="DnsEndPoint"/>.</summary>
    private static string[] Names(ConfigurationOptions options) =>
        [.. options.EndPoints.Select(e => e is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : e.ToString()!)];

    [Fact]
    public void Script_sha1_is_the_lower_case_hex_redis_uses()
    {
        // The example from the Redis EVALSHA documentation: SCRIPT LOAD "return 1".
        Assert.Equal("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new RedisScript("return 1").Sha1);
        Assert.Throws<ArgumentException>(() => new RedisScript(" "));
    }
}
