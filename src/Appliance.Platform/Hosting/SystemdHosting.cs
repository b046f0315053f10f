using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Appliance.Platform.Hosting;

public static class SystemdHostingServiceCollectionExtensions
{
    /// <summary>
    /// systemd integration of the API and the worker: Microsoft.Extensions.Hosting.Systemd's <c>AddSystemd()</c> (READY=1 once
    /// every hosted service started, STOPPING=1 on shutdown, SIGTERM handling, and console lines in the journal's format
    /// with their priority), plus <see cref="SystemdWatchdog"/> for <c>WatchdogSec=</c>. Outside systemd only the console
    /// setting below applies. Call it after the console logger is added, so that under systemd the journal format wins.
    /// </summary>
    public static IServiceCollection AddApplianceSystemd(this IServiceCollection services)
    {
        services.AddSystemd();
        if (!SystemdHelpers.IsSystemdService() && RunsAsSystemdUnit())
        {
            // The package recognises a service by its parent's name in /proc/PPID/comm, and the units' ProtectProc=invisible
            // hides PID 1 from the service user, so it finds none. The same registrations AddSystemd makes when it does.
            services.Configure<ConsoleLoggerOptions>(options => options.FormatterName = ConsoleFormatterNames.Systemd);
            services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        // The journal stamps each line itself; scopes carry the request id into every line of a request.
        services.Configure<ConsoleFormatterOptions>(options => options.IncludeScopes = true);
        if (IsSystemdService() && SystemdWatchdog.IntervalFromEnvironment() is { } interval)
        {
            services.AddHostedService(provider => new SystemdWatchdog(
                provider.GetRequiredService<ISystemdNotifier>(),
                interval,
                provider.GetRequiredService<IHostApplicationLifetime>(),
                provider.GetRequiredService<ILogger<SystemdWatchdog>>()));
        }

        return services;
    }

    /// <summary>True when the package treats the process as a service, or when systemd started it as a unit's process
    /// (systemd sets <c>$INVOCATION_ID</c> for every unit and <c>$NOTIFY_SOCKET</c> for <c>Type=notify</c>).</summary>
    public static bool IsSystemdService() => SystemdHelpers.IsSystemdService() || RunsAsSystemdUnit();

    private static bool RunsAsSystemdUnit() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("INVOCATION_ID"));
}
