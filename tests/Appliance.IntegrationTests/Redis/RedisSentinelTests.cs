using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;
using Microsoft.Extensions.Configuration;

namespace Appliance.IntegrationTests.Redis;

/// <summary>
/// Sentinel mode (<c>Redis:ServiceName</c> + <c>Redis:Sentinels</c>) against a real sentinel (<c>redis-server
/// --sentinel</c>) on loopback that monitors a real primary: the client asks the sentinel for the primary and uses it.
/// </summary>
public sealed class RedisSentinelTests : IAsyncLifetime
{
    private RedisProcess _primary = null!;
    private Process? _sentinel;
    private string _directory = null!;
    private int _sentinelPort;

    public async Task InitializeAsync()
    {
        _primary = await RedisProcess.StartAsync();
        _directory = Directory.CreateTempSubdirectory("appliance-sentinel-").FullName;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _sentinelPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        // Sentinel rewrites its configuration file, so it lives in the test's own directory. The sentinel asks for the
        // same password as the primary: the appliance sends its one Redis password to both.
        var config = Path.Combine(_directory, "sentinel.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            port {_sentinelPort}
            bind 127.0.0.1
            dir {_directory}
            requirepass {_primary.Password}
            sentinel monitor appliance 127.0.0.1 {_primary.Port} 1
            sentinel auth-pass appliance {_primary.Password}

            """));
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(config);
        start.ArgumentList.Add("--sentinel");
        _sentinel = Process.Start(start) ?? throw new InvalidOperationException("redis-server --sentinel did not start");
        _sentinel.BeginOutputReadLine();
        _sentinel.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _sentinelPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"the sentinel did not listen on {_sentinelPort}");
    }

    public async Task DisposeAsync()
    {
        if (_sentinel is { HasExited: false })
        {
            _sentinel.Kill();
            await _sentinel.WaitForExitAsync();
        }

        _sentinel?.Dispose();
        await _primary.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private RedisSettings Settings(string service) =>
        ApplianceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = "Host=127.0.0.1;Database=unused",
            ["Redis:ServiceName"] = service,
            ["Redis:Sentinels"] = $"127.0.0.1:{_sentinelPort}",
            ["Redis:Password"] = _primary.Password,
            ["Redis:ConnectTimeoutMs"] = "5000",
            ["Redis:CommandTimeoutMs"] = "5000",
        }).Build()).Redis;

    [Fact]
    public async Task The_client_finds_the_primary_through_the_sentinel_and_runs_commands_scripts_and_pub_sub_on_it()
    {
        await using var viaSentinel = new MultiplexedRedisClient(Settings("appliance"), "sentinel-test");
        Assert.True(await viaSentinel.StringSetAsync("placed", "through the sentinel"));
        var limiter = new RedisRateLimiter(viaSentinel);
        Assert.Equal(1, (await limiter.HitAsync("rl:sentinel", 5, TimeSpan.FromMinutes(1))).Count);
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await using (await viaSentinel.SubscribeAsync("events", m => received.Writer.WriteAsync(m.Message).AsTask()))
        {
            Assert.Equal(1, await viaSentinel.PublishAsync("events", "hello"));
            Assert.Equal("hello", await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        }

        // The writes landed on the primary the sentinel monitors.
        await using var direct = new MultiplexedRedisClient(new RedisSettings("127.0.0.1", _primary.Port, null, _primary.Password, 0, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)), "direct");
        Assert.Equal("through the sentinel", await direct.StringGetAsync("placed"));
        Assert.Equal("1", await direct.StringGetAsync("rl:sentinel"));
    }

    [Fact]
    public async Task A_service_the_sentinel_does_not_know_is_unavailable_naming_the_service()
    {
        await using var client = new MultiplexedRedisClient(Settings("no-such-service"), "sentinel-test");
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.PingAsync());
        Assert.IsType<RedisUnavailableException>(ex);
        Assert.Contains("no-such-service", ex.Message, StringComparison.Ordinal);
    }
}
