using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Appliance.Platform.Hosting;

/// <summary>
/// Sends <c>WATCHDOG=1</c> for units with <c>WatchdogSec=</c>: Microsoft.Extensions.Hosting.Systemd sends READY=1 and STOPPING=1
/// (<c>SystemdLifetime</c>) but no watchdog pings (docs/decisions/0004). The pings go through the package's
/// <see cref="ISystemdNotifier"/>, which exists only when the process runs as a systemd service.
/// </summary>
public sealed partial class SystemdWatchdog(ISystemdNotifier notifier, TimeSpan interval, IHostApplicationLifetime lifetime, ILogger<SystemdWatchdog> logger)
    : BackgroundService
{
    private static readonly ServiceState Ping = new("WATCHDOG=1");

    /// <summary>How often to ping: half of <c>$WATCHDOG_USEC</c>, as sd_watchdog_enabled(3) advises; null when the watchdog is
    /// off or meant for another process (<c>$WATCHDOG_PID</c> set to a different pid).</summary>
    public static TimeSpan? IntervalFromEnvironment() => ParseInterval(
        Environment.GetEnvironmentVariable("WATCHDOG_USEC"),
        Environment.GetEnvironmentVariable("WATCHDOG_PID"),
        Environment.ProcessId);

    internal static TimeSpan? ParseInterval(string? watchdogUsec, string? watchdogPid, int processId)
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled || !await WaitForStartAsync(stoppingToken))
        {
            return;
        }

        LogWatchdog(logger, interval.TotalMilliseconds);
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                Send();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host stops
        }
    }

    private void Send()
    {
        try
        {
            notifier.Notify(Ping);
        }
        catch (SocketException)
        {
            // systemd went away (the package's notifier does not catch this); the next tick tries again.
        }
    }

    /// <summary>Pings start with READY=1 (<c>ApplicationStarted</c>), as before the package took over READY.</summary>
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

    [LoggerMessage(Level = LogLevel.Information, Message = "systemd watchdog: WATCHDOG=1 every {IntervalMs} ms")]
    private static partial void LogWatchdog(ILogger logger, double intervalMs);
}
