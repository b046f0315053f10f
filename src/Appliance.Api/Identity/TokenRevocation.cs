using System.Globalization;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;

namespace Appliance.Api.Identity;

/// <summary>
/// Ends access tokens before they expire, in Redis, where <see cref="AccessTokenEvents"/> looks on every request in the
/// same script as the rate limit: one token (sign-out), one session (its <c>sid</c>: sign-out and refresh-token reuse) or
/// every token a user holds (deactivation, a role or company change, an MFA reset). Each mark is kept only as long as a
/// token it refuses could still be valid. Redis failures propagate (the caller answers 503): a change that must end
/// sign-ins does not report success while they still work.
/// </summary>
public sealed class TokenRevocation(IRedisClient redis, IdentitySettings settings, TimeProvider time)
{
    // The validation clock skew is 30 s; one minute more than the lifetime covers every token issued before the mark.
    private string KeepMs => ((long)(settings.AccessTokenLifetime + TimeSpan.FromMinutes(1)).TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>Refuses the access token <paramref name="jti"/>, which expires at <paramref name="expiresAt"/>.</summary>
    public async Task RevokeTokenAsync(string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var remaining = expiresAt - time.GetUtcNow() + TimeSpan.FromMinutes(1);
        await redis.ExecuteAsync(["SET", RevocationKeys.Jti(jti), "1", "PX", ((long)Math.Max(1000, remaining.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)], cancellationToken);
    }

    /// <summary>Refuses every access token issued for the session (refresh family) <paramref name="sessionId"/>.</summary>
    public async Task RevokeSessionAsync(Guid sessionId, CancellationToken cancellationToken) =>
        await redis.ExecuteAsync(["SET", RevocationKeys.Session(sessionId), "1", "PX", KeepMs], cancellationToken);

    /// <summary>Refuses every access token of <paramref name="userId"/> issued before now; later sign-ins are unaffected.</summary>
    public async Task EndUserTokensAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        await redis.ExecuteAsync(["SET", RevocationKeys.UserValidAfter(userId), now, "PX", KeepMs], cancellationToken);
    }
}
