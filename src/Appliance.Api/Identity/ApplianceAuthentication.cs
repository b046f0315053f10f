using Appliance.Domain.Identity;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Api.Identity;

/// <summary>
/// ASP.NET Core authentication and authorization for the API: a policy scheme (<see cref="Scheme"/>) forwards to the
/// JwtBearer scheme for access tokens or to the API-key scheme by the request's headers; one authorization policy per
/// permission (<see cref="PermissionPolicies"/>). The signing keys are the appliance's own (<see cref="SigningKeyRing"/>);
/// no metadata is fetched. Rules and error codes: docs/api/authentication.md.
/// </summary>
public static class ApplianceAuthentication
{
    /// <summary>The default scheme: forwards to <see cref="AccessTokenScheme"/> or <see cref="ApiKeyScheme"/>.</summary>
    public const string Scheme = "Appliance";

    public const string AccessTokenScheme = JwtBearerDefaults.AuthenticationScheme;

    public const string ApiKeyScheme = "ApiKey";

    public const string ApiKeyHeader = "X-Api-Key";

    public static IServiceCollection AddApplianceAuthentication(this IServiceCollection services)
    {
        services.TryAddSingleton<RedisRateLimiter>();
        services.AddSingleton<AccessTokenHandler>();
        services.AddSingleton<AccessTokenEvents>();
        services.AddSingleton<AuthenticationFailures>();
        services.AddSingleton<TokenRevocation>();
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Access token or API key", options => options.ForwardDefaultSelector = SelectScheme)
            .AddJwtBearer(AccessTokenScheme, options =>
            {
                options.MapInboundClaims = false;
                options.EventsType = typeof(AccessTokenEvents);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, "API key", null);
        services.AddOptions<JwtBearerOptions>(AccessTokenScheme).Configure<AccessTokenHandler, SigningKeyRing, IdentitySettings, TimeProvider>((options, handler, keys, identity, time) =>
        {
            options.TokenHandlers.Clear();
            options.TokenHandlers.Add(handler);
            options.TokenValidationParameters = TokenService.ValidationParameters(keys, identity, time);
            options.TokenValidationParameters.AuthenticationType = AccessTokenScheme;
        });
        services.AddAuthorization(options => options.AddPermissionPolicies());
        services.AddSingleton<IAuthorizationHandler, CallerRequirementsHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ErrorEnvelopeAuthorizationResultHandler>();
        return services;
    }

    /// <summary>Authentication, then authorization (after routing: both look at the endpoint).</summary>
    public static IApplicationBuilder UseApplianceAuthentication(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Anonymous endpoints (health, login, JWKS) and unknown routes ignore any credential: they must work when Redis
    /// does not, and must not cost a lookup.</summary>
    public static bool SkipsAuthentication(HttpContext context) =>
        context.GetEndpoint() is not { } endpoint || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;

    /// <summary>The API key the request presents (<c>Authorization: Bearer psa_…</c> first, else <c>X-Api-Key</c>), or null.</summary>
    public static string? PresentedApiKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (BearerCredential(request) is { } bearer)
        {
            return ApiKeyRules.LooksLikeKey(bearer) ? bearer : null;
        }

        return request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } key ? key.Trim() : null;
    }

    private static string SelectScheme(HttpContext context) => PresentedApiKey(context.Request) is null ? AccessTokenScheme : ApiKeyScheme;

    private static string? BearerCredential(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
