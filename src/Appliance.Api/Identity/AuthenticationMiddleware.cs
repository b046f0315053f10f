using Appliance.Api.Http;
using Appliance.Domain.Identity;
using Appliance.Platform.Redis;

namespace Appliance.Api.Identity;

/// <summary>
/// Runs after routing: unless the endpoint allows anonymous access, requires a valid, unrevoked bearer token or API key
/// (401) and the endpoint's permission (403). Access-token revocation is checked in Redis and fails closed: if Redis
/// cannot answer, no token is accepted (503). API keys (<c>Authorization: Bearer psa_…</c> or <c>X-Api-Key: psa_…</c>)
/// are checked in PostgreSQL. A token confined to MFA enrolment only reaches the endpoints marked for it (else 403
/// <c>MFA_ENROLLMENT_REQUIRED</c>); an API key never reaches endpoints marked for user sessions (403).
/// </summary>
/// <remarks>
/// The revocation check also counts the request against the user's rate limit, in one Redis script (one round trip
/// instead of two on every request); <see cref="RateLimitMiddleware"/> applies the result it is handed.
/// </remarks>
public sealed class AuthenticationMiddleware(
    RequestDelegate next, TokenService tokens, ApiKeyAuthenticator apiKeys, RedisRateLimiter limiter, RateLimitSettings rateLimits, ILogger<AuthenticationMiddleware> logger)
{
    public const string ApiKeyHeader = "X-Api-Key";

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await next(context);
            return;
        }

        // Anonymous endpoints (health, login, JWKS) ignore any token: they must work when Redis does not.
        if (endpoint.Metadata.GetMetadata<AnonymousAccess>() is not null)
        {
            await next(context);
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        string? token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var viaKeyHeader = false;
        if (token is null && context.Request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } key)
        {
            (token, viaKeyHeader) = (key.Trim(), true);
        }

        if (token is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.AuthenticationRequired, "Authentication required: send Authorization: Bearer <access token or API key>");
            return;
        }

        var user = viaKeyHeader || ApiKeyRules.LooksLikeKey(token)
            ? await AuthenticateKeyAsync(context, token)
            : await AuthenticateTokenAsync(context, token);
        if (user is null)
        {
            return;
        }

        context.Features.Set(user);
        if (user.IsApiKey && endpoint.Metadata.GetMetadata<UserSessionOnly>() is not null)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "This endpoint needs a signed-in user; API keys cannot call it");
            return;
        }

        if (user.MfaSetupRequired && endpoint.Metadata.GetMetadata<AllowedDuringMfaSetup>() is null)
        {
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                ErrorCodes.MfaEnrollmentRequired,
                "Your role requires MFA: enrol first (POST /api/v1/auth/mfa/enroll, then /api/v1/auth/mfa/confirm)");
            return;
        }

        var requirement = endpoint.Metadata.GetMetadata<PermissionRequirement>();
        if (requirement is not null && !requirement.AnyOf.Any(user.Can))
        {
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                ErrorCodes.PermissionDenied,
                user.IsApiKey ? "This API key lacks the permission for this action" : $"Role '{user.Role}' lacks the permission for this action",
                [new ErrorDetail("permission", "Requires one of: " + string.Join(", ", requirement.AnyOf))]);
            return;
        }

        await next(context);
    }

    private async Task<CurrentUser?> AuthenticateKeyAsync(HttpContext context, string presented)
    {
        var check = await apiKeys.AuthenticateAsync(context, presented, context.RequestAborted);
        if (check.Caller is null)
        {
            logger.LogInformation("API key refused: {Code}", check.ErrorCode);
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, check.ErrorCode!, check.Message!);
        }

        return check.Caller;
    }

    private async Task<CurrentUser?> AuthenticateTokenAsync(HttpContext context, string token)
    {
        var (user, failure) = await tokens.ValidateAsync(token);
        if (user is null)
        {
            context.Response.Headers.WWWAuthenticate = failure == TokenFailure.Expired ? "Bearer error=\"invalid_token\", error_description=\"expired\"" : "Bearer error=\"invalid_token\"";
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status401Unauthorized,
                failure == TokenFailure.Expired ? ErrorCodes.TokenExpired : ErrorCodes.TokenInvalid,
                failure == TokenFailure.Expired ? "The access token has expired; refresh it" : "The access token is not valid");
            return null;
        }

        RateLimitResult? counted;
        try
        {
            var (key, limit) = rateLimits.For(user, context);
            counted = await limiter.HitUnlessMarkedAsync(RevocationKeys.Jti(user.Jti), key, limit, rateLimits.Window, context.RequestAborted);
        }
        catch (RedisUnavailableException ex)
        {
            RedisFailClosed.Count();
            logger.LogWarning("token revocation check failed closed: {Error}", ex.Message);
            await ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "Sign-in state cannot be checked right now; try again shortly");
            return null;
        }

        if (counted is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.TokenInvalid, "The access token was revoked (signed out)");
            return null;
        }

        context.Features.Set(new CountedRateLimit(counted));
        return user;
    }
}

/// <summary>Redis keys for signed-out tokens.</summary>
public static class RevocationKeys
{
    public static string Jti(string jti) => "auth:revoked:" + jti;
}
