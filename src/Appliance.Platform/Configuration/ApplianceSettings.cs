using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

public sealed record DatabaseSettings(string ConnectionString);

public sealed record RedisSettings(string Host, int Port, string? User, string? Password, int Database, TimeSpan CommandTimeout, TimeSpan ConnectTimeout);

/// <param name="Url">Where Kestrel listens.</param>
/// <param name="MaxRequestBodyBytes">Largest accepted request body.</param>
/// <param name="TrustedProxies">Proxies whose X-Forwarded-For is believed (HAProxy).</param>
/// <param name="InstanceName">Optional name sent as <c>X-Served-By</c> so that an operator (and the HAProxy test) sees which instance answered.</param>
public sealed record HttpSettings(Uri Url, long MaxRequestBodyBytes, IReadOnlyList<System.Net.IPAddress> TrustedProxies, string? InstanceName = null);

/// <summary>The validated settings of one appliance binary. Read explicitly (no reflection binding) so that trimming keeps everything it needs.</summary>
public sealed record ApplianceSettings(DatabaseSettings Database, RedisSettings Redis, HttpSettings Http)
{
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Reads and validates; the first problem found is reported as a <see cref="ConfigurationException"/> naming the setting.</summary>
    public static ApplianceSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reader = new SettingReader(configuration);
        var database = new DatabaseSettings(reader.RequiredConnectionString("Database:ConnectionString"));
        var (host, port) = reader.RequiredEndpoint("Redis:Endpoint");
        var redis = new RedisSettings(
            host,
            port,
            reader.Optional("Redis:User"),
            reader.Optional("Redis:Password"),
            reader.Int("Redis:Database", 0, 0, 15),
            TimeSpan.FromMilliseconds(reader.Int("Redis:CommandTimeoutMs", 2000, 10, 60_000)),
            TimeSpan.FromMilliseconds(reader.Int("Redis:ConnectTimeoutMs", 2000, 10, 60_000)));
        var http = new HttpSettings(
            reader.HttpUrl("Http:Url", "http://127.0.0.1:8080"),
            reader.Long("Http:MaxRequestBodyBytes", DefaultMaxRequestBodyBytes, 1024, 1024L * 1024 * 1024),
            reader.IpAddresses("Http:TrustedProxies"),
            reader.Token("Http:InstanceName", 64));
        return new ApplianceSettings(database, redis, http);
    }
}

/// <summary>A setting is missing or invalid. <see cref="Exception.Message"/> is the one line an operator sees.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string key, string problem)
        : base($"configuration error: {key} {problem} (set it in appsettings.json, /etc/appliance/*.json or as {ApplianceConfiguration.EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal)})")
    {
        Key = key;
    }

    public ConfigurationException()
    {
        Key = string.Empty;
    }

    public ConfigurationException(string message)
        : base(message)
    {
        Key = string.Empty;
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = string.Empty;
    }

    public string Key { get; }
}
