using System.Net;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Identity;

public enum RefreshOutcome
{
    Rotated,
    Invalid,
    Reused,
}

public sealed record IssuedRefreshToken(string Token, Guid FamilyId, DateTimeOffset ExpiresAt);

/// <summary>A refresh attempt. <see cref="FamilyId"/> is the session the presented token belongs to (set when it was found).</summary>
public sealed record RefreshResult(RefreshOutcome Outcome, Guid UserId, IssuedRefreshToken? Next, Guid FamilyId = default);

/// <summary>
/// Opaque refresh tokens, stored as SHA-256 hashes. Each use rotates the token; presenting an already rotated token
/// means it was copied, so the whole family (every token descended from that login) is revoked.
/// </summary>
public sealed class RefreshTokenStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task<IssuedRefreshToken> IssueAsync(Guid userId, TimeSpan lifetime, string? userAgent, IPAddress? ip, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await InsertAsync(connection, null, userId, Guid.CreateVersion7(), lifetime, userAgent, ip, cancellationToken);
    }

    public async Task<RefreshResult> RotateAsync(string token, TimeSpan lifetime, string? userAgent, IPAddress? ip, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid id, userId, familyId;
        DateTimeOffset expiresAt;
        bool rotated, revoked;
        await using (var select = new NpgsqlCommand(
            "SELECT id, user_id, family_id, expires_at, rotated_at IS NOT NULL, revoked_at IS NOT NULL FROM refresh_tokens WHERE token_hash = @hash FOR UPDATE",
            connection,
            transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<byte[]>("hash", HashToken(token)));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new RefreshResult(RefreshOutcome.Invalid, Guid.Empty, null);
            }

            (id, userId, familyId, expiresAt, rotated, revoked) =
                (reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetBoolean(4), reader.GetBoolean(5));
        }

        if (rotated)
        {
            await RevokeFamilyAsync(connection, transaction, familyId, "refresh token reused", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new RefreshResult(RefreshOutcome.Reused, userId, null, familyId);
        }

        if (revoked || expiresAt <= time.GetUtcNow())
        {
            return new RefreshResult(RefreshOutcome.Invalid, userId, null);
        }

        await using (var mark = new NpgsqlCommand("UPDATE refresh_tokens SET rotated_at = now() WHERE id = @id", connection, transaction))
        {
            mark.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        var next = await InsertAsync(connection, transaction, userId, familyId, lifetime, userAgent, ip, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RefreshResult(RefreshOutcome.Rotated, userId, next);
    }

    public async Task RevokeFamilyAsync(Guid familyId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await RevokeFamilyAsync(connection, null, familyId, reason, cancellationToken);
    }

    public static byte[] HashToken(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private static async Task RevokeFamilyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid familyId, string reason, CancellationToken cancellationToken)
    {
        await using var revoke = new NpgsqlCommand(
            "UPDATE refresh_tokens SET revoked_at = now(), revoke_reason = @reason WHERE family_id = @family AND revoked_at IS NULL",
            connection,
            transaction);
        revoke.Parameters.Add(new NpgsqlParameter<Guid>("family", familyId));
        revoke.Parameters.Add(new NpgsqlParameter<string>("reason", reason));
        await revoke.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IssuedRefreshToken> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, Guid familyId, TimeSpan lifetime, string? userAgent, IPAddress? ip, CancellationToken cancellationToken)
    {
        var token = Base64UrlToken(RandomNumberGenerator.GetBytes(32));
        var expiresAt = time.GetUtcNow() + lifetime;
        await using var insert = new NpgsqlCommand(
            "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, user_agent, ip) VALUES (@user, @family, @hash, @expires, @ua, @ip)",
            connection,
            transaction);
        insert.Parameters.Add(new NpgsqlParameter<Guid>("user", userId));
        insert.Parameters.Add(new NpgsqlParameter<Guid>("family", familyId));
        insert.Parameters.Add(new NpgsqlParameter<byte[]>("hash", HashToken(token)));
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("expires", expiresAt));
        insert.Parameters.Add(new NpgsqlParameter<string?>("ua", NpgsqlDbType.Text) { TypedValue = userAgent is { Length: > 512 } ? userAgent[..512] : userAgent });
        insert.Parameters.Add(new NpgsqlParameter<IPAddress?>("ip", NpgsqlDbType.Inet) { TypedValue = ip });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return new IssuedRefreshToken(token, familyId, expiresAt);
    }

    private static string Base64UrlToken(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
