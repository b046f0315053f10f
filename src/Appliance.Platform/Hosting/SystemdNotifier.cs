using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Platform.Hosting;

/// <summary>
/// The sd_notify protocol for <c>Type=notify</c> units (replaces Microsoft.Extensions.Hosting.Systemd, not served here; see
/// docs/decisions/0004): one datagram per message to the Unix socket named by <c>$NOTIFY_SOCKET</c> (a path, or an abstract
/// name written with a leading <c>@</c>). Without <c>$NOTIFY_SOCKET</c> (not started by systemd) every call is a no-op.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Lock _gate = new();

    /// <summary>Reads the protocol's variables; <paramref name="processId"/> is ours (compared with <c>$WATCHDOG_PID</c>).</summary>
    public SystemdNotifier(string? notifySocket, string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!string.IsNullOrEmpty(notifySocket) && (notifySocket[0] is '/' or '@'))
        {
            // Abstract socket names are written with '@' and go to the kernel with a leading NUL byte.
            _endpoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
            _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        }

        WatchdogInterval = ParseWatchdog(watchdogUsec, watchdogPid, processId);
    }

    /// <summary>True when started by systemd with a notify socket.</summary>
    public bool IsEnabled => _socket is not null;

    /// <summary>How often to send <c>WATCHDOG=1</c>: half of <c>$WATCHDOG_USEC</c>, as sd_watchdog_enabled(3) advises; null when the
    /// watchdog is off or meant for another process (<c>$WATCHDOG_PID</c> set to a different pid).</summary>
    public TimeSpan? WatchdogInterval { get; }

    public static SystemdNotifier FromEnvironment() => new(
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET"),
        Environment.GetEnvironmentVariable("WATCHDOG_USEC"),
        Environment.GetEnvironmentVariable("WATCHDOG_PID"),
        Environment.ProcessId);

    public bool Ready(string? status = null) => Notify(status is null ? "READY=1" : $"READY=1\nSTATUS={status}");

    public bool Stopping(string? status = null) => Notify(status is null ? "STOPPING=1" : $"STOPPING=1\nSTATUS={status}");

    public bool Watchdog() => Notify("WATCHDOG=1");

    public bool Status(string status) => Notify("STATUS=" + status);

    /// <summary>Sends one newline-separated message; false when disabled or when the socket refused it (systemd gone).</summary>
    public bool Notify(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_socket is null || _endpoint is null)
        {
            return false;
        }

        var payload = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            try
            {
                return _socket.SendTo(payload, SocketFlags.None, _endpoint) == payload.Length;
            }
            catch (SocketException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
        }
    }

    internal static TimeSpan? ParseWatchdog(string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!long.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(watchdogPid)
            && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != processId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec / 2.0);
    }
}

/// <summary>
/// Tells systemd about the host's life: <c>READY=1</c> once every hosted service started (for the API that is after Kestrel
/// listens), <c>WATCHDOG=1</c> at half the watchdog timeout while the host runs, <c>STOPPING=1</c> when shutdown begins.
/// </summary>
public sealed partial class SystemdNotifyService(SystemdNotifier notifier, IHostApplicationLifetime lifetime, ILogger<SystemdNotifyService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled)
        {
            return;
        }

        using var stopping = lifetime.ApplicationStopping.Register(() => notifier.Stopping("stopping"));
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }

        notifier.Ready("running");
        if (notifier.WatchdogInterval is not { } interval)
        {
            LogReady(logger, "off");
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        LogReady(logger, interval.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms");
        notifier.Watchdog();
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                notifier.Watchdog();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host stops
        }
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStop = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "systemd notified: READY=1 (watchdog {Watchdog})")]
    private static partial void LogReady(ILogger logger, string watchdog);
}

public static class SystemdNotifyServiceCollectionExtensions
{
    /// <summary>Registers the notifier (from the environment) and the hosted service that drives it; a no-op outside systemd.</summary>
    public static IServiceCollection AddSystemdNotify(this IServiceCollection services)
    {
        services.AddSingleton(_ => SystemdNotifier.FromEnvironment());
        services.AddHostedService<SystemdNotifyService>();
        return services;
    }
}
