using System.Diagnostics.Metrics;
using Appliance.Api.Http;
using Appliance.Platform.Redis;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.Api.Identity;

/// <summary>An access token that was signed out, or whose session or user was ended (see <see cref="TokenRevocation"/>).</summary>
public sealed class AccessTokenRevokedException(string message) : SecurityTokenException(message);

/// <summary>A presented API key that was refused, with the code and message the answer carries.</summary>
public sealed class ApiKeyRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>The sign-in state could not be checked (Redis did not answer): the request is refused with 503, never let through.</summary>
public sealed class AuthenticationUnavailableException(string message) : Exception(message);

/// <summary>The client address sent too many failed credentials; <see cref="Limit"/> is the counted window.</summary>
public sealed class AuthenticationThrottledException(RateLimitResult limit) : Exception("too many failed authentications from this address")
{
    public RateLimitResult Limit { get; } = limit;
}

/// <summary>
/// Answers requests that did not authenticate, with the error envelope, and counts failed authentication per client
/// address. A request without credentials counts against the anonymous per-address limit
/// (<c>RateLimit:PerIpPerMinute</c>). Refused credentials (a bad, expired or revoked access token, a bad, revoked or
/// expired API key) count against <c>RateLimit:AuthFailuresPerIpPerMinute</c> (30 a minute, fixed windows): every such
/// 401 carries <c>X-RateLimit-*</c> for that budget, and over it the answer is 429 <c>RATE_LIMIT_EXCEEDED</c> with
/// <c>Retry-After</c> until the window ends. While an address is over its budget, API keys from it are refused before
/// they are looked up, so the limit also bounds how fast keys can be tried. Counting fails open when Redis is down
/// (access tokens then fail closed anyway). Rules and figures: docs/api/authentication.md.
/// </summary>
public sealed class AuthenticationFailures(RedisRateLimiter limiter, RateLimitSettings settings, TimeProvider time, ILogger<AuthenticationFailures> logger)
{
    private static readonly Meter Meter = new("Appliance.Api.Identity.Failures");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("appliance_authentication_failures_total", description: "Requests refused for bad, expired or revoked credentials");
    private static readonly Counter<long> FailOpen = Meter.CreateCounter<long>("appliance_authentication_failures_fail_open_total", description: "Failed authentications not counted because Redis was unavailable");

    /// <summary>The failed-authentication counter of the caller's address.</summary>
    public static string Key(HttpContext context) => "rl:authfail:" + (RequestAudit.IpAddress(context)?.ToString() ?? "unknown");

    /// <summary>The address's window when it is already over its failure budget (so a credential is not even checked), else null.</summary>
    public async Task<RateLimitResult?> ThrottledAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var window = await limiter.PeekAsync(Key(context), settings.AuthFailuresPerIp, context.RequestAborted);
            return window.Count > settings.AuthFailuresPerIp ? window with { Allowed = false, Remaining = 0 } : null;
        }
        catch (RedisUnavailableException ex)
        {
            FailOpen.Add(1);
            logger.LogWarning("failed-authentication limit skipped (fail open): {Error}", ex.Message);
            return null;
        }
    }

    /// <summary>Writes the answer to a request that did not authenticate: <paramref name="failure"/> is why (null: no credentials).</summary>
    public async Task ChallengeAsync(HttpContext context, Exception? failure)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (failure)
        {
            case AuthenticationUnavailableException:
                await ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "Sign-in state cannot be checked right now; try again shortly");
                return;
            case null:
                if (await CountAsync(context, settings.For(null, context)) is { Allowed: false } anonymous)
                {
                    await RateLimitMiddleware.WriteExceededAsync(context, anonymous, settings.Window);
                    return;
                }

                context.Response.Headers.WWWAuthenticate = "Bearer";
                await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.AuthenticationRequired, "Authentication required: send Authorization: Bearer <access token or API key>");
                return;
            case AuthenticationThrottledException throttled:
                Failures.Add(1);
                RateLimitMiddleware.WriteHeaders(context, throttled.Limit, time);
                await RateLimitMiddleware.WriteExceededAsync(context, throttled.Limit, settings.Window, "Too many failed authentications from this address; try again later");
                return;
        }

        Failures.Add(1);
        if (await CountAsync(context, (Key(context), settings.AuthFailuresPerIp)) is { Allowed: false } over)
        {
            await RateLimitMiddleware.WriteExceededAsync(context, over, settings.Window, "Too many failed authentications from this address; try again later");
            return;
        }

        var (code, message) = failure switch
        {
            ApiKeyRejectedException key => (key.Code, key.Message),
            SecurityTokenExpiredException => (ErrorCodes.TokenExpired, "The access token has expired; refresh it"),
            AccessTokenRevokedException revoked => (ErrorCodes.TokenInvalid, revoked.Message),
            _ => (ErrorCodes.TokenInvalid, "The access token is not valid"),
        };
        context.Response.Headers.WWWAuthenticate = code == ErrorCodes.TokenExpired ? "Bearer error=\"invalid_token\", error_description=\"expired\"" : "Bearer error=\"invalid_token\"";
        await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, code, message);
    }

    /// <summary>Counts one hit and sets the <c>X-RateLimit-*</c> headers; null (fail open) when Redis is down.</summary>
    private async Task<RateLimitResult?> CountAsync(HttpContext context, (string Key, int Limit) counter)
    {
        try
        {
            var result = await limiter.HitAsync(counter.Key, counter.Limit, settings.Window, context.RequestAborted);
            RateLimitMiddleware.WriteHeaders(context, result, time);
            return result;
        }
        catch (RedisUnavailableException ex)
        {
            FailOpen.Add(1);
            logger.LogWarning("failed-authentication limit skipped (fail open): {Error}", ex.Message);
            return null;
        }
    }
}
