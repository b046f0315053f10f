using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

public sealed record DatabaseSettings(string ConnectionString);

public sealed record RedisSettings(string Host, int Port, string? User, string? Password, int Database, TimeSpan CommandTimeout, TimeSpan ConnectTimeout);

/// <param name="Url">Where Kestrel listens.</param>
/// <param name="MaxRequestBodyBytes">Largest accepted request body.</param>
/// <param name="InstanceName">Optional name sent as <c>X-Served-By</c> so that an operator (and the HAProxy test) sees which instance answered.</param>
public sealed record HttpSettings(Uri Url, long MaxRequestBodyBytes, string? InstanceName = null);

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
            reader.Token("Http:InstanceName", 64));
        return new ApplianceSettings(database, redis, http);
    }

    private sealed class SettingReader(IConfiguration configuration)
    {
        public string? Optional(string key)
        {
            var value = configuration[key];
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public string RequiredConnectionString(string key)
        {
            var value = Optional(key) ?? throw Missing(key);
            try
            {
                var builder = new Npgsql.NpgsqlConnectionStringBuilder(value);
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    throw new ConfigurationException(key, "has no Host");
                }
            }
            catch (ArgumentException ex)
            {
                throw new ConfigurationException(key, $"is not a valid PostgreSQL connection string ({ex.Message})");
            }

            return value;
        }

        public (string Host, int Port) RequiredEndpoint(string key)
        {
            var value = Optional(key) ?? throw Missing(key);
            var colon = value.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new ConfigurationException(key, $"must be host:port with a port from 1 to 65535, got '{value}'");
            }

            return (value[..colon], port);
        }

        public int Int(string key, int fallback, int min, int max) => (int)Long(key, fallback, min, max);

        public long Long(string key, long fallback, long min, long max)
        {
            var value = Optional(key);
            if (value is null)
            {
                return fallback;
            }

            if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
            {
                throw new ConfigurationException(key, $"must be a whole number from {min} to {max}, got '{value}'");
            }

            return parsed;
        }

        /// <summary>An optional short name of letters, digits, '.', '_' and '-' (safe in a response header).</summary>
        public string? Token(string key, int maxLength)
        {
            var value = Optional(key);
            if (value is not null && (value.Length > maxLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
            {
                throw new ConfigurationException(key, $"must be at most {maxLength} letters, digits, '.', '_' or '-', got '{value}'");
            }

            return value;
        }

        public Uri HttpUrl(string key, string fallback)
        {
            var value = Optional(key) ?? fallback;
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/")
            {
                throw new ConfigurationException(key, $"must be an absolute http(s) URL without a path, like http://127.0.0.1:8080, got '{value}'");
            }

            return uri;
        }

        private static ConfigurationException Missing(string key) => new(key, "is missing");
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
