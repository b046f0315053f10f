using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.Api.Identity;

/// <summary>
/// The bearer scheme's token handler: validates with <see cref="JsonWebTokenHandler"/> and the parameters the scheme
/// passes in, and answers with a <see cref="CallerIdentity"/> built from the token's claims (see
/// <see cref="TokenService.ReadCaller"/>) instead of one claim per payload member.
/// </summary>
/// <remarks>
/// Tokens that passed are remembered by their exact text until they expire: the RS256 signature check and reading the
/// claims cost more than the rest of a request's authentication (figures in docs/api/authentication.md). An entry only
/// ever answers for the identical string that passed and only until the token's expiry (plus the clock skew); revocation
/// is still asked of Redis on every request (<see cref="AccessTokenEvents"/>). The signing keys are loaded once per
/// process, so a key cannot be withdrawn from under a remembered token. A remembered answer, and its identity, is shared
/// by the requests that present the same token: nothing may change it.
/// </remarks>
public sealed class AccessTokenHandler(TimeProvider time) : TokenHandler
{
    /// <summary>How many validated tokens are remembered before the memory starts over.</summary>
    public const int MaxRemembered = 10_000;

    private readonly JsonWebTokenHandler _inner = new();
    private readonly ConcurrentDictionary<string, Remembered> _validated = new(StringComparer.Ordinal);
    private int _remembered;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(validationParameters);
        if (_validated.TryGetValue(token, out var known))
        {
            if (time.GetUtcNow() <= known.Caller.ExpiresAt + validationParameters.ClockSkew)
            {
                return known.Result;
            }

            _validated.TryRemove(token, out _);
            return new TokenValidationResult { IsValid = false, Exception = new SecurityTokenExpiredException("token expired") { Expires = known.Caller.ExpiresAt.UtcDateTime } };
        }

        var result = await _inner.ValidateTokenAsync(token, validationParameters);
        if (!result.IsValid)
        {
            return result;
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (TokenService.ReadCaller(jwt) is not { } caller)
        {
            return new TokenValidationResult { IsValid = false, Exception = new SecurityTokenValidationException("the token lacks a claim the appliance needs (sub, role, sid or jti)") };
        }

        var valid = new TokenValidationResult
        {
            IsValid = true,
            SecurityToken = jwt,
            Issuer = result.Issuer,
            ClaimsIdentity = new CallerIdentity(caller, validationParameters.AuthenticationType ?? ApplianceAuthentication.AccessTokenScheme),
        };
        if (Interlocked.Increment(ref _remembered) > MaxRemembered)
        {
            _validated.Clear();
            Interlocked.Exchange(ref _remembered, 1);
        }

        _validated.TryAdd(token, new Remembered(valid, caller));
        return valid;
    }

    public override SecurityToken ReadToken(string token) => _inner.ReadToken(token);

    private sealed record Remembered(TokenValidationResult Result, CurrentUser Caller);
}
