using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Npgsql;

namespace Appliance.Domain.Identity;

/// <summary>Per-role policies; for now whether a role must use MFA.</summary>
public sealed class RolePolicyStore(NpgsqlDataSource dataSource)
{
    /// <summary>Every known role with its MFA requirement (a role without a row requires nothing).</summary>
    public async Task<IReadOnlyDictionary<string, bool>> MfaRequirementsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, cancellationToken);
    }

    public async Task<bool> IsMfaRequiredAsync(string role, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT mfa_required FROM role_policies WHERE role = @role");
        command.Parameters.Add(new NpgsqlParameter<string>("role", role));
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>
    /// Sets the MFA requirement of the named roles (the others keep theirs); an unknown role is a validation error and
    /// nothing is written. Audited with the whole policy before and after.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, bool>> SetMfaRequirementsAsync(IReadOnlyDictionary<string, bool> changes, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var errors = RolePolicyRules.Validate(changes);
        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE role_policies IN SHARE ROW EXCLUSIVE MODE", connection, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(cancellationToken);
        }

        var before = await ReadAsync(connection, transaction, cancellationToken);
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO role_policies (role, mfa_required) SELECT * FROM unnest(@roles, @required)
            ON CONFLICT (role) DO UPDATE SET mfa_required = excluded.mfa_required, updated_at = now()
             WHERE role_policies.mfa_required IS DISTINCT FROM excluded.mfa_required
            """,
            connection,
            transaction))
        {
            upsert.Parameters.Add(new NpgsqlParameter<string[]>("roles", [.. changes.Keys]));
            upsert.Parameters.Add(new NpgsqlParameter<bool[]>("required", [.. changes.Values]));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        var after = await ReadAsync(connection, transaction, cancellationToken);
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("settings", "mfa-policy", "mfa_policy.updated", Describe(before), Describe(after)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return after;
    }

    private static async Task<IReadOnlyDictionary<string, bool>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT role, mfa_required FROM role_policies", connection, transaction);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored[reader.GetString(0)] = reader.GetBoolean(1);
            }
        }

        return Roles.All.ToDictionary(role => role, role => stored.GetValueOrDefault(role), StringComparer.Ordinal);
    }

    private static string Describe(IReadOnlyDictionary<string, bool> policy)
    {
        var values = new AuditValues();
        foreach (var role in Roles.All)
        {
            values.Add(role, policy[role]);
        }

        return values.ToString();
    }
}

/// <summary>What a role-policy change must satisfy.</summary>
public static class RolePolicyRules
{
    public static IReadOnlyList<FieldError> Validate(IReadOnlyDictionary<string, bool>? changes)
    {
        if (changes is null || changes.Count == 0)
        {
            return [new FieldError("roles", "Name at least one role, e.g. {\"roles\":{\"system_admin\":true}}")];
        }

        return changes.Keys.Where(role => !Roles.IsKnown(role))
            .Select(role => new FieldError("roles." + role, $"Unknown role; known roles: {string.Join(", ", Roles.All)}"))
            .ToList();
    }

    /// <summary>A signed-in user must enrol before doing anything else when their role requires MFA and they have none.</summary>
    public static bool MfaSetupRequired(bool roleRequiresMfa, bool userHasMfa) => roleRequiresMfa && !userHasMfa;
}
