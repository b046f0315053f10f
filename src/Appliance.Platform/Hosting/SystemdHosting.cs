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
    /// with their priority), plus <see cref="SystemdWatchdog"/> for <c>WatchdogSec=</c>. Outside systemd (the package checks
    /// that the parent process is systemd) only the console setting below applies. Call it after the console logger is
    /// added, so that under systemd the journal format wins.
    /// </summary>
    public static IServiceCollection AddApplianceSystemd(this IServiceCollection services)
    {
        services.AddSystemd();
        // The journal stamps each line itself; scopes carry the request id into every line of a request.
        services.Configure<ConsoleFormatterOptions>(options => options.IncludeScopes = true);
        if (SystemdHelpers.IsSystemdService() && SystemdWatchdog.IntervalFromEnvironment() is { } interval)
        {
            services.AddHostedService(provider => new SystemdWatchdog(
                provider.GetRequiredService<ISystemdNotifier>(),
                interval,
                provider.GetRequiredService<IHostApplicationLifetime>(),
                provider.GetRequiredService<ILogger<SystemdWatchdog>>()));
        }

        return services;
    }
}
