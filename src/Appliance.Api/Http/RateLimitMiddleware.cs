using System.Diagnostics.Metrics;
using System.Globalization;
using Appliance.Api.Identity;
using Appliance.Platform.Redis;

namespace Appliance.Api.Http;

/// <summary>How many requests a signed-in user or an anonymous client address may make per window, and how many failed
/// authentications an address may send per window (<see cref="AuthenticationFailures"/>).</summary>
public sealed record RateLimitSettings(int PerUser, int PerIp, TimeSpan Window, int AuthFailuresPerIp = 30)
{
    /// <summary>The counter a caller's requests go to and its limit: per key for API keys, per user when signed in, else per client address.</summary>
    public (string Key, int Limit) For(CurrentUser? user, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return user switch
        {
            { ApiKeyId: { } apiKey } => ("rl:key:" + apiKey.ToString("N"), PerUser),
            not null => ("rl:user:" + user.Id.ToString("N"), PerUser),
            null => ("rl:ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"), PerIp),
        };
    }
}

/// <summary>
/// The request was already counted against its rate limit (the access-token check does it in the same Redis round trip
/// as the revocation check), so <see cref="RateLimitMiddleware"/> only applies the result.
/// </summary>
public sealed record CountedRateLimit(RateLimitResult Result);

/// <summary>
/// The API rate limit: per user when signed in (per key for API keys, with the same limit), per client address otherwise, in fixed windows counted
/// atomically in Redis so the limit holds across API instances. Every answer carries <c>X-RateLimit-Limit</c>,
/// <c>-Remaining</c> and <c>-Reset</c> (Unix seconds); over the limit it is 429 <c>RATE_LIMIT_EXCEEDED</c> with
/// <c>Retry-After</c>. Health probes are not limited. If Redis cannot answer, requests pass (fail open), logged and counted.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, RedisRateLimiter limiter, RateLimitSettings settings, TimeProvider time, ILogger<RateLimitMiddleware> logger)
{
    private static readonly Meter Meter = new("Appliance.Api.RateLimit");
    private static readonly Counter<long> FailOpen = Meter.CreateCounter<long>("appliance_rate_limit_fail_open_total", description: "Requests let through because Redis was unavailable");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("appliance_rate_limit_rejected_total", description: "Requests answered 429");

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        if (context.GetEndpoint() is null || path.StartsWithSegments("/health") || path.StartsWithSegments("/ready"))
        {
            await next(context);
            return;
        }

        RateLimitResult result;
        if (context.Features.Get<CountedRateLimit>() is { } counted)
        {
            result = counted.Result;
        }
        else
        {
            var (key, perWindow) = settings.For(context.Features.Get<CurrentUser>(), context);
            try
            {
                result = await limiter.HitAsync(key, perWindow, settings.Window, context.RequestAborted);
            }
            catch (RedisUnavailableException ex)
            {
                FailOpen.Add(1);
                logger.LogWarning("rate limit skipped (fail open): {Error}", ex.Message);
                await next(context);
                return;
            }
        }

        WriteHeaders(context, result, time);
        if (!result.Allowed)
        {
            await WriteExceededAsync(context, result, settings.Window);
            return;
        }

        await next(context);
    }

    /// <summary><c>X-RateLimit-Limit</c>, <c>-Remaining</c> and <c>-Reset</c> (Unix seconds) of <paramref name="result"/>.</summary>
    public static void WriteHeaders(HttpContext context, RateLimitResult result, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(time);
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = result.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = result.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = (time.GetUtcNow() + result.ResetAfter).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>429 <c>RATE_LIMIT_EXCEEDED</c> with <c>Retry-After</c> (and <c>retry_after</c> in the details).</summary>
    public static async Task WriteExceededAsync(HttpContext context, RateLimitResult result, TimeSpan window, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        Rejected.Add(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(result.ResetAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.RetryAfter = seconds;
        await ApiErrors.WriteAsync(
            context,
            StatusCodes.Status429TooManyRequests,
            ErrorCodes.RateLimitExceeded,
            message ?? $"Rate limit of {result.Limit} requests per {window.TotalSeconds:0} s exceeded",
            [new ErrorDetail("retry_after", seconds)]);
    }
}
