using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Appliance.Api.Identity;

/// <summary>
/// The API-key scheme: <c>Authorization: Bearer psa_…</c> or <c>X-Api-Key: psa_…</c>, checked in PostgreSQL by
/// <see cref="ApiKeyAuthenticator"/>. An address over its failed-authentication budget is refused before the lookup
/// (<see cref="AuthenticationFailures"/>), which also answers every refusal.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, ApiKeyAuthenticator keys, AuthenticationFailures failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ApplianceAuthentication.SkipsAuthentication(Context) || ApplianceAuthentication.PresentedApiKey(Request) is not { } presented)
        {
            return AuthenticateResult.NoResult();
        }

        if (await failures.ThrottledAsync(Context) is { } throttled)
        {
            return AuthenticateResult.Fail(new AuthenticationThrottledException(throttled));
        }

        var check = await keys.AuthenticateAsync(Context, presented, Context.RequestAborted);
        if (check.Caller is null)
        {
            Logger.LogInformation("API key refused: {Code}", check.ErrorCode);
            return AuthenticateResult.Fail(new ApiKeyRejectedException(check.ErrorCode!, check.Message!));
        }

        Context.Features.Set(check.Caller);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new CallerIdentity(check.Caller, Scheme.Name)), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await failures.ChallengeAsync(Context, result.Failure);
    }

}
