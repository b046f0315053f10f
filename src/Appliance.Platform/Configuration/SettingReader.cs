using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

/// <summary>Reads one setting at a time and names it in the error when it is missing or invalid.</summary>
internal sealed class SettingReader(IConfiguration configuration)
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

    public (string Host, int Port) RequiredEndpoint(string key) => Endpoint(key, Optional(key) ?? throw Missing(key));

    /// <summary>A comma-separated list of host:port endpoints; empty when unset.</summary>
    public IReadOnlyList<(string Host, int Port)> Endpoints(string key) =>
        Optional(key) is { } value ? [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => Endpoint(key, part))] : [];

    private static (string Host, int Port) Endpoint(string key, string value)
    {
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

    /// <summary>A comma-separated list of IP addresses; empty when unset.</summary>
    public IReadOnlyList<System.Net.IPAddress> IpAddresses(string key)
    {
        var value = Optional(key);
        if (value is null)
        {
            return [];
        }

        var list = new List<System.Net.IPAddress>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!System.Net.IPAddress.TryParse(part, out var address))
            {
                throw new ConfigurationException(key, $"must be a comma-separated list of IP addresses, got '{part}'");
            }

            list.Add(address);
        }

        return list;
    }

    private static ConfigurationException Missing(string key) => new(key, "is missing");
}
