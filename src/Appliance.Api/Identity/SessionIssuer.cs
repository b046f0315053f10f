using Appliance.Api.Http;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Appliance.Platform.Configuration;

namespace Appliance.Api.Identity;

/// <summary>
/// Hands out token pairs: after a sign-in (password alone, or password and second factor), after a refresh, and after
/// MFA enrolment. Every access token says whether the user still has to enrol in MFA (their role requires it and they
/// have none), so the rule is enforced on the next request, whichever way the token was obtained.
/// </summary>
public sealed class SessionIssuer(RefreshTokenStore refreshTokens, TokenService tokens, UserStore users, RolePolicyStore policies, AuditLog audit, IdentitySettings settings)
{
    /// <summary>A completed sign-in: a new session, <c>last_login_at</c> (and a rehashed password), audit <c>login.succeeded</c> with the method.</summary>
    public async Task<TokenResponse> SignInAsync(HttpContext context, User user, string method, string? newPasswordHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var response = await NewSessionAsync(context, user, cancellationToken);
        await users.RecordLoginAsync(user.Id, newPasswordHash, cancellationToken);
        var values = new AuditValues().Add("method", method).Add("mfa_setup_required", response.MfaSetupRequired);
        await audit.WriteAsync(RequestAudit.For(context, AuditActor.User(user.Id)), new AuditEntry("user", user.Id.ToString(), "login.succeeded", null, values.ToString()), cancellationToken);
        return response;
    }

    /// <summary>A new session (refresh family) for <paramref name="user"/>.</summary>
    public async Task<TokenResponse> NewSessionAsync(HttpContext context, User user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var refresh = await refreshTokens.IssueAsync(user.Id, settings.RefreshTokenLifetime, RequestAudit.UserAgent(context), RequestAudit.IpAddress(context), cancellationToken);
        return await ContinueAsync(user, refresh, cancellationToken);
    }

    /// <summary>An access token for an already issued (or just rotated) refresh token.</summary>
    public async Task<TokenResponse> ContinueAsync(User user, IssuedRefreshToken refresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(refresh);
        var setupRequired = RolePolicyRules.MfaSetupRequired(await policies.IsMfaRequiredAsync(user.Role, cancellationToken), user.MfaEnabled);
        var access = tokens.Issue(user, refresh.FamilyId, setupRequired);
        return new TokenResponse(
            access.Token, "Bearer", (long)settings.AccessTokenLifetime.TotalSeconds, refresh.Token, (long)settings.RefreshTokenLifetime.TotalSeconds, user, setupRequired);
    }
}
