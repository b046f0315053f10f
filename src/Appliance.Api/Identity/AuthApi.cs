using System.Globalization;
using System.Net;
using Appliance.Api.Http;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.Api.Identity;

public sealed class LoginRequest
{
    public string? Email { get; set; }

    public string? Password { get; set; }
}

public sealed class RefreshRequest
{
    public string? RefreshToken { get; set; }
}

public sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, string RefreshToken, long RefreshExpiresIn, User User);

public sealed record MeResponse(User User, IReadOnlyList<string> Permissions);

public sealed record JsonWebKeyView(string Kty, string Use, string Alg, string Kid, string N, string E);

public sealed record JsonWebKeySetView(IReadOnlyList<JsonWebKeyView> Keys);

/// <summary>Sign-in, token refresh, sign-out, the caller's profile and the public keys (seed 002 §5.2).</summary>
public static class AuthApi
{
    // A valid PBKDF2 hash of a random password: unknown accounts are verified against it so that they answer in the
    // same time as known ones with a wrong password.
    private static readonly string TimingDecoyHash = PasswordPolicy.Hash("decoy@invalid", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth").WithTags("Auth");
        group.MapPost("/login", Login).WithName("Login").WithSummary("Sign in with email and password").AllowAnonymousAccess();
        group.MapPost("/refresh", Refresh).WithName("RefreshToken").WithSummary("Exchange a refresh token (rotated on every use)").AllowAnonymousAccess();
        group.MapPost("/logout", Logout).WithName("Logout").WithSummary("Revoke this access token and its refresh family");
        group.MapGet("/me", Me).WithName("GetMe").WithSummary("The signed-in user and their permissions");
        routes.MapGet("/.well-known/jwks.json", Jwks).WithTags("Auth").WithName("GetJwks").WithSummary("Public keys that verify access tokens").AllowAnonymousAccess();
        return routes;
    }

    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ErrorEnvelope>>> Login(
        LoginRequest request, HttpContext context, UserStore users, RefreshTokenStore refreshTokens, TokenService tokens, LoginGuard guard, AuditLog audit, IdentitySettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(settings);
        var details = new List<ErrorDetail>();
        if (string.IsNullOrWhiteSpace(request.Email))
        {
            details.Add(new ErrorDetail("email", "Email is required"));
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            details.Add(new ErrorDetail("password", "Password is required"));
        }

        if (details.Count > 0)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", details);
        }

        var email = request.Email!.Trim().ToLowerInvariant();
        var ip = ClientIp(context);
        var (block, retryAfter) = await guard.CheckAsync(email, ip, cancellationToken);
        if (block != LoginBlock.None)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return block == LoginBlock.IpBlocked
                ? ApiErrors.Result(context, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimitExceeded, "Too many failed sign-ins from this address; try again later", [new ErrorDetail("retry_after", seconds.ToString(CultureInfo.InvariantCulture))])
                : ApiErrors.Result(context, StatusCodes.Status403Forbidden, ErrorCodes.AccountLocked, "This account is locked after repeated failed sign-ins; try again later", [new ErrorDetail("retry_after", seconds.ToString(CultureInfo.InvariantCulture))]);
        }

        var found = await users.FindForLoginAsync(email, cancellationToken);
        var (valid, rehash) = PasswordPolicy.Verify(email, found?.PasswordHash ?? TimingDecoyHash, request.Password!);
        if (found is null || found.PasswordHash is null || !valid || !found.User.IsActive)
        {
            var locked = await guard.RecordFailureAsync(email, ip, cancellationToken);
            var auditContext = Audit(context, found is null ? AuditActor.Anonymous : AuditActor.User(found.User.Id));
            await audit.WriteAsync(auditContext, new AuditEntry("user", found?.User.Id.ToString(), "login.failed", null, EmailJson(email)), cancellationToken);
            if (locked)
            {
                await audit.WriteAsync(auditContext, new AuditEntry("user", found?.User.Id.ToString(), "account.locked", null, EmailJson(email)), cancellationToken);
            }

            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.InvalidCredentials, "Email or password is wrong");
        }

        await guard.RecordSuccessAsync(email, cancellationToken);
        var user = found.User;
        var refresh = await refreshTokens.IssueAsync(user.Id, settings.RefreshTokenLifetime, UserAgent(context), IpAddress(context), cancellationToken);
        var access = tokens.Issue(user, refresh.FamilyId);
        await users.RecordLoginAsync(user.Id, rehash ? PasswordPolicy.Hash(email, request.Password!) : null, cancellationToken);
        await audit.WriteAsync(Audit(context, AuditActor.User(user.Id)), new AuditEntry("user", user.Id.ToString(), "login.succeeded"), cancellationToken);
        return TypedResults.Ok(Response(access, refresh, user, settings));
    }

    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ErrorEnvelope>>> Refresh(
        RefreshRequest request, HttpContext context, UserStore users, RefreshTokenStore refreshTokens, TokenService tokens, AuditLog audit, IdentitySettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(refreshTokens);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("refresh_token", "Refresh token is required")]);
        }

        var result = await refreshTokens.RotateAsync(request.RefreshToken, settings.RefreshTokenLifetime, UserAgent(context), IpAddress(context), cancellationToken);
        if (result.Outcome == RefreshOutcome.Reused)
        {
            await audit.WriteAsync(Audit(context, AuditActor.User(result.UserId)), new AuditEntry("user", result.UserId.ToString(), "refresh.reused"), cancellationToken);
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.TokenInvalid, "This refresh token was already used; every session of this sign-in was revoked");
        }

        var user = result.Next is null ? null : await users.GetAsync(result.UserId, cancellationToken);
        if (result.Next is null || user is null || !user.IsActive)
        {
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.TokenInvalid, "The refresh token is not valid");
        }

        var access = tokens.Issue(user, result.Next.FamilyId);
        return TypedResults.Ok(Response(access, result.Next, user, settings));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> Logout(
        HttpContext context, IRedisClient redis, RefreshTokenStore refreshTokens, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(refreshTokens);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(time);
        var user = context.CurrentUser();
        // Remember the revocation until the token would have expired anyway (plus the validation clock skew).
        var remaining = user.ExpiresAt - time.GetUtcNow() + TimeSpan.FromMinutes(1);
        await redis.ExecuteAsync(["SET", RevocationKeys.Jti(user.Jti), "1", "PX", ((long)Math.Max(1000, remaining.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)], cancellationToken);
        await refreshTokens.RevokeFamilyAsync(user.SessionId, "logout", cancellationToken);
        await audit.WriteAsync(Audit(context, AuditActor.User(user.Id)), new AuditEntry("user", user.Id.ToString(), "logout"), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<MeResponse>, JsonHttpResult<ErrorEnvelope>>> Me(HttpContext context, UserStore users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        var current = context.CurrentUser();
        var user = await users.GetAsync(current.Id, cancellationToken);
        return user is null ? ApiErrors.NotFound(context, "User") : TypedResults.Ok(new MeResponse(user, [.. current.Permissions.Order(StringComparer.Ordinal)]));
    }

    public static Ok<JsonWebKeySetView> Jwks(SigningKeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return TypedResults.Ok(new JsonWebKeySetView(keys.Keys.Select(key =>
        {
            var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
            return new JsonWebKeyView("RSA", "sig", SecurityAlgorithms.RsaSha256, key.KeyId, Base64UrlEncoder.Encode(parameters.Modulus), Base64UrlEncoder.Encode(parameters.Exponent));
        }).ToList()));
    }

    public static AuditContext Audit(HttpContext context, AuditActor actor)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new AuditContext(actor, IpAddress(context), UserAgent(context), context.TraceIdentifier);
    }

    private static TokenResponse Response(AccessToken access, IssuedRefreshToken refresh, User user, IdentitySettings settings) =>
        new(access.Token, "Bearer", (long)settings.AccessTokenLifetime.TotalSeconds, refresh.Token, (long)settings.RefreshTokenLifetime.TotalSeconds, user);

    private static string EmailJson(string email) => "{\"email\":" + System.Text.Json.JsonSerializer.Serialize(email, Json.ApiJsonContext.Default.String) + "}";

    private static IPAddress? IpAddress(HttpContext context) => context.Connection.RemoteIpAddress is { } ip && ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : context.Connection.RemoteIpAddress;

    private static string ClientIp(HttpContext context) => IpAddress(context)?.ToString() ?? "unknown";

    private static string? UserAgent(HttpContext context) => context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;
}
