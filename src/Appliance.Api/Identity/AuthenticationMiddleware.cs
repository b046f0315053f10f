using Appliance.Api.Http;
using Appliance.Platform.Redis;

namespace Appliance.Api.Identity;

/// <summary>
/// Runs after routing: unless the endpoint allows anonymous access, requires a valid, unrevoked bearer token (401) and
/// the endpoint's permission (403). Revocation is checked in Redis and fails closed: if Redis cannot answer, no token is
/// accepted (503).
/// </summary>
public sealed class AuthenticationMiddleware(RequestDelegate next, TokenService tokens, IRedisClient redis, ILogger<AuthenticationMiddleware> logger)
{
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

        if (token is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.AuthenticationRequired, "Authentication required: send Authorization: Bearer <access token>");
            return;
        }

        var (user, failure) = await tokens.ValidateAsync(token);
        if (user is null)
        {
            context.Response.Headers.WWWAuthenticate = failure == TokenFailure.Expired ? "Bearer error=\"invalid_token\", error_description=\"expired\"" : "Bearer error=\"invalid_token\"";
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status401Unauthorized,
                failure == TokenFailure.Expired ? ErrorCodes.TokenExpired : ErrorCodes.TokenInvalid,
                failure == TokenFailure.Expired ? "The access token has expired; refresh it" : "The access token is not valid");
            return;
        }

        bool revoked;
        try
        {
            revoked = (await redis.ExecuteAsync(["EXISTS", RevocationKeys.Jti(user.Jti)], context.RequestAborted)).Number > 0;
        }
        catch (RedisUnavailableException ex)
        {
            logger.LogWarning("token revocation check failed closed: {Error}", ex.Message);
            await ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "Sign-in state cannot be checked right now; try again shortly");
            return;
        }

        if (revoked)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.TokenInvalid, "The access token was revoked (signed out)");
            return;
        }

        context.Features.Set(user);
        var requirement = endpoint.Metadata.GetMetadata<PermissionRequirement>();
        if (requirement is not null && !requirement.AnyOf.Any(user.Can))
        {
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                ErrorCodes.PermissionDenied,
                $"Role '{user.Role}' lacks the permission for this action",
                [new ErrorDetail("permission", "Requires one of: " + string.Join(", ", requirement.AnyOf))]);
            return;
        }

        await next(context);
    }
}

/// <summary>Redis keys for signed-out tokens.</summary>
public static class RevocationKeys
{
    public static string Jti(string jti) => "auth:revoked:" + jti;
}
