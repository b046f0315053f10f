using System.Net;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Audit;

/// <summary>Who did something: a user, an API key, the system itself, or nobody known (a failed login).</summary>
public sealed record AuditActor(string Type, string? Id)
{
    public static readonly AuditActor System = new("system", null);
    public static readonly AuditActor Anonymous = new("anonymous", null);

    public static AuditActor User(Guid id) => new("user", id.ToString());

    public static AuditActor ApiKey(Guid id) => new("api_key", id.ToString());
}

/// <summary>Where a change came from, for the audit trail.</summary>
public sealed record AuditContext(AuditActor Actor, IPAddress? Ip, string? UserAgent, string? RequestId);

/// <summary>One entry. <see cref="OldValues"/> and <see cref="NewValues"/> are JSON objects (already serialised).</summary>
public sealed record AuditEntry(string EntityType, string? EntityId, string Action, string? OldValues = null, string? NewValues = null);

public sealed record AuditRecord(
    long Id,
    DateTimeOffset OccurredAt,
    string EntityType,
    string? EntityId,
    string Action,
    string ActorType,
    string? ActorId,
    string? OldValues,
    string? NewValues,
    string? Ip,
    string? UserAgent,
    string? RequestId);

public sealed record AuditFilter(string? EntityType, string? EntityId, string? Action, string? ActorId, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>
/// The append-only audit log (the table refuses UPDATE, DELETE and TRUNCATE). Modules write their entry on the same
/// connection and transaction as the change, so a change and its audit row commit or roll back together.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["occurred_at"] = "occurred_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("occurred_at", true)];

    private const string Columns = "id, occurred_at, entity_type, entity_id, action, actor_type, actor_id, old_values::text, new_values::text, host(ip), user_agent, request_id";

    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditContext context, AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(entry);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO audit_log (entity_type, entity_id, action, actor_type, actor_id, old_values, new_values, ip, user_agent, request_id)
            VALUES (@entity_type, @entity_id, @action, @actor_type, @actor_id, @old::jsonb, @new::jsonb, @ip, @user_agent, @request_id)
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("entity_type", entry.EntityType));
        command.Parameters.Add(new NpgsqlParameter<string?>("entity_id", NpgsqlDbType.Text) { TypedValue = entry.EntityId });
        command.Parameters.Add(new NpgsqlParameter<string>("action", entry.Action));
        command.Parameters.Add(new NpgsqlParameter<string>("actor_type", context.Actor.Type));
        command.Parameters.Add(new NpgsqlParameter<string?>("actor_id", NpgsqlDbType.Text) { TypedValue = context.Actor.Id });
        command.Parameters.Add(new NpgsqlParameter<string?>("old", NpgsqlDbType.Text) { TypedValue = entry.OldValues });
        command.Parameters.Add(new NpgsqlParameter<string?>("new", NpgsqlDbType.Text) { TypedValue = entry.NewValues });
        command.Parameters.Add(new NpgsqlParameter<IPAddress?>("ip", NpgsqlDbType.Inet) { TypedValue = context.Ip });
        command.Parameters.Add(new NpgsqlParameter<string?>("user_agent", NpgsqlDbType.Text) { TypedValue = Truncate(context.UserAgent, 512) });
        command.Parameters.Add(new NpgsqlParameter<string?>("request_id", NpgsqlDbType.Text) { TypedValue = context.RequestId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>For events that are not part of a data change (login attempts, logouts).</summary>
    public async Task WriteAsync(AuditContext context, AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await WriteAsync(connection, null, context, entry, cancellationToken);
    }

    public Task<Paged<AuditRecord>> ListAsync(AuditFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = """
            FROM audit_log
             WHERE (@entity_type::text IS NULL OR entity_type = @entity_type)
               AND (@entity_id::text IS NULL OR entity_id = @entity_id)
               AND (@action::text IS NULL OR action = @action)
               AND (@actor_id::text IS NULL OR actor_id = @actor_id)
               AND (@from::timestamptz IS NULL OR occurred_at >= @from)
               AND (@to::timestamptz IS NULL OR occurred_at < @to)
            """;
        return Common.PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            Common.SqlSort.OrderBy(sort, SortColumns, "id DESC"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("entity_type", NpgsqlDbType.Text) { TypedValue = filter.EntityType });
                parameters.Add(new NpgsqlParameter<string?>("entity_id", NpgsqlDbType.Text) { TypedValue = filter.EntityId });
                parameters.Add(new NpgsqlParameter<string?>("action", NpgsqlDbType.Text) { TypedValue = filter.Action });
                parameters.Add(new NpgsqlParameter<string?>("actor_id", NpgsqlDbType.Text) { TypedValue = filter.ActorId });
                parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", NpgsqlDbType.TimestampTz) { TypedValue = filter.From });
                parameters.Add(new NpgsqlParameter<DateTimeOffset?>("to", NpgsqlDbType.TimestampTz) { TypedValue = filter.To });
            },
            page,
            reader => new AuditRecord(
                reader.GetInt64(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11)),
            cancellationToken);
    }

    private static string? Truncate(string? value, int max) => value is { Length: > 0 } && value.Length > max ? value[..max] : value;
}
