using System.Text.Json;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Platform;
using Appliance.Platform.Database;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Identity;

public sealed record UserFilter(string? Role, bool? IsActive, string? Search);

/// <summary>Users in PostgreSQL; every change writes its audit row in the same transaction.</summary>
public sealed class UserStore(NpgsqlDataSource dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["email"] = "email",
        ["display_name"] = "lower(display_name)",
        ["role"] = "role",
        ["created_at"] = "created_at",
        ["last_login_at"] = "last_login_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("email", false)];

    private const string Columns = "id, email, display_name, role, customer_id, language, skills, is_active, last_login_at, created_at, updated_at, mfa_secret IS NOT NULL";

    public async Task<UserCredentials?> FindForLoginAsync(string email, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns}, password_hash FROM users WHERE lower(email) = lower(@email)");
        command.Parameters.Add(new NpgsqlParameter<string>("email", email.Trim()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new UserCredentials(Map(reader), reader.IsDBNull(12) ? null : reader.GetString(12)) : null;
    }

    public async Task<User?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM users WHERE id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    public Task<Paged<User>> ListAsync(UserFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = """
            FROM users
             WHERE (@role::text IS NULL OR role = @role)
               AND (@active::boolean IS NULL OR is_active = @active)
               AND (@search::text IS NULL OR email ILIKE '%' || @search || '%' OR display_name ILIKE '%' || @search || '%')
            """;
        return PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("role", NpgsqlDbType.Text) { TypedValue = filter.Role });
                parameters.Add(new NpgsqlParameter<bool?>("active", NpgsqlDbType.Boolean) { TypedValue = filter.IsActive });
                parameters.Add(new NpgsqlParameter<string?>("search", NpgsqlDbType.Text) { TypedValue = SqlLike.Escape(filter.Search) });
            },
            page,
            Map,
            cancellationToken);
    }

    /// <summary>Creates a user; an email already registered is a conflict naming the field.</summary>
    public Task<WriteOutcome<User>> CreateAsync(NewUser user, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(principal);
        return WriteOutcome.CatchAsync(() => CreateOnceAsync(user, principal.Audit, cancellationToken));
    }

    private async Task<WriteOutcome<User>> CreateOnceAsync(NewUser user, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO users (email, display_name, role, customer_id, language, skills, password_hash, password_changed_at)
            VALUES (@email, @name, @role, @customer, @language, @skills, @hash, now())
            RETURNING {Columns}
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("email", user.Email));
        command.Parameters.Add(new NpgsqlParameter<string>("name", user.DisplayName));
        command.Parameters.Add(new NpgsqlParameter<string>("role", user.Role));
        command.Parameters.Add(new NpgsqlParameter<Guid?>("customer", NpgsqlDbType.Uuid) { TypedValue = user.CustomerId });
        command.Parameters.Add(new NpgsqlParameter<string>("language", user.Language));
        command.Parameters.Add(new NpgsqlParameter<string[]>("skills", [.. user.Skills]));
        command.Parameters.Add(new NpgsqlParameter<string>("hash", user.PasswordHash));
        User created;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            created = Map(reader);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await FailedStatements.RecoverAsync(connection, transaction);
            throw new DomainConflictException("A user with this email already exists", [new FieldError("email", $"'{user.Email}' is already registered")]);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            await FailedStatements.RecoverAsync(connection, transaction);
            throw new DomainValidationException([new FieldError("customer_id", "Unknown customer")]);
        }

        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("user", created.Id.ToString(), "created", null, Describe(created)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(created);
    }

    /// <summary>
    /// Changes a user. Nobody deactivates themselves or changes their own role (an admin could lock the appliance out);
    /// deactivation also revokes the user's refresh tokens in the same transaction.
    /// </summary>
    public async Task<WriteOutcome<User>> UpdateAsync(Guid id, UserChanges changes, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(principal);
        var (actor, audit) = (principal.Actor, principal.Audit);
        if (id == actor.Id && (changes.IsActive == false || (changes.Role is not null && changes.Role != actor.Role)))
        {
            return WriteOutcome.Conflict<User>(WriteOutcome.ConflictCode, "You cannot deactivate yourself or change your own role");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        User? before;
        await using (var select = new NpgsqlCommand($"SELECT {Columns} FROM users WHERE id = @id FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            before = await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
        }

        if (before is null)
        {
            return WriteOutcome.NotFound<User>("User");
        }

        UserRules.ValidateChanges(before, changes);
        await using var update = new NpgsqlCommand(
            $"""
            UPDATE users SET
                display_name = coalesce(@name, display_name),
                role = coalesce(@role, role),
                customer_id = CASE WHEN @customer_given THEN @customer ELSE customer_id END,
                language = coalesce(@language, language),
                skills = coalesce(@skills, skills),
                is_active = coalesce(@active, is_active),
                updated_at = now()
            WHERE id = @id
            RETURNING {Columns}
            """,
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        update.Parameters.Add(new NpgsqlParameter<string?>("name", NpgsqlDbType.Text) { TypedValue = changes.DisplayName?.Trim() });
        update.Parameters.Add(new NpgsqlParameter<string?>("role", NpgsqlDbType.Text) { TypedValue = changes.Role });
        update.Parameters.Add(new NpgsqlParameter<bool>("customer_given", changes.CustomerIdGiven));
        update.Parameters.Add(new NpgsqlParameter<Guid?>("customer", NpgsqlDbType.Uuid) { TypedValue = changes.CustomerId });
        update.Parameters.Add(new NpgsqlParameter<string?>("language", NpgsqlDbType.Text) { TypedValue = changes.Language });
        update.Parameters.Add(new NpgsqlParameter<string[]?>("skills", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = changes.Skills?.Select(s => s.Trim().ToLowerInvariant()).Distinct().ToArray() });
        update.Parameters.Add(new NpgsqlParameter<bool?>("active", NpgsqlDbType.Boolean) { TypedValue = changes.IsActive });
        User after;
        try
        {
            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            after = Map(reader);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            await FailedStatements.RecoverAsync(connection, transaction);
            throw new DomainValidationException([new FieldError("customer_id", "Unknown customer")]);
        }

        if (changes.IsActive == false)
        {
            await using var revoke = new NpgsqlCommand(
                "UPDATE refresh_tokens SET revoked_at = now(), revoke_reason = 'user deactivated' WHERE user_id = @id AND revoked_at IS NULL",
                connection,
                transaction);
            revoke.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await revoke.ExecuteNonQueryAsync(cancellationToken);
        }

        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("user", id.ToString(), "updated", Describe(before), Describe(after)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(after);
    }

    public async Task RecordLoginAsync(Guid id, string? rehash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE users SET last_login_at = now(), password_hash = coalesce(@hash, password_hash) WHERE id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        command.Parameters.Add(new NpgsqlParameter<string?>("hash", NpgsqlDbType.Text) { TypedValue = rehash });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stores a password hash made with newer parameters (the password itself did not change).</summary>
    public async Task UpdatePasswordHashAsync(Guid id, string hash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE users SET password_hash = @hash WHERE id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        command.Parameters.Add(new NpgsqlParameter<string>("hash", hash));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The audited view of a user: never the password hash.</summary>
    private static string Describe(User user)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("email", user.Email);
            json.WriteString("display_name", user.DisplayName);
            json.WriteString("role", user.Role);
            json.WriteString("customer_id", user.CustomerId?.ToString());
            json.WriteString("language", user.Language);
            json.WriteBoolean("is_active", user.IsActive);
            json.WriteStartArray("skills");
            foreach (var skill in user.Skills)
            {
                json.WriteStringValue(skill);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static User Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetGuid(4),
        reader.GetString(5),
        reader.GetFieldValue<string[]>(6),
        reader.GetBoolean(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetFieldValue<DateTimeOffset>(10),
        reader.GetBoolean(11));
}
