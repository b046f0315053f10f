using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace Appliance.Platform.Logging;

/// <summary>
/// The logging pipeline of the API and the worker: Serilog behind <see cref="Microsoft.Extensions.Logging.ILogger"/>,
/// one event per line on stdout for the journal. Configured in code, not through Serilog.Settings.Configuration
/// (which binds by reflection and is not AOT-safe); the settings read are the usual <c>Logging:LogLevel:*</c> levels
/// and <c>Logging:Console:Format</c> (<c>text</c>, the default, or <c>json</c>: compact JSON, one event per line).
/// </summary>
/// <remarks>
/// Extra sinks, enrichers and level switches registered in the service container are added too
/// (<c>ReadFrom.Services</c>): the integration tests capture events that way.
/// </remarks>
public static class ApplianceLogging
{
    public static void AddApplianceLogging(this IHostApplicationBuilder builder, string application)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var (minimum, overrides) = ReadLevels(configuration.GetSection("Logging:LogLevel"));
        var json = string.Equals(configuration["Logging:Console:Format"], "json", StringComparison.OrdinalIgnoreCase);

        builder.Logging.ClearProviders();
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.MinimumLevel.Is(minimum)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Application", application)
                .Enrich.With(new SecretMasking())
                .ReadFrom.Services(services);
            foreach (var (category, level) in overrides)
            {
                logger.MinimumLevel.Override(category, level);
            }

            ITextFormatter formatter = json
                ? new CompactJsonFormatter()
                : new SingleLineFormatter();
            logger.WriteTo.Console(formatter);
        }, preserveStaticLogger: true);
    }

    /// <summary>
    /// The <c>Logging:LogLevel</c> section in Microsoft.Extensions.Logging's names (Trace, Debug, Information, Warning,
    /// Error, Critical, None); <c>Default</c> is the minimum, every other key a category prefix. Hosting's per-request
    /// diagnostics stay off unless configured: the request logging middleware writes one event per request instead.
    /// </summary>
    public static (LogEventLevel Minimum, IReadOnlyList<(string Category, LogEventLevel Level)> Overrides) ReadLevels(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var minimum = LogEventLevel.Information;
        var overrides = new Dictionary<string, LogEventLevel>(StringComparer.Ordinal)
        {
            ["Microsoft.AspNetCore.Hosting.Diagnostics"] = LevelAlias.Off,
        };
        foreach (var child in section.GetChildren())
        {
            var level = ParseLevel(child.Value)
                ?? throw new Configuration.ConfigurationException($"Logging:LogLevel:{child.Key}", $"must be one of Trace, Debug, Information, Warning, Error, Critical, None, got '{child.Value}'");
            if (child.Key == "Default")
            {
                minimum = level;
            }
            else
            {
                overrides[child.Key] = level;
            }
        }

        return (minimum, overrides.Select(pair => (pair.Key, pair.Value)).ToList());
    }

    private static LogEventLevel? ParseLevel(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "TRACE" or "VERBOSE" => LogEventLevel.Verbose,
        "DEBUG" => LogEventLevel.Debug,
        "INFORMATION" => LogEventLevel.Information,
        "WARNING" => LogEventLevel.Warning,
        "ERROR" => LogEventLevel.Error,
        "CRITICAL" or "FATAL" => LogEventLevel.Fatal,
        "NONE" => LevelAlias.Off,
        _ => null,
    };
}
