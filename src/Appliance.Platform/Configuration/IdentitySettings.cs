using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

/// <summary>Token settings of the API: RS256 access tokens of 1 h, refresh tokens of 7 d.</summary>
public sealed record IdentitySettings(string KeyDirectory, string Issuer, string Audience, TimeSpan AccessTokenLifetime, TimeSpan RefreshTokenLifetime)
{
    public static IdentitySettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reader = new SettingReader(configuration);
        var directory = reader.Optional("Identity:KeyDirectory") ?? throw new ConfigurationException("Identity:KeyDirectory", "is missing");
        if (!Directory.Exists(directory))
        {
            throw new ConfigurationException("Identity:KeyDirectory", $"'{directory}' does not exist (create keys with: appliance-api keys generate --dir {directory})");
        }

        return new IdentitySettings(
            directory,
            reader.Optional("Identity:Issuer") ?? "psa-appliance",
            reader.Optional("Identity:Audience") ?? "psa-api",
            TimeSpan.FromMinutes(reader.Int("Identity:AccessTokenMinutes", 60, 1, 24 * 60)),
            TimeSpan.FromDays(reader.Int("Identity:RefreshTokenDays", 7, 1, 90)));
    }
}
