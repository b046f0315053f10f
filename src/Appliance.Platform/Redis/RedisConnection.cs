using Appliance.Platform.Configuration;
using StackExchange.Redis;

namespace Appliance.Platform.Redis;

/// <summary>Maps <see cref="RedisSettings"/> to StackExchange.Redis options and opens the process's one multiplexer.</summary>
public static class RedisConnection
{
    /// <summary>
    /// The options for <paramref name="settings"/>. The multiplexer never gives up: it connects in the background while
    /// Redis is down (<c>AbortOnConnectFail = false</c>) and reconnects after a loss, while commands sent meanwhile fail
    /// at once (<see cref="BacklogPolicy.FailFast"/>) instead of queueing for the command timeout, so the fail-open and
    /// fail-closed rules answer immediately, as they did with the project's own client. With a service name the
    /// endpoints are the sentinels and the multiplexer follows the primary they name, also across failovers.
    /// </summary>
    public static ConfigurationOptions Options(RedisSettings settings, string clientName = "appliance")
    {
        ArgumentNullException.ThrowIfNull(settings);
        var commandMs = (int)Math.Ceiling(settings.CommandTimeout.TotalMilliseconds);
        var options = new ConfigurationOptions
        {
            User = settings.User,
            Password = settings.Password,
            DefaultDatabase = settings.Database,
            ConnectTimeout = (int)Math.Ceiling(settings.ConnectTimeout.TotalMilliseconds),
            SyncTimeout = commandMs,
            AsyncTimeout = commandMs,
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = clientName,
            // The heartbeat is where the library notices timed-out commands and retries a lost connection; every 100 ms
            // (the default is 1 s) a 200 ms timeout fires near 200 ms and a restarted Redis is used again within about
            // 0.2 s. A tick with nothing to do costs next to nothing.
            HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(commandMs / 2, 10, 100)),
            // Retry a lost connection on every tick: a refused or timed-out connect attempt is cheap, and the project's
            // own client reconnected on the next command, so this keeps recovery as quick as it was.
            ReconnectRetryPolicy = new LinearRetry(100),
            // Keepalive PINGs also let an idle subscriber connection learn that its peer vanished (host reboot).
            KeepAlive = 30,
        };
        if (settings.ServiceName is { } service)
        {
            options.ServiceName = service;
            foreach (var (host, port) in settings.Sentinels)
            {
                options.EndPoints.Add(host, port);
            }
        }
        else
        {
            options.EndPoints.Add(settings.Host, settings.Port);
        }

        return options;
    }

    /// <summary>
    /// Opens the multiplexer. Does not fail when Redis is unreachable (it keeps trying in the background); the first
    /// attempt takes at most the connect timeout.
    /// </summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(RedisSettings settings, string clientName = "appliance") =>
        await ConnectionMultiplexer.ConnectAsync(Options(settings, clientName));
}
