using System.Globalization;
using Appliance.Api.Http;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Appliance.Platform.Configuration;
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

/// <summary>A token pair. <c>mfa_setup_required</c>: the user's role requires MFA and they have not enrolled, so the access
/// token is good only for MFA enrolment (and <c>/auth/me</c>, <c>/auth/logout</c>) until they do.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, string RefreshToken, long RefreshExpiresIn, User User, bool MfaSetupRequired = false);

/// <summary>The first step of a sign-in with MFA: the password was right; send a code with this token to <c>/auth/mfa/verify</c>.</summary>
public sealed record MfaChallengeResponse(bool MfaRequired, string MfaToken, long ExpiresIn);

public sealed record MeResponse(User User, IReadOnlyList<string> Permissions, bool MfaSetupRequired);

public sealed record JsonWebKeyView(string Kty, string Use, string Alg, string Kid, string N, string E);

public sealed record JsonWebKeySetView(IReadOnlyList<JsonWebKeyView> Keys);

/// <summary>Sign-in, token refresh, sign-out, the caller's profile and the public keys.</summary>
public static class AuthApi
{
    // A valid PBKDF2 hash of a random password: unknown accounts are verified against it so that they answer in the
    // same time as known ones with a wrong password.
    private static readonly string TimingDecoyHash = PasswordPolicy.Hash("decoy@invalid", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth").WithTags("Auth");
        group.MapPost("/login", Login).WithName("Login").WithSummary("Sign in with email and password").AllowAnonymous();
        group.MapPost("/refresh", Refresh).WithName("RefreshToken").WithSummary("Exchange a refresh token (rotated on every use)").AllowAnonymous();
        group.MapPost("/logout", Logout).WithName("Logout").WithSummary("Revoke this access token and its refresh family").RequireUserSession().AllowDuringMfaSetup();
        group.MapGet("/me", Me).WithName("GetMe").WithSummary("The signed-in user and their permissions").RequireUserSession().AllowDuringMfaSetup();
        routes.MapGet("/.well-known/jwks.json", Jwks).WithTags("Auth").WithName("GetJwks").WithSummary("Public keys that verify access tokens").AllowAnonymous();
        return routes;
    }

    /// <summary>
    /// Checks email and password. Without MFA the answer is the token pair. With MFA on it is a challenge: an opaque
    /// <c>mfa_token</c> (5 minutes) to send with a code to <c>/auth/mfa/verify</c>; the failure counter of the account is
    /// then reset only when the second step succeeds, so wrong codes add up towards the lock across challenges.
    /// </summary>
    public static async Task<Results<Ok<TokenResponse>, Ok<MfaChallengeResponse>, JsonHttpResult<ErrorEnvelope>>> Login(
        LoginRequest request, HttpContext context, UserStore users, LoginGuard guard, AuditLog audit, SessionIssuer sessions, MfaChallenges challenges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(challenges);
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
        if (await BlockedAsync(context, guard, email, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        var found = await users.FindForLoginAsync(email, cancellationToken);
        var (valid, rehash) = PasswordPolicy.Verify(email, found?.PasswordHash ?? TimingDecoyHash, request.Password!);
        if (found is null || found.PasswordHash is null || !valid || !found.User.IsActive)
        {
            await RecordFailureAsync(context, guard, audit, email, found?.User.Id, "login.failed", cancellationToken);
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.InvalidCredentials, "Email or password is wrong");
        }

        var user = found.User;
        var newHash = rehash ? PasswordPolicy.Hash(email, request.Password!) : null;
        if (user.MfaEnabled)
        {
            if (newHash is not null)
            {
                await users.UpdatePasswordHashAsync(user.Id, newHash, cancellationToken);
            }

            var challenge = await challenges.CreateAsync(user.Id, cancellationToken);
            await audit.WriteAsync(RequestAudit.For(context, AuditActor.User(user.Id)), new AuditEntry("user", user.Id.ToString(), "login.mfa_challenge"), cancellationToken);
            return TypedResults.Ok(new MfaChallengeResponse(true, challenge, (long)MfaChallenges.Lifetime.TotalSeconds));
        }

        await guard.RecordSuccessAsync(email, cancellationToken);
        return TypedResults.Ok(await sessions.SignInAsync(context, user, "password", newHash, cancellationToken));
    }

    /// <summary>The login limits' answer when this address or account may not try now (429 or 403 with Retry-After), else null.</summary>
    public static async Task<JsonHttpResult<ErrorEnvelope>?> BlockedAsync(HttpContext context, LoginGuard guard, string email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(guard);
        var (block, retryAfter) = await guard.CheckAsync(email, ClientIp(context), cancellationToken);
        if (block == LoginBlock.None)
        {
            return null;
        }

        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.RetryAfter = seconds;
        return block == LoginBlock.IpBlocked
            ? ApiErrors.Result(context, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimitExceeded, "Too many failed sign-ins from this address; try again later", [new ErrorDetail("retry_after", seconds)])
            : ApiErrors.Result(context, StatusCodes.Status403Forbidden, ErrorCodes.AccountLocked, "This account is locked after repeated failed sign-ins; try again later", [new ErrorDetail("retry_after", seconds)]);
    }

    /// <summary>Counts a failed sign-in step (wrong password or wrong MFA code) and audits it, plus the lock it may cause.</summary>
    public static async Task RecordFailureAsync(HttpContext context, LoginGuard guard, AuditLog audit, string email, Guid? userId, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(audit);
        var locked = await guard.RecordFailureAsync(email, ClientIp(context), cancellationToken);
        var auditContext = RequestAudit.For(context, userId is { } id ? AuditActor.User(id) : AuditActor.Anonymous);
        await audit.WriteAsync(auditContext, new AuditEntry("user", userId?.ToString(), action, null, EmailJson(email)), cancellationToken);
        if (locked)
        {
            await audit.WriteAsync(auditContext, new AuditEntry("user", userId?.ToString(), "account.locked", null, EmailJson(email)), cancellationToken);
        }
    }

    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ErrorEnvelope>>> Refresh(
        RefreshRequest request, HttpContext context, UserStore users, RefreshTokenStore refreshTokens, SessionIssuer sessions, AuditLog audit, IdentitySettings settings, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(refreshTokens);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sessions);
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("refresh_token", "Refresh token is required")]);
        }

        var result = await refreshTokens.RotateAsync(request.RefreshToken, settings.RefreshTokenLifetime, RequestAudit.UserAgent(context), RequestAudit.IpAddress(context), cancellationToken);
        if (result.Outcome == RefreshOutcome.Reused)
        {
            // The copied token's family is revoked in PostgreSQL; its access tokens die with the session in Redis.
            await revocation.RevokeSessionAsync(result.FamilyId, cancellationToken);
            await audit.WriteAsync(RequestAudit.For(context, AuditActor.User(result.UserId)), new AuditEntry("user", result.UserId.ToString(), "refresh.reused"), cancellationToken);
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.TokenInvalid, "This refresh token was already used; every session of this sign-in was revoked");
        }

        var user = result.Next is null ? null : await users.GetAsync(result.UserId, cancellationToken);
        if (result.Next is null || user is null || !user.IsActive)
        {
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.TokenInvalid, "The refresh token is not valid");
        }

        return TypedResults.Ok(await sessions.ContinueAsync(user, result.Next, cancellationToken));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> Logout(
        HttpContext context, TokenRevocation revocation, RefreshTokenStore refreshTokens, AuditLog audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        ArgumentNullException.ThrowIfNull(refreshTokens);
        ArgumentNullException.ThrowIfNull(audit);
        var user = context.CurrentUser();
        await RevokeSessionAsync(revocation, refreshTokens, user, "logout", cancellationToken);
        await audit.WriteAsync(RequestAudit.For(context, AuditActor.User(user.Id)), new AuditEntry("user", user.Id.ToString(), "logout"), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Revokes the caller's access token (its jti), every access token of its session (sid) and its refresh family.</summary>
    public static async Task RevokeSessionAsync(TokenRevocation revocation, RefreshTokenStore refreshTokens, CurrentUser user, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        ArgumentNullException.ThrowIfNull(refreshTokens);
        ArgumentNullException.ThrowIfNull(user);
        await revocation.RevokeTokenAsync(user.Jti, user.ExpiresAt, cancellationToken);
        await revocation.RevokeSessionAsync(user.SessionId, cancellationToken);
        await refreshTokens.RevokeFamilyAsync(user.SessionId, reason, cancellationToken);
    }

    public static async Task<Results<Ok<MeResponse>, JsonHttpResult<ErrorEnvelope>>> Me(HttpContext context, UserStore users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        var current = context.CurrentUser();
        var user = await users.GetAsync(current.Id, cancellationToken);
        return user is null ? ApiErrors.NotFound(context, "User") : TypedResults.Ok(new MeResponse(user, [.. current.Permissions.Order(StringComparer.Ordinal)], current.MfaSetupRequired));
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

    private static string EmailJson(string email) => "{\"email\":" + System.Text.Json.JsonSerializer.Serialize(email, Json.ApiJsonContext.Default.String) + "}";

    private static string ClientIp(HttpContext context) => RequestAudit.IpAddress(context)?.ToString() ?? "unknown";

}
