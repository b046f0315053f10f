using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

public sealed record DatabaseSettings(string ConnectionString);

/// <param name="Host">The Redis server; in Sentinel mode (<see cref="ServiceName"/> set) the first sentinel.</param>
/// <param name="Port">Its port.</param>
/// <param name="User">ACL user for AUTH; null means the default user.</param>
/// <param name="Password">AUTH password; in Sentinel mode also sent to the sentinels.</param>
/// <param name="Database">Database number for SELECT (0-15).</param>
/// <param name="CommandTimeout">How long a command may wait for its reply before it fails as unavailable.</param>
/// <param name="ConnectTimeout">How long one connection attempt may take.</param>
public sealed record RedisSettings(string Host, int Port, string? User, string? Password, int Database, TimeSpan CommandTimeout, TimeSpan ConnectTimeout)
{
    /// <summary>Sentinel mode when set: the current primary of this service is asked of <see cref="Sentinels"/>.</summary>
    public string? ServiceName { get; init; }

    /// <summary>The sentinels to ask (host, port); empty unless <see cref="ServiceName"/> is set.</summary>
    public IReadOnlyList<(string Host, int Port)> Sentinels { get; init; } = [];
}

/// <param name="Url">Where Kestrel listens.</param>
/// <param name="MaxRequestBodyBytes">Largest accepted request body.</param>
/// <param name="TrustedProxies">Proxies whose X-Forwarded-For is believed (HAProxy).</param>
/// <param name="InstanceName">Optional name sent as <c>X-Served-By</c> so that an operator (and the HAProxy test) sees which instance answered.</param>
public sealed record HttpSettings(Uri Url, long MaxRequestBodyBytes, IReadOnlyList<System.Net.IPAddress> TrustedProxies, string? InstanceName = null)
{
    /// <summary>How long a client may take to send its request headers before Kestrel answers 408 and closes (Kestrel's 30 s by default).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

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
        var serviceName = reader.Token("Redis:ServiceName", 64);
        var sentinels = reader.Endpoints("Redis:Sentinels");
        if (serviceName is null && sentinels.Count > 0)
        {
            throw new ConfigurationException("Redis:Sentinels", "needs Redis:ServiceName (the name the sentinels monitor the primary by)");
        }

        if (serviceName is not null && sentinels.Count == 0)
        {
            throw new ConfigurationException("Redis:Sentinels", "is missing (Redis:ServiceName is set: give the sentinels as host:port,host:port)");
        }

        if (serviceName is not null && reader.Optional("Redis:Endpoint") is not null)
        {
            // The primary moves on failover; a fixed endpoint beside the sentinels would be ignored or, worse, trusted.
            throw new ConfigurationException("Redis:Endpoint", "must not be set together with Redis:ServiceName (the sentinels name the primary)");
        }

        var (host, port) = serviceName is null ? reader.RequiredEndpoint("Redis:Endpoint") : sentinels[0];
        var redis = new RedisSettings(
            host,
            port,
            reader.Optional("Redis:User"),
            reader.Optional("Redis:Password"),
            reader.Int("Redis:Database", 0, 0, 15),
            TimeSpan.FromMilliseconds(reader.Int("Redis:CommandTimeoutMs", 2000, 10, 60_000)),
            TimeSpan.FromMilliseconds(reader.Int("Redis:ConnectTimeoutMs", 2000, 10, 60_000)))
        {
            ServiceName = serviceName,
            Sentinels = sentinels,
        };
        var http = new HttpSettings(
            reader.HttpUrl("Http:Url", "http://127.0.0.1:8080"),
            reader.Long("Http:MaxRequestBodyBytes", DefaultMaxRequestBodyBytes, 1024, 1024L * 1024 * 1024),
            reader.IpAddresses("Http:TrustedProxies"),
            reader.Token("Http:InstanceName", 64))
        {
            RequestHeadersTimeout = TimeSpan.FromSeconds(reader.Int("Http:RequestHeadersTimeoutSeconds", 30, 1, 300)),
        };
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
