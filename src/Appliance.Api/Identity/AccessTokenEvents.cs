using Appliance.Api.Http;
using Appliance.Platform.Redis;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Appliance.Api.Identity;

/// <summary>
/// The bearer scheme's events. After the signature, issuer, audience and lifetime passed, one Redis script asks whether
/// the token, its session (<c>sid</c>) or every token of its user (the "valid after" mark) was ended, and counts the
/// request against the user's rate limit (<see cref="RedisRateLimiter.HitUnlessMarkedAsync"/>; one round trip instead of
/// two; <see cref="RateLimitMiddleware"/> applies the counted result). It fails closed: if Redis cannot answer, no token
/// is accepted (503). Anonymous endpoints and unknown routes never look at a token, so they work while Redis does not.
/// Refusals are answered by <see cref="AuthenticationFailures"/>.
/// </summary>
public sealed class AccessTokenEvents(RedisRateLimiter limiter, RateLimitSettings rateLimits, AuthenticationFailures failures, ILogger<AccessTokenEvents> logger) : JwtBearerEvents
{
    public override Task MessageReceived(MessageReceivedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ApplianceAuthentication.SkipsAuthentication(context.HttpContext))
        {
            context.NoResult();
        }
        else if (context.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.AsSpan(7).Trim().IsEmpty)
        {
            // "Bearer" with nothing after it is a bad credential, not a missing one.
            context.Fail(new Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException("empty bearer token"));
        }

        return Task.CompletedTask;
    }

    public override async Task TokenValidated(TokenValidatedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Principal?.Identity is not CallerIdentity { Caller: var user })
        {
            context.Fail("the token handler did not describe the caller");
            return;
        }

        var http = context.HttpContext;
        RateLimitResult? counted;
        try
        {
            var (key, limit) = rateLimits.For(user, http);
            counted = await limiter.HitUnlessMarkedAsync(
                RevocationKeys.Jti(user.Jti), RevocationKeys.Session(user.SessionId), RevocationKeys.UserValidAfter(user.Id), user.IssuedAt, key, limit, rateLimits.Window, http.RequestAborted);
        }
        catch (RedisUnavailableException ex)
        {
            RedisFailClosed.Count();
            logger.LogWarning("token revocation check failed closed: {Error}", ex.Message);
            context.Fail(new AuthenticationUnavailableException(ex.Message));
            return;
        }

        if (counted is null)
        {
            context.Fail(new AccessTokenRevokedException("The access token was revoked (signed out, or the account changed)"));
            return;
        }

        http.Features.Set(user);
        http.Features.Set(new CountedRateLimit(counted));
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.HandleResponse();
        await failures.ChallengeAsync(context.HttpContext, context.AuthenticateFailure);
    }
}
