using System.Collections.Concurrent;
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
/// enrolled, so only enrolment is allowed.
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
    Guid? ApiKeyId = null)
{
    public const string ApiKeyRole = "api_key";

    public bool Can(string permission) => Permissions.Contains(permission);

    public bool IsApiKey => ApiKeyId is not null;

    /// <summary>Who the audit log names for this caller's actions.</summary>
    public AuditActor Actor => ApiKeyId is { } key ? AuditActor.ApiKey(key) : AuditActor.User(Id);
}

public enum TokenFailure
{
    None,
    Expired,
    Invalid,
}

/// <summary>Issues and validates RS256 access tokens with the claims of seed 002 §5.2 (plus <c>sid</c>, the refresh family).</summary>
public sealed class TokenService
{
    public const string MfaSetupClaim = "mfa_setup_required";

    /// <summary>How many validated tokens are remembered before the memory starts over.</summary>
    public const int MaxRemembered = 10_000;

    // Tokens that passed validation, by their exact text: checking the RS256 signature and reading the claims cost more
    // than all the rest of a request's authentication. An entry only ever answers for the identical string that passed
    // and only until the token's expiry; revocation is still asked of Redis on every request. The signing keys are
    // loaded once per process, so a key cannot be withdrawn from under a remembered token.
    private readonly ConcurrentDictionary<string, CurrentUser> _validated = new(StringComparer.Ordinal);
    private int _remembered;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKeyRing _keys;
    private readonly IdentitySettings _settings;
    private readonly TimeProvider _time;
    private readonly TokenValidationParameters _validation;

    public TokenService(SigningKeyRing keys, IdentitySettings settings, TimeProvider time)
    {
        _keys = keys;
        _settings = settings;
        _time = time;
        _validation = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            ValidateLifetime = true,
            LifetimeValidator = ValidateLifetime,
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

    public async Task<(CurrentUser? User, TokenFailure Failure)> ValidateAsync(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_validated.TryGetValue(token, out var known))
        {
            if (_time.GetUtcNow() <= known.ExpiresAt + _validation.ClockSkew)
            {
                return (known, TokenFailure.None);
            }

            _validated.TryRemove(token, out _);
            return (null, TokenFailure.Expired);
        }

        var (user, failure) = await ValidateSignedAsync(token);
        if (user is not null)
        {
            if (Interlocked.Increment(ref _remembered) > MaxRemembered)
            {
                _validated.Clear();
                Interlocked.Exchange(ref _remembered, 1);
            }

            _validated.TryAdd(token, user);
        }

        return (user, failure);
    }

    private async Task<(CurrentUser? User, TokenFailure Failure)> ValidateSignedAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid)
        {
            return (null, result.Exception is SecurityTokenExpiredException ? TokenFailure.Expired : TokenFailure.Invalid);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!Guid.TryParse(jwt.Subject, out var userId)
            || !jwt.TryGetPayloadValue<string>("role", out var role)
            || !jwt.TryGetPayloadValue<string>("sid", out var sid) || !Guid.TryParse(sid, out var sessionId)
            || string.IsNullOrEmpty(jwt.Id))
        {
            return (null, TokenFailure.Invalid);
        }

        Guid? customerId = jwt.TryGetPayloadValue<string>("customer_id", out var customer) && Guid.TryParse(customer, out var parsed) ? parsed : null;
        jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Email, out var email);
        var mfaSetupRequired = jwt.TryGetPayloadValue<bool>(MfaSetupClaim, out var setup) && setup;

        // Permissions come from the role matrix in this binary, not from the token: a matrix change takes effect at once.
        var permissions = Roles.PermissionsOf(role).ToHashSet(StringComparer.Ordinal);
        return (new CurrentUser(userId, email ?? string.Empty, role, permissions, customerId, jwt.Id, sessionId, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), mfaSetupRequired), TokenFailure.None);
    }

    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is null || now > expires.Value + parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("token expired") { Expires = expires ?? DateTime.MinValue };
        }

        return notBefore is null || now + parameters.ClockSkew >= notBefore.Value;
    }
}
