using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Platform;
using Appliance.Platform.Database;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Identity;

public sealed record ApiKeyFilter(string? Status, string? Search);

/// <summary>A new key with its full text, which is shown once.</summary>
public sealed record CreatedKey(ApiKey Key, string Secret);

/// <summary>API keys in PostgreSQL; creation and revocation write their audit rows in the same transaction.</summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    /// <summary>How often a key's use is recorded (<c>last_used_at</c> and an <c>api_key.used</c> audit row) at most.</summary>
    public static readonly TimeSpan UseRecordInterval = TimeSpan.FromMinutes(1);

    public static readonly IReadOnlyList<string> Statuses = ["active", "expired", "revoked"];

    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "lower(name)",
        ["created_at"] = "created_at",
        ["last_used_at"] = "last_used_at",
        ["expires_at"] = "expires_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("created_at", true)];

    private const string StatusSql = "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= now() THEN 'expired' ELSE 'active' END";
    private const string Columns = "id, name, prefix, permissions, created_by, created_at, expires_at, last_used_at, revoked_at, " + StatusSql;

    /// <summary>Stores a new key and returns it with its full text (shown once). A prefix collision draws a new key.</summary>
    public async Task<WriteOutcome<CreatedKey>> CreateAsync(NewApiKey key, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(principal);
        var (createdBy, audit) = (principal.Actor.Id, principal.Audit);
        for (var attempt = 1; ; attempt++)
        {
            var generated = ApiKeyRules.Generate();
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = new NpgsqlCommand(
                $"""
                INSERT INTO api_keys (name, prefix, secret_hash, permissions, created_by, expires_at)
                VALUES (@name, @prefix, @hash, @permissions, @created_by, @expires)
                RETURNING {Columns}
                """,
                connection,
                transaction);
            insert.Parameters.Add(new NpgsqlParameter<string>("name", key.Name));
            insert.Parameters.Add(new NpgsqlParameter<string>("prefix", generated.Prefix));
            insert.Parameters.Add(new NpgsqlParameter<byte[]>("hash", generated.SecretHash));
            insert.Parameters.Add(new NpgsqlParameter<string[]>("permissions", [.. key.Permissions]));
            insert.Parameters.Add(new NpgsqlParameter<Guid>("created_by", createdBy));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("expires", NpgsqlDbType.TimestampTz) { TypedValue = key.ExpiresAt });
            ApiKey created;
            try
            {
                await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                created = Map(reader);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
                await FailedStatements.RecoverAsync(connection, transaction);
                continue;
            }

            var values = new AuditValues().Add("name", created.Name).Add("prefix", created.Prefix).Add("permissions", created.Permissions).Add("expires_at", created.ExpiresAt);
            await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("api_key", created.Id.ToString(), "api_key.created", null, values.ToString()), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return WriteOutcome.Done(new CreatedKey(created, generated.Key));
        }
    }

    public async Task<ApiKey?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM api_keys WHERE id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    public Task<Paged<ApiKey>> ListAsync(ApiKeyFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = $"""
            FROM api_keys
             WHERE (@status::text IS NULL OR {StatusSql} = @status)
               AND (@search::text IS NULL OR name ILIKE '%' || @search || '%' OR prefix = @exact)
            """;
        return PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("status", NpgsqlDbType.Text) { TypedValue = filter.Status });
                parameters.Add(new NpgsqlParameter<string?>("search", NpgsqlDbType.Text) { TypedValue = SqlLike.Escape(filter.Search) });
                parameters.Add(new NpgsqlParameter<string?>("exact", NpgsqlDbType.Text) { TypedValue = filter.Search });
            },
            page,
            Map,
            cancellationToken);
    }

    /// <summary>Revokes a key. Revoking a revoked key changes nothing and writes no second audit row.</summary>
    /// <summary>Revokes a key; revoking a revoked key changes nothing (<see cref="WriteOutcome.Unchanged{T}"/>).</summary>
    public async Task<WriteOutcome<ApiKey>> RevokeAsync(Guid id, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var (revokedBy, audit) = (principal.Actor.Id, principal.Audit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            """
            WITH target AS (SELECT id, revoked_at FROM api_keys WHERE id = @id FOR UPDATE),
                 revoked AS (UPDATE api_keys k SET revoked_at = now(), revoked_by = @by FROM target WHERE k.id = target.id AND target.revoked_at IS NULL RETURNING k.id)
            SELECT (SELECT count(*) FROM target), (SELECT count(*) FROM revoked)
            """,
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        update.Parameters.Add(new NpgsqlParameter<Guid>("by", revokedBy));
        long found, revoked;
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (found, revoked) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        if (found == 0)
        {
            return WriteOutcome.NotFound<ApiKey>("API key");
        }

        ApiKey after;
        await using (var read = new NpgsqlCommand($"SELECT {Columns} FROM api_keys WHERE id = @id", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            after = Map(reader);
        }

        if (revoked == 0)
        {
            return WriteOutcome.Unchanged(after);
        }

        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("api_key", id.ToString(), "api_key.revoked"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(after);
    }

    /// <summary>The key with this prefix (indexed: the prefix is unique), or null.</summary>
    public async Task<ApiKeyCredential?> FindAsync(string prefix, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT k.id, k.secret_hash, k.permissions, k.created_by, k.expires_at, k.revoked_at, k.last_used_at, u.role, u.is_active
              FROM api_keys k JOIN users u ON u.id = k.created_by
             WHERE k.prefix = @prefix
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("prefix", prefix));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ApiKeyCredential(
            reader.GetGuid(0),
            reader.GetFieldValue<byte[]>(1),
            reader.GetFieldValue<string[]>(2),
            reader.GetGuid(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            reader.GetString(7),
            reader.GetBoolean(8));
    }

    /// <summary>
    /// The throttled record of a key's use: sets <c>last_used_at</c> and writes an <c>api_key.used</c> audit row (with
    /// the caller's address and user agent) when the last record is older than <see cref="UseRecordInterval"/>. The
    /// condition is in the UPDATE, so parallel requests on several API nodes record one use per interval. True when
    /// this call recorded it.
    /// </summary>
    public async Task<bool> RecordUseAsync(Guid id, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand(
            "UPDATE api_keys SET last_used_at = now() WHERE id = @id AND (last_used_at IS NULL OR last_used_at <= now() - @interval)",
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        update.Parameters.Add(new NpgsqlParameter<TimeSpan>("interval", UseRecordInterval));
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("api_key", id.ToString(), "api_key.used"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static ApiKey Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetFieldValue<string[]>(3),
        reader.GetGuid(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetString(9));
}
