using Appliance.Api.Http;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Appliance.Api.Identity;

/// <summary>The caller needs at least one of these permissions (from the role matrix, or an API key's own).</summary>
public sealed class PermissionRequirement(IReadOnlyList<string> anyOf) : IAuthorizationRequirement
{
    public IReadOnlyList<string> AnyOf { get; } = anyOf;
}

/// <summary>Only a signed-in user meets this, never an API key.</summary>
public sealed class UserSessionRequirement : IAuthorizationRequirement
{
    public static readonly UserSessionRequirement Instance = new();
}

/// <summary>The fallback policy's requirement: an authenticated caller, unless the request matched no endpoint (an unknown
/// route stays 404 instead of meeting a 401).</summary>
public sealed class CallerOrNoEndpointRequirement : IAuthorizationRequirement
{
    public static readonly CallerOrNoEndpointRequirement Instance = new();
}

/// <summary>A caller whose role requires MFA and who has not enrolled meets this only on endpoints marked
/// <see cref="AllowedDuringMfaSetup"/>. Part of every policy.</summary>
public sealed class MfaEnrolledRequirement : IAuthorizationRequirement
{
    public static readonly MfaEnrolledRequirement Instance = new();
}

/// <summary>
/// The authorization policies: one per permission of the role matrix, named by the permission string
/// (<c>.RequireAuthorization(Permissions.TicketCreate)</c>), <see cref="AnyOf"/> for endpoints that accept one of
/// several, and <see cref="UserSession"/>. Each also requires an authenticated caller that is not confined to MFA
/// enrolment; so do the default and the fallback policy (an endpoint that declares nothing still needs a caller; a
/// request that matched no endpoint passes on to its 404).
/// </summary>
public static class PermissionPolicies
{
    /// <summary>An authenticated caller, not confined to MFA enrolment.</summary>
    public static AuthorizationPolicy SignedIn { get; } = Builder().Build();

    /// <summary>A signed-in user (not an API key): the caller's own profile, sessions and MFA, and key management.</summary>
    public static AuthorizationPolicy UserSession { get; } = Builder().AddRequirements(UserSessionRequirement.Instance).Build();

    /// <summary>The caller needs at least one of <paramref name="permissions"/>.</summary>
    public static AuthorizationPolicy AnyOf(params string[] permissions) => Builder().AddRequirements(new PermissionRequirement(permissions)).Build();

    public static void AddPermissionPolicies(this AuthorizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.DefaultPolicy = SignedIn;
        options.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(CallerOrNoEndpointRequirement.Instance, MfaEnrolledRequirement.Instance).Build();
        foreach (var permission in Permissions.All)
        {
            options.AddPolicy(permission, AnyOf(permission));
        }
    }

    private static AuthorizationPolicyBuilder Builder() => new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(MfaEnrolledRequirement.Instance);
}

/// <summary>Decides the appliance's requirements against the caller's <see cref="CallerIdentity"/>.</summary>
public sealed class CallerRequirementsHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.User.Identities.OfType<CallerIdentity>().FirstOrDefault()?.Caller;
        var endpoint = (context.Resource as HttpContext)?.GetEndpoint();
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            var met = requirement switch
            {
                CallerOrNoEndpointRequirement => caller is not null || endpoint is null,

                // Whether there is a caller at all is the other requirements' question.
                MfaEnrolledRequirement => caller is not { MfaSetupRequired: true } || endpoint?.Metadata.GetMetadata<AllowedDuringMfaSetup>() is not null,
                PermissionRequirement permission => caller is not null && permission.AnyOf.Any(caller.Can),
                UserSessionRequirement => caller is { IsApiKey: false },
                _ => false,
            };
            if (met)
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers a refused authorization with the error envelope: 403 <c>PERMISSION_DENIED</c> (an API key on a user-session
/// endpoint, or a missing permission, naming the permissions that would do) or 403 <c>MFA_ENROLLMENT_REQUIRED</c>.
/// A missing or refused credential goes to the scheme's challenge (<see cref="AuthenticationFailures"/>).
/// </summary>
public sealed class ErrorEnvelopeAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _challenge = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (!authorizeResult.Forbidden)
        {
            await _challenge.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.ToList() ?? [];
        var caller = context.User.Identities.OfType<CallerIdentity>().FirstOrDefault()?.Caller;
        if (failed.Any(r => r is UserSessionRequirement))
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "This endpoint needs a signed-in user; API keys cannot call it");
        }
        else if (failed.Any(r => r is MfaEnrolledRequirement))
        {
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                ErrorCodes.MfaEnrollmentRequired,
                "Your role requires MFA: enrol first (POST /api/v1/auth/mfa/enroll, then /api/v1/auth/mfa/confirm)");
        }
        else
        {
            var needed = failed.OfType<PermissionRequirement>().SelectMany(r => r.AnyOf).Distinct(StringComparer.Ordinal).ToList();
            await ApiErrors.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                ErrorCodes.PermissionDenied,
                caller?.IsApiKey == true ? "This API key lacks the permission for this action" : $"Role '{caller?.Role}' lacks the permission for this action",
                needed.Count > 0 ? [new ErrorDetail("permission", "Requires one of: " + string.Join(", ", needed))] : null);
        }
    }
}
