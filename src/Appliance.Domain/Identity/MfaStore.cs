using Appliance.Domain.Audit;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Identity;

/// <summary>A user's MFA state as the verification needs it. Secrets are still sealed (field encryption).</summary>
public sealed record MfaState(Guid UserId, string Email, string Role, bool IsActive, byte[]? Secret, byte[]? PendingSecret, long? LastStep, byte[]? RecoverySalt)
{
    public bool Enabled => Secret is not null;
}

/// <summary>One unused recovery code: its row id and salted hash.</summary>
public sealed record StoredRecoveryCode(long Id, byte[] Hash);

/// <summary>
/// TOTP enrolment, the replay guard and the one-time recovery codes in PostgreSQL. Every change of the MFA state writes
/// its audit row in the same transaction. Secrets arrive here sealed; this class never sees a clear TOTP secret.
/// </summary>
public sealed class MfaStore(NpgsqlDataSource dataSource)
{
    /// <summary>The purpose string sealed TOTP secrets are bound to, so a value copied to another user does not decrypt.</summary>
    public static string SecretContext(Guid userId) => "users.mfa_secret:" + userId.ToString("D");

    public async Task<MfaState?> GetAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, email, role, is_active, mfa_secret, mfa_pending_secret, mfa_last_step, mfa_recovery_salt FROM users WHERE id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new MfaState(
            reader.GetGuid(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetBoolean(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7));
    }

    /// <summary>The organisation's name (the authenticator app shows it as the issuer), or null before it is set up.</summary>
    public async Task<string?> OrganizationNameAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT name FROM organization");
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Stores a new pending secret (replacing an earlier one); false when MFA is already on.</summary>
    public async Task<bool> StartEnrolmentAsync(Guid userId, byte[] sealedSecret, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand("UPDATE users SET mfa_pending_secret = @secret WHERE id = @id AND mfa_secret IS NULL", connection, transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        update.Parameters.Add(new NpgsqlParameter<byte[]>("secret", sealedSecret));
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("user", userId.ToString(), "mfa.enrollment_started"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Turns MFA on with the pending secret the code was checked against (<paramref name="pendingSecret"/>: a newer
    /// enrolment in between wins and this returns false), records the confirming step as used and stores the hashes
    /// of the new recovery codes.
    /// </summary>
    public async Task<bool> ConfirmAsync(Guid userId, byte[] pendingSecret, long step, byte[] recoverySalt, IReadOnlyList<byte[]> recoveryHashes, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recoveryHashes);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            """
            UPDATE users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL, mfa_enabled_at = now(), mfa_last_step = @step,
                             mfa_recovery_salt = @salt, updated_at = now()
             WHERE id = @id AND mfa_secret IS NULL AND mfa_pending_secret = @pending
            """,
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        update.Parameters.Add(new NpgsqlParameter<byte[]>("pending", pendingSecret));
        update.Parameters.Add(new NpgsqlParameter<long>("step", step));
        update.Parameters.Add(new NpgsqlParameter<byte[]>("salt", recoverySalt));
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await InsertRecoveryCodesAsync(connection, transaction, userId, recoveryHashes, cancellationToken);
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("user", userId.ToString(), "mfa.enabled", null, new AuditValues().Add("recovery_codes", recoveryHashes.Count).ToString()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Records <paramref name="step"/> as the last accepted TOTP step, only if it is later than the stored one. False
    /// means the code (or an earlier one) was already used: a replay, even within the code's 30 s window, and even when
    /// two requests race (the row update is atomic).
    /// </summary>
    public async Task<bool> AcceptStepAsync(Guid userId, long step, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE users SET mfa_last_step = @step WHERE id = @id AND mfa_secret IS NOT NULL AND (mfa_last_step IS NULL OR mfa_last_step < @step)");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        command.Parameters.Add(new NpgsqlParameter<long>("step", step));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<StoredRecoveryCode>> UnusedRecoveryCodesAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, code_hash FROM mfa_recovery_codes WHERE user_id = @id AND used_at IS NULL ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var codes = new List<StoredRecoveryCode>();
        while (await reader.ReadAsync(cancellationToken))
        {
            codes.Add(new StoredRecoveryCode(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
        }

        return codes;
    }

    /// <summary>Marks one recovery code used; false when another request used it first. Audited with the codes left.</summary>
    public async Task<bool> ConsumeRecoveryCodeAsync(Guid userId, long codeId, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            """
            WITH used AS (UPDATE mfa_recovery_codes SET used_at = now() WHERE id = @code AND user_id = @user AND used_at IS NULL RETURNING id)
            SELECT (SELECT count(*) FROM used), (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @user AND used_at IS NULL AND id <> @code)
            """,
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("user", userId));
        update.Parameters.Add(new NpgsqlParameter<long>("code", codeId));
        long used, left;
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (used, left) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        if (used == 0)
        {
            return false;
        }

        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("user", userId.ToString(), "mfa.recovery_code_used", null, new AuditValues().Add("remaining", left).ToString()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Replaces every recovery code (old ones stop working) under a fresh salt; false when MFA is off.</summary>
    public async Task<bool> ReplaceRecoveryCodesAsync(Guid userId, byte[] recoverySalt, IReadOnlyList<byte[]> recoveryHashes, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recoveryHashes);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand("UPDATE users SET mfa_recovery_salt = @salt WHERE id = @id AND mfa_secret IS NOT NULL", connection, transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        update.Parameters.Add(new NpgsqlParameter<byte[]>("salt", recoverySalt));
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await DeleteRecoveryCodesAsync(connection, transaction, userId, cancellationToken);
        await InsertRecoveryCodesAsync(connection, transaction, userId, recoveryHashes, cancellationToken);
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("user", userId.ToString(), "mfa.recovery_codes_regenerated", null, new AuditValues().Add("recovery_codes", recoveryHashes.Count).ToString()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Turns MFA off: secret, pending secret, replay step and recovery codes are removed. <paramref name="action"/> is
    /// the audit action (<c>mfa.disabled</c> by the user, <c>mfa.reset</c> by an admin); <paramref name="revokeSessions"/>
    /// also revokes every refresh token of the user. False when the user does not exist.
    /// </summary>
    public async Task<bool> DisableAsync(Guid userId, string action, bool revokeSessions, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            """
            UPDATE users u SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_enabled_at = NULL, mfa_last_step = NULL, mfa_recovery_salt = NULL, updated_at = now()
              FROM (SELECT id, mfa_secret IS NOT NULL AS was_enabled FROM users WHERE id = @id FOR UPDATE) before
             WHERE u.id = before.id
            RETURNING before.was_enabled
            """,
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        if (await update.ExecuteScalarAsync(cancellationToken) is not bool wasEnabled)
        {
            return false;
        }

        await DeleteRecoveryCodesAsync(connection, transaction, userId, cancellationToken);
        if (revokeSessions)
        {
            await using var revoke = new NpgsqlCommand(
                "UPDATE refresh_tokens SET revoked_at = now(), revoke_reason = @reason WHERE user_id = @id AND revoked_at IS NULL",
                connection,
                transaction);
            revoke.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
            revoke.Parameters.Add(new NpgsqlParameter<string>("reason", action));
            await revoke.ExecuteNonQueryAsync(cancellationToken);
        }

        await AuditLog.WriteAsync(
            connection,
            transaction,
            audit,
            new AuditEntry("user", userId.ToString(), action, new AuditValues().Add("mfa_enabled", wasEnabled).ToString(), new AuditValues().Add("mfa_enabled", false).ToString()),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task DeleteRecoveryCodesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, CancellationToken cancellationToken)
    {
        await using var delete = new NpgsqlCommand("DELETE FROM mfa_recovery_codes WHERE user_id = @id", connection, transaction);
        delete.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task InsertRecoveryCodesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, IReadOnlyList<byte[]> hashes, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT @id, unnest(@hashes)", connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        insert.Parameters.Add(new NpgsqlParameter<byte[][]>("hashes", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = [.. hashes] });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}
