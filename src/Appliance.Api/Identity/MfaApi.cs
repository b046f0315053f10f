using System.Security.Cryptography;
using Appliance.Api.Http;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Appliance.Platform.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Identity;

public sealed class MfaCodeRequest
{
    public string? Code { get; set; }

    public string? RecoveryCode { get; set; }
}

public sealed class MfaVerifyRequest
{
    public string? MfaToken { get; set; }

    public string? Code { get; set; }

    public string? RecoveryCode { get; set; }
}

public sealed class MfaPolicyRequest
{
    public Dictionary<string, bool>? Roles { get; set; }
}

/// <param name="Secret">The TOTP secret in base32, for typing into an app.</param>
/// <param name="OtpauthUri">The key URI the QR code holds.</param>
/// <param name="QrSvg">The QR code as an SVG document.</param>
/// <param name="QrPng">The QR code as a PNG data URI.</param>
public sealed record MfaEnrolmentResponse(string Secret, string OtpauthUri, string QrSvg, string QrPng);

/// <param name="MfaEnabled">Always true: MFA is on from now on.</param>
/// <param name="RecoveryCodes">Ten one-time codes, shown this once.</param>
/// <param name="Session">New tokens when the caller's token was confined to enrolment (its role requires MFA); the old
/// token and its refresh family are revoked. Null otherwise: the caller's tokens stay valid.</param>
public sealed record MfaConfirmResponse(bool MfaEnabled, IReadOnlyList<string> RecoveryCodes, TokenResponse? Session);

public sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);

public sealed record MfaPolicyView(IReadOnlyDictionary<string, bool> Roles);

/// <summary>
/// TOTP MFA (RFC 6238): enrolment with a QR code, confirmation, the second sign-in step, recovery codes, turning it off,
/// the admin reset and the per-role requirement.
/// </summary>
public static class MfaApi
{
    public const string DefaultIssuer = "PSA Appliance";

    public static IEndpointRouteBuilder MapMfaApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth/mfa").WithTags("Auth");
        group.MapPost("/enroll", Enroll).WithName("EnrollMfa").WithSummary("Start MFA enrolment: a new secret, its otpauth URI and QR code")
            .RequireUserSession().AllowDuringMfaSetup();
        group.MapPost("/confirm", Confirm).WithName("ConfirmMfa").WithSummary("Turn MFA on with a first code; returns the recovery codes once")
            .RequireUserSession().AllowDuringMfaSetup();
        group.MapPost("/verify", Verify).WithName("VerifyMfa").WithSummary("Second sign-in step: mfa_token with a code or a recovery code").AllowAnonymous();
        group.MapPost("/disable", Disable).WithName("DisableMfa").WithSummary("Turn your MFA off (needs a current code or a recovery code)").RequireUserSession();
        group.MapPost("/recovery-codes", RegenerateRecoveryCodes).WithName("RegenerateRecoveryCodes").WithSummary("New recovery codes (needs a current code); the old ones stop working")
            .RequireUserSession();
        routes.MapDelete("/api/v1/users/{id:guid}/mfa", ResetUserMfa).WithTags("Users").WithName("ResetUserMfa")
            .WithSummary("Reset a user's MFA (they enrol again) and sign them out of every session").RequireAuthorization(Permissions.UserManage);
        var settings = routes.MapGroup("/api/v1/settings").WithTags("Settings");
        settings.MapGet("/mfa-policy", GetMfaPolicy).WithName("GetMfaPolicy").WithSummary("Which roles must use MFA").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.UserView, Permissions.UserManage));
        settings.MapPut("/mfa-policy", SetMfaPolicy).WithName("SetMfaPolicy").WithSummary("Require MFA for roles (named roles change, others keep theirs)").RequireAuthorization(Permissions.UserManage);
        return routes;
    }

    public static async Task<Results<Ok<MfaEnrolmentResponse>, JsonHttpResult<ErrorEnvelope>>> Enroll(HttpContext context, MfaStore store, MfaVerifier verifier, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(verifier);
        var current = context.CurrentUser();
        var (state, refusal) = await NotEnrolledAsync(context, store, cancellationToken);
        if (state is null)
        {
            return refusal!;
        }

        var secret = Totp.GenerateSecret();
        if (!await store.StartEnrolmentAsync(current.Id, verifier.Seal(current.Id, secret), RequestAudit.For(context, current.Actor), cancellationToken))
        {
            return AlreadyOn(context);
        }

        var uri = OtpAuthUri.Build(Issuer(await store.OrganizationNameAsync(cancellationToken)), state.Email, secret);
        var qr = QrImage.Encode(uri);
        var response = new MfaEnrolmentResponse(Totp.EncodeSecret(secret), uri, qr.ToSvg(), qr.ToPngDataUri());
        CryptographicOperations.ZeroMemory(secret);
        return TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<MfaConfirmResponse>, JsonHttpResult<ErrorEnvelope>>> Confirm(
        MfaCodeRequest request, HttpContext context, MfaStore store, MfaVerifier verifier, SessionIssuer sessions, UserStore users, TokenRevocation revocation, RefreshTokenStore refreshTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(users);
        if (string.IsNullOrWhiteSpace(request.Code))
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("code", "The 6-digit code from the authenticator app is required")]);
        }

        var current = context.CurrentUser();
        var (state, refusal) = await NotEnrolledAsync(context, store, cancellationToken);
        if (state is null)
        {
            return refusal!;
        }

        if (state.PendingSecret is null)
        {
            return ApiErrors.Result(context, StatusCodes.Status409Conflict, ErrorCodes.ResourceConflict, "No MFA enrolment is in progress; start one with POST /api/v1/auth/mfa/enroll");
        }

        var secret = verifier.Unseal(current.Id, state.PendingSecret);
        var step = verifier.MatchStep(secret, request.Code);
        CryptographicOperations.ZeroMemory(secret);
        if (step is null)
        {
            return WrongCode(context, "code", "The code does not match the secret being enrolled; check the device's clock and try the current code");
        }

        var codes = RecoveryCodes.Generate();
        var salt = RecoveryCodes.GenerateSalt();
        if (!await store.ConfirmAsync(current.Id, state.PendingSecret, step.Value, salt, [.. codes.Select(c => RecoveryCodes.Hash(c, salt))], RequestAudit.For(context, current.Actor), cancellationToken))
        {
            return ApiErrors.Result(context, StatusCodes.Status409Conflict, ErrorCodes.ResourceConflict, "The enrolment changed meanwhile (a newer one was started); confirm the newest secret");
        }

        TokenResponse? session = null;
        if (current.MfaSetupRequired && await users.GetAsync(current.Id, cancellationToken) is { } user)
        {
            // The old token may only enrol; swap it for a full session.
            await AuthApi.RevokeSessionAsync(revocation, refreshTokens, current, "mfa enrolled", cancellationToken);
            session = await sessions.NewSessionAsync(context, user, cancellationToken);
        }

        return TypedResults.Ok(new MfaConfirmResponse(true, codes, session));
    }

    /// <summary>
    /// The second sign-in step. Errors: 422 when neither or both of <c>code</c> and <c>recovery_code</c> are given; 401
    /// <c>MFA_TOKEN_INVALID</c> for an unknown, expired, used or burnt token; 401 <c>MFA_CODE_INVALID</c> for a wrong,
    /// reused or replayed code (it counts as a failed sign-in towards the account lock, and the fifth burns the token);
    /// 403 <c>ACCOUNT_LOCKED</c> / 429 when the login limits block.
    /// </summary>
    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ErrorEnvelope>>> Verify(
        MfaVerifyRequest request, HttpContext context, MfaChallenges challenges, MfaStore store, MfaVerifier verifier, UserStore users, LoginGuard guard, AuditLog audit, SessionIssuer sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(challenges);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(sessions);
        var details = new List<ErrorDetail>();
        if (string.IsNullOrWhiteSpace(request.MfaToken))
        {
            details.Add(new ErrorDetail("mfa_token", "The mfa_token from the sign-in answer is required"));
        }

        details.AddRange(OneFactor(request.Code, request.RecoveryCode));
        if (details.Count > 0)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", details);
        }

        var userId = await challenges.FindAsync(request.MfaToken!, cancellationToken);
        var state = userId is { } id ? await store.GetAsync(id, cancellationToken) : null;
        if (state is null || !state.IsActive || !state.Enabled)
        {
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.MfaTokenInvalid, "The mfa_token is unknown, expired or used up; sign in again");
        }

        if (await AuthApi.BlockedAsync(context, guard, state.Email, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        var factor = await verifier.VerifyAsync(state, request.Code, request.RecoveryCode, RequestAudit.For(context, AuditActor.User(state.UserId)), cancellationToken);
        if (factor == SecondFactor.None)
        {
            var burnt = await challenges.RecordFailureAsync(request.MfaToken!, cancellationToken);
            await AuthApi.RecordFailureAsync(context, guard, audit, state.Email, state.UserId, "login.mfa_failed", cancellationToken);
            return ApiErrors.Result(
                context,
                StatusCodes.Status401Unauthorized,
                ErrorCodes.MfaCodeInvalid,
                burnt ? "The code is wrong or was already used; too many wrong codes, sign in again" : "The code is wrong or was already used");
        }

        var user = await users.GetAsync(state.UserId, cancellationToken);
        if (user is null || !await challenges.ConsumeAsync(request.MfaToken!, cancellationToken))
        {
            return ApiErrors.Result(context, StatusCodes.Status401Unauthorized, ErrorCodes.MfaTokenInvalid, "The mfa_token was already used; sign in again");
        }

        await guard.RecordSuccessAsync(state.Email, cancellationToken);
        return TypedResults.Ok(await sessions.SignInAsync(context, user, factor == SecondFactor.Totp ? "password+totp" : "password+recovery_code", null, cancellationToken));
    }

    /// <summary>
    /// Turns the caller's MFA off with a current code or a recovery code. Refused (409) while their role requires MFA.
    /// Wrong codes count towards the account lock, so a stolen access token cannot search for a code.
    /// </summary>
    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> Disable(
        MfaCodeRequest request, HttpContext context, MfaStore store, MfaVerifier verifier, RolePolicyStore policies, LoginGuard guard, AuditLog audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(policies);
        var problems = OneFactor(request.Code, request.RecoveryCode);
        if (problems.Count > 0)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", problems);
        }

        var current = context.CurrentUser();
        if (await policies.IsMfaRequiredAsync(current.Role, cancellationToken))
        {
            return ApiErrors.Result(context, StatusCodes.Status409Conflict, ErrorCodes.ResourceConflict, $"Role '{current.Role}' requires MFA; it cannot be turned off (an admin can reset it)");
        }

        if (await ProveFactorAsync(context, request, store, verifier, guard, audit, cancellationToken) is { } failure)
        {
            return failure;
        }

        await store.DisableAsync(current.Id, "mfa.disabled", revokeSessions: false, RequestAudit.For(context, current.Actor), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<RecoveryCodesResponse>, JsonHttpResult<ErrorEnvelope>>> RegenerateRecoveryCodes(
        MfaCodeRequest request, HttpContext context, MfaStore store, MfaVerifier verifier, LoginGuard guard, AuditLog audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        if (string.IsNullOrWhiteSpace(request.Code) || request.RecoveryCode is not null)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("code", "A current code from the authenticator app is required")]);
        }

        var current = context.CurrentUser();
        if (await ProveFactorAsync(context, request, store, verifier, guard, audit, cancellationToken) is { } failure)
        {
            return failure;
        }

        var codes = RecoveryCodes.Generate();
        var salt = RecoveryCodes.GenerateSalt();
        if (!await store.ReplaceRecoveryCodesAsync(current.Id, salt, [.. codes.Select(c => RecoveryCodes.Hash(c, salt))], RequestAudit.For(context, current.Actor), cancellationToken))
        {
            return NotOn(context);
        }

        return TypedResults.Ok(new RecoveryCodesResponse(codes));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> ResetUserMfa(
        Guid id, HttpContext context, MfaStore store, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(revocation);
        var done = await store.DisableAsync(id, "mfa.reset", revokeSessions: true, RequestAudit.For(context, context.CurrentUser().Actor), cancellationToken);
        if (done)
        {
            // The refresh tokens went with the reset; the access tokens end here, including any signed in with the old factor.
            await revocation.EndUserTokensAsync(id, cancellationToken);
        }

        return done ? TypedResults.NoContent() : ApiErrors.NotFound(context, "User");
    }

    public static async Task<Ok<MfaPolicyView>> GetMfaPolicy(RolePolicyStore policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policies);
        return TypedResults.Ok(new MfaPolicyView(await policies.MfaRequirementsAsync(cancellationToken)));
    }

    /// <summary>Changes take effect at each user's next sign-in or token refresh (access tokens carry the rule).</summary>
    public static async Task<Ok<MfaPolicyView>> SetMfaPolicy(MfaPolicyRequest request, HttpContext context, RolePolicyStore policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policies);
        var updated = await policies.SetMfaRequirementsAsync(request.Roles ?? new Dictionary<string, bool>(), RequestAudit.For(context, context.CurrentUser().Actor), cancellationToken);
        return TypedResults.Ok(new MfaPolicyView(updated));
    }

    /// <summary>The issuer an authenticator app shows: the organisation's name (':' would split the label) or the product's.</summary>
    public static string Issuer(string? organizationName)
    {
        var name = organizationName?.Replace(':', ' ').Trim();
        return string.IsNullOrWhiteSpace(name) ? DefaultIssuer : name;
    }

    /// <summary>
    /// For changes of an enrolled user's MFA: MFA must be on, the login limits must not block the account, and the code
    /// must verify. A wrong code is counted like a failed sign-in (and audited as <c>mfa.verification_failed</c>).
    /// </summary>
    private static async Task<JsonHttpResult<ErrorEnvelope>?> ProveFactorAsync(
        HttpContext context, MfaCodeRequest request, MfaStore store, MfaVerifier verifier, LoginGuard guard, AuditLog audit, CancellationToken cancellationToken)
    {
        var current = context.CurrentUser();
        var state = await store.GetAsync(current.Id, cancellationToken);
        if (state is null)
        {
            return ApiErrors.NotFound(context, "User");
        }

        if (!state.Enabled)
        {
            return NotOn(context);
        }

        if (await AuthApi.BlockedAsync(context, guard, state.Email, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        if (await verifier.VerifyAsync(state, request.Code, request.RecoveryCode, RequestAudit.For(context, current.Actor), cancellationToken) == SecondFactor.None)
        {
            await AuthApi.RecordFailureAsync(context, guard, audit, state.Email, state.UserId, "mfa.verification_failed", cancellationToken);
            return WrongCode(context, string.IsNullOrWhiteSpace(request.Code) ? "recovery_code" : "code", "The code is wrong or was already used");
        }

        return null;
    }

    /// <summary>The caller's MFA state when MFA is not on yet; else 404 (no such user) or 409 (already on).</summary>
    private static async Task<(MfaState? State, JsonHttpResult<ErrorEnvelope>? Refusal)> NotEnrolledAsync(HttpContext context, MfaStore store, CancellationToken cancellationToken)
    {
        var state = await store.GetAsync(context.CurrentUser().Id, cancellationToken);
        return state switch
        {
            null => (null, ApiErrors.NotFound(context, "User")),
            { Enabled: true } => (null, AlreadyOn(context)),
            _ => (state, null),
        };
    }

    private static List<ErrorDetail> OneFactor(string? code, string? recoveryCode) =>
        (string.IsNullOrWhiteSpace(code), string.IsNullOrWhiteSpace(recoveryCode)) switch
        {
            (true, true) => [new ErrorDetail("code", "Give the code from the authenticator app or a recovery code (recovery_code)")],
            (false, false) => [new ErrorDetail("recovery_code", "Give either code or recovery_code, not both")],
            _ => [],
        };

    private static JsonHttpResult<ErrorEnvelope> WrongCode(HttpContext context, string field, string message) =>
        ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.MfaCodeInvalid, message, [new ErrorDetail(field, message)]);

    private static JsonHttpResult<ErrorEnvelope> AlreadyOn(HttpContext context) =>
        ApiErrors.Result(context, StatusCodes.Status409Conflict, ErrorCodes.ResourceConflict, "MFA is already on; turn it off first (or ask an admin to reset it)");

    private static JsonHttpResult<ErrorEnvelope> NotOn(HttpContext context) =>
        ApiErrors.Result(context, StatusCodes.Status409Conflict, ErrorCodes.ResourceConflict, "MFA is not on for this account");
}
