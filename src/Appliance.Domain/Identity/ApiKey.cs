using System.Security.Cryptography;
using Appliance.Domain.Common;

namespace Appliance.Domain.Identity;

/// <summary>An API key as admins see it: the prefix is shown, the secret never.</summary>
public sealed record ApiKey(
    Guid Id,
    string Name,
    string Prefix,
    IReadOnlyList<string> Permissions,
    Guid CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    string Status);

/// <summary>What authentication needs to check a presented key, with its creator's current role and state.</summary>
public sealed record ApiKeyCredential(
    Guid Id,
    byte[] SecretHash,
    IReadOnlyList<string> Permissions,
    Guid CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt,
    string CreatorRole,
    bool CreatorActive);

/// <summary>A validated request for a new key.</summary>
public sealed record NewApiKey(string Name, IReadOnlyList<string> Permissions, DateTimeOffset? ExpiresAt);

/// <summary>A freshly generated key: the full text is shown once; only the prefix and the secret's hash are kept.</summary>
public sealed record GeneratedApiKey(string Key, string Prefix, byte[] SecretHash);

/// <summary>
/// The API key format and rules. A key reads <c>psa_&lt;prefix&gt;_&lt;secret&gt;</c>: the 8-character prefix is public
/// (it names the key in lists and is how a request finds it), the 40-character secret (base62, about 238 bits) is shown
/// once and stored only as its SHA-256. A slow password hash is for guessable secrets; a 238-bit random secret cannot be
/// searched, so a fast hash is right and keeps every request's check cheap.
/// </summary>
public static class ApiKeyRules
{
    public const string Marker = "psa_";
    public const int PrefixLength = 8;
    public const int SecretLength = 40;
    public const int MinSecretLength = 32;
    public const int MaxSecretLength = 128;
    public const int MaxNameLength = 100;
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Permissions a key cannot carry: a key has no customer, so a customer-scoped permission would mean nothing.</summary>
    public static readonly IReadOnlyList<string> NotGrantable = [Identity.Permissions.TicketViewOwn];

    public static GeneratedApiKey Generate()
    {
        var prefix = new string(RandomNumberGenerator.GetItems<char>(Base62, PrefixLength));
        var secret = new string(RandomNumberGenerator.GetItems<char>(Base62, SecretLength));
        return new GeneratedApiKey($"{Marker}{prefix}_{secret}", prefix, HashSecret(secret));
    }

    /// <summary>True when <paramref name="presented"/> looks like an API key (so it is not a JWT).</summary>
    public static bool LooksLikeKey(string? presented) => presented is not null && presented.StartsWith(Marker, StringComparison.Ordinal);

    /// <summary>Splits a presented key into prefix and secret; false for anything not in the format.</summary>
    public static bool TryParse(string? presented, out string prefix, out string secret)
    {
        prefix = secret = string.Empty;
        if (presented is null || !LooksLikeKey(presented) || presented.Length < Marker.Length + PrefixLength + 1 + MinSecretLength
            || presented.Length > Marker.Length + PrefixLength + 1 + MaxSecretLength || presented[Marker.Length + PrefixLength] != '_')
        {
            return false;
        }

        var p = presented.AsSpan(Marker.Length, PrefixLength);
        var s = presented.AsSpan(Marker.Length + PrefixLength + 1);
        if (!IsBase62(p) || !IsBase62(s))
        {
            return false;
        }

        (prefix, secret) = (p.ToString(), s.ToString());
        return true;
    }

    public static byte[] HashSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(secret));
    }

    /// <summary>Compares the secret's hash with the stored one in constant time.</summary>
    public static bool SecretMatches(string secret, byte[] storedHash)
    {
        ArgumentNullException.ThrowIfNull(storedHash);
        return CryptographicOperations.FixedTimeEquals(HashSecret(secret), storedHash);
    }

    /// <summary>
    /// Checks a new key: a name of 1 to 100 characters; permissions that are known, grantable to a key and held by the
    /// creating admin (a key never carries more than its creator), at least one; an expiry, if any, in the future.
    /// </summary>
    public static NewApiKey ValidateNew(string? name, IReadOnlyList<string>? permissions, DateTimeOffset? expiresAt, IReadOnlySet<string> creatorPermissions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(creatorPermissions);
        var errors = new List<FieldError>();
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength)
        {
            errors.Add(new FieldError("name", $"Name must be 1 to {MaxNameLength} characters"));
        }

        var list = (permissions ?? []).Select(p => p?.Trim() ?? string.Empty).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            errors.Add(new FieldError("permissions", "Give the key at least one permission"));
        }

        var unknown = list.Where(p => !Identity.Permissions.All.Contains(p, StringComparer.Ordinal)).ToList();
        var notGrantable = list.Where(p => NotGrantable.Contains(p, StringComparer.Ordinal)).ToList();
        var notHeld = list.Except(unknown).Where(p => !creatorPermissions.Contains(p)).ToList();
        if (unknown.Count > 0)
        {
            errors.Add(new FieldError("permissions", $"Unknown permission(s): {string.Join(", ", unknown)}"));
        }

        if (notGrantable.Count > 0)
        {
            errors.Add(new FieldError("permissions", $"An API key has no customer, so it cannot carry: {string.Join(", ", notGrantable)}"));
        }

        if (notHeld.Count > 0)
        {
            errors.Add(new FieldError("permissions", $"You can only grant permissions you hold yourself; you lack: {string.Join(", ", notHeld)}"));
        }

        if (expiresAt is { } expiry && expiry <= now)
        {
            errors.Add(new FieldError("expires_at", "Expiry must be in the future"));
        }

        return errors.Count > 0 ? throw new DomainValidationException(errors) : new NewApiKey(trimmed!, list, expiresAt);
    }

    /// <summary>
    /// What a key may do now: its own permissions, as far as its creator's role still grants them. A key never carries
    /// more than its creator, also after the creator's role changed.
    /// </summary>
    public static IReadOnlySet<string> EffectivePermissions(IReadOnlyList<string> keyPermissions, string creatorRole)
    {
        ArgumentNullException.ThrowIfNull(keyPermissions);
        return keyPermissions.Where(p => Roles.Has(creatorRole, p)).ToHashSet(StringComparer.Ordinal);
    }

    private static bool IsBase62(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
