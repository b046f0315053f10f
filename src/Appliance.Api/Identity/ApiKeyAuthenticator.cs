using Appliance.Api.Http;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;

namespace Appliance.Api.Identity;

/// <summary>The outcome of checking a presented API key: the caller, or the error to answer with.</summary>
public sealed record ApiKeyCheck(CurrentUser? Caller, string? ErrorCode, string? Message);

/// <summary>
/// Authenticates <c>psa_&lt;prefix&gt;_&lt;secret&gt;</c> keys: finds the key by its prefix (a unique index), compares the
/// secret's SHA-256 in constant time, refuses revoked and expired keys and keys whose creator was deactivated. The caller
/// gets the key's permissions only (as far as the creator's current role still grants them) and no customer. Use is recorded at most once a minute per key (<c>last_used_at</c> and an <c>api_key.used</c> audit row
/// with address and user agent), so integrations polling every second do not flood the audit log.
/// </summary>
public sealed class ApiKeyAuthenticator(ApiKeyStore store, TimeProvider time)
{
    public async Task<ApiKeyCheck> AuthenticateAsync(HttpContext context, string presented, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ApiKeyRules.TryParse(presented, out var prefix, out var secret))
        {
            return Invalid();
        }

        var key = await store.FindAsync(prefix, cancellationToken);
        if (key is null || !ApiKeyRules.SecretMatches(secret, key.SecretHash))
        {
            return Invalid();
        }

        if (key.RevokedAt is not null)
        {
            return new ApiKeyCheck(null, ErrorCodes.ApiKeyRevoked, "The API key was revoked");
        }

        if (!key.CreatorActive)
        {
            return new ApiKeyCheck(null, ErrorCodes.ApiKeyRevoked, "The API key's creator was deactivated; create a new key");
        }

        var now = time.GetUtcNow();
        if (key.ExpiresAt is { } expiry && expiry <= now)
        {
            return new ApiKeyCheck(null, ErrorCodes.ApiKeyExpired, "The API key has expired");
        }

        // Checked here first so that most requests need no write; the UPDATE's own condition settles races between nodes.
        if (key.LastUsedAt is null || key.LastUsedAt <= now - ApiKeyStore.UseRecordInterval)
        {
            await store.RecordUseAsync(key.Id, RequestAudit.For(context, AuditActor.ApiKey(key.Id)), cancellationToken);
        }

        var caller = new CurrentUser(
            key.CreatedBy,
            string.Empty,
            CurrentUser.ApiKeyRole,
            ApiKeyRules.EffectivePermissions(key.Permissions, key.CreatorRole),
            null,
            string.Empty,
            Guid.Empty,
            key.ExpiresAt ?? DateTimeOffset.MaxValue,
            MfaSetupRequired: false,
            ApiKeyId: key.Id);
        return new ApiKeyCheck(caller, null, null);
    }

    private static ApiKeyCheck Invalid() => new(null, ErrorCodes.ApiKeyInvalid, "The API key is not valid");
}
