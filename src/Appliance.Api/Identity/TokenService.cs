using System.Security.Cryptography;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Appliance.Platform.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.Api.Identity;

public sealed record AccessToken(string Token, string Jti, DateTimeOffset ExpiresAt);

/// <summary>
/// The authenticated caller: a signed-in user as the access token describes it, or an API key. For an API key,
/// <see cref="Id"/> is the admin who created it (foreign keys such as <c>created_by</c> stay valid), <see cref="Role"/> is
/// <c>api_key</c>, <see cref="Permissions"/> are the key's own and <see cref="ApiKeyId"/> names the key; audit rows name
/// the key through <see cref="Actor"/>. <see cref="MfaSetupRequired"/>: the user's role requires MFA and they have not
/// enrolled, so only enrolment is allowed. <see cref="IssuedAt"/>: when the access token was issued, to the millisecond
/// (compared with the user's "valid after" mark).
/// </summary>
public sealed record CurrentUser(
    Guid Id,
    string Email,
    string Role,
    IReadOnlySet<string> Permissions,
    Guid? CustomerId,
    string Jti,
    Guid SessionId,
    DateTimeOffset ExpiresAt,
    bool MfaSetupRequired = false,
    Guid? ApiKeyId = null,
    DateTimeOffset IssuedAt = default)
{
    public const string ApiKeyRole = "api_key";

    public bool Can(string permission) => Permissions.Contains(permission);

    public bool IsApiKey => ApiKeyId is not null;

    /// <summary>Who the audit log names for this caller's actions.</summary>
    public AuditActor Actor => ApiKeyId is { } key ? AuditActor.ApiKey(key) : AuditActor.User(Id);
}

/// <summary>Issues RS256 access tokens with the claims listed in docs/api/identity.md (plus <c>sid</c>, the refresh family, and
/// <c>iat_ms</c>) and describes how they are validated (<see cref="AccessTokenHandler"/> does it for the bearer scheme).</summary>
public sealed class TokenService
{
    public const string MfaSetupClaim = "mfa_setup_required";

    /// <summary>The issue time in Unix milliseconds: <c>iat</c> has whole seconds, too coarse to tell a token issued just
    /// before a deactivation or role change from one issued just after it.</summary>
    public const string IssuedAtMsClaim = "iat_ms";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKeyRing _keys;
    private readonly IdentitySettings _settings;
    private readonly TimeProvider _time;

    public TokenService(SigningKeyRing keys, IdentitySettings settings, TimeProvider time)
    {
        _keys = keys;
        _settings = settings;
        _time = time;
    }

    /// <summary>What the access-token scheme checks: RS256 by one of the ring's keys, issuer, audience and lifetime
    /// (30 s clock skew) against <paramref name="time"/>.</summary>
    public static TokenValidationParameters ValidationParameters(SigningKeyRing keys, IdentitySettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        return new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            ValidateLifetime = true,
            LifetimeValidator = (notBefore, expires, _, parameters) => ValidateLifetime(time, notBefore, expires, parameters),
        };
    }

    /// <summary>A signed access token; <paramref name="mfaSetupRequired"/> adds the <c>mfa_setup_required</c> claim that
    /// confines the token to MFA enrolment.</summary>
    public AccessToken Issue(User user, Guid sessionId, bool mfaSetupRequired = false)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = _time.GetUtcNow();
        var expires = now + _settings.AccessTokenLifetime;
        var jti = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
            [JwtRegisteredClaimNames.Email] = user.Email,
            ["role"] = user.Role,
            ["permissions"] = Roles.PermissionsOf(user.Role).Order(StringComparer.Ordinal).ToArray(),
            [JwtRegisteredClaimNames.Jti] = jti,
            ["sid"] = sessionId.ToString(),
            [IssuedAtMsClaim] = now.ToUnixTimeMilliseconds(),
        };
        if (user.CustomerId is { } customer)
        {
            claims["customer_id"] = customer.ToString();
        }

        if (mfaSetupRequired)
        {
            claims[MfaSetupClaim] = true;
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _settings.Issuer,
            Audience = _settings.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(_keys.Active, SecurityAlgorithms.RsaSha256),
        });
        return new AccessToken(token, jti, expires);
    }

    /// <summary>The caller a validated token describes; null when a claim the appliance relies on is missing.</summary>
    public static CurrentUser? ReadCaller(JsonWebToken jwt)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        if (!Guid.TryParse(jwt.Subject, out var userId)
            || !jwt.TryGetPayloadValue<string>("role", out var role)
            || !jwt.TryGetPayloadValue<string>("sid", out var sid) || !Guid.TryParse(sid, out var sessionId)
            || string.IsNullOrEmpty(jwt.Id))
        {
            return null;
        }

        Guid? customerId = jwt.TryGetPayloadValue<string>("customer_id", out var customer) && Guid.TryParse(customer, out var parsed) ? parsed : null;
        jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Email, out var email);
        var mfaSetupRequired = jwt.TryGetPayloadValue<bool>(MfaSetupClaim, out var setup) && setup;
        var issuedAt = jwt.TryGetPayloadValue<long>(IssuedAtMsClaim, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero);

        // Permissions come from the role matrix in this binary, not from the token: a matrix change takes effect at once.
        var permissions = Roles.PermissionsOf(role).ToHashSet(StringComparer.Ordinal);
        return new CurrentUser(
            userId, email ?? string.Empty, role, permissions, customerId, jwt.Id, sessionId, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), mfaSetupRequired, null, issuedAt);
    }

    private static bool ValidateLifetime(TimeProvider time, DateTime? notBefore, DateTime? expires, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is null || now > expires.Value + parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("token expired") { Expires = expires ?? DateTime.MinValue };
        }

        return notBefore is null || now + parameters.ClockSkew >= notBefore.Value;
    }
}
