namespace Appliance.Api.Identity;

/// <summary>Endpoint metadata: anyone may call this endpoint (login, health, JWKS, OpenAPI).</summary>
public sealed class AnonymousAccess
{
    public static readonly AnonymousAccess Instance = new();
}

/// <summary>Endpoint metadata: a token confined to MFA enrolment (<c>mfa_setup_required</c>) may call this endpoint.</summary>
public sealed class AllowedDuringMfaSetup
{
    public static readonly AllowedDuringMfaSetup Instance = new();
}

/// <summary>Endpoint metadata: only a signed-in user may call this endpoint, never an API key (the caller's own
/// profile, sessions and MFA, and the management of API keys, so that a key cannot mint keys).</summary>
public sealed class UserSessionOnly
{
    public static readonly UserSessionOnly Instance = new();
}

/// <summary>Endpoint metadata: the caller needs at least one of these permissions.</summary>
public sealed record PermissionRequirement(IReadOnlyList<string> AnyOf);

public static class EndpointSecurityExtensions
{
    /// <summary>Every endpoint requires a signed-in caller unless it says otherwise here.</summary>
    public static TBuilder AllowAnonymousAccess<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(AnonymousAccess.Instance);

    public static TBuilder AllowDuringMfaSetup<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(AllowedDuringMfaSetup.Instance);

    public static TBuilder RequireUserSession<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(UserSessionOnly.Instance);

    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, params string[] anyOf)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new PermissionRequirement(anyOf));

    public static CurrentUser CurrentUser(this HttpContext context) =>
        context.Features.Get<CurrentUser>() ?? throw new InvalidOperationException("endpoint is not behind authentication");
}
