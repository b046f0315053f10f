namespace Appliance.Api.Identity;

/// <summary>Endpoint metadata: a token confined to MFA enrolment (<c>mfa_setup_required</c>) may call this endpoint.</summary>
public sealed class AllowedDuringMfaSetup
{
    public static readonly AllowedDuringMfaSetup Instance = new();
}

public static class EndpointSecurityExtensions
{
    /// <summary>A caller confined to MFA enrolment may call this endpoint (<see cref="MfaEnrolledRequirement"/>).</summary>
    public static TBuilder AllowDuringMfaSetup<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(AllowedDuringMfaSetup.Instance);

    /// <summary>Only a signed-in user may call this endpoint, never an API key (the caller's own profile, sessions and MFA,
    /// and the management of API keys, so that a key cannot mint keys).</summary>
    public static TBuilder RequireUserSession<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(PermissionPolicies.UserSession);

    /// <summary>The authenticated caller (set by the access-token and API-key schemes once the credential passed).</summary>
    public static CurrentUser CurrentUser(this HttpContext context) =>
        context.Features.Get<CurrentUser>() ?? throw new InvalidOperationException("endpoint is not behind authentication");
}
