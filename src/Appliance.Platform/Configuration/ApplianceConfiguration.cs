using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

/// <summary>
/// Builds the layered configuration every appliance binary reads: appsettings.json beside the binary,
/// then /etc/appliance/*.json (alphabetical), then APPLIANCE_-prefixed environment variables, then the command line.
/// </summary>
public static class ApplianceConfiguration
{
    public const string EnvironmentPrefix = "APPLIANCE_";
    public const string ConfigDirVariable = "APPLIANCE_CONFIG_DIR";
    public const string DefaultConfigDir = "/etc/appliance";

    public static void AddApplianceSources(this IConfigurationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configDir = Environment.GetEnvironmentVariable(ConfigDirVariable);
        if (string.IsNullOrWhiteSpace(configDir))
        {
            configDir = DefaultConfigDir;
        }

        if (Directory.Exists(configDir))
        {
            foreach (var file in Directory.GetFiles(configDir, "*.json").Order(StringComparer.Ordinal))
            {
                builder.AddJsonFile(file, optional: false, reloadOnChange: false);
            }
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddCommandLine(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)).ToArray());
    }
}
