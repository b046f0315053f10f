using Appliance.Domain.Common;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

/// <summary>Ticket list filters; <c>ScopeCustomerId</c>, when set, limits the caller to one company (customer users).</summary>
public sealed record TicketFilter(string? Status, string? Priority, Guid? CustomerId, Guid? AssignedTo, Guid? ScopeCustomerId = null);

/// <summary>Tickets in PostgreSQL: parameterised SQL and an explicit row mapper.</summary>
public sealed class TicketStore(NpgsqlDataSource dataSource)
{
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
        ["ticket_number"] = "ticket_number",
        ["priority"] = "array_position(ARRAY['low','medium','high','critical'], priority)",
        ["status"] = "array_position(ARRAY['new','assigned','in_progress','waiting_customer','resolved','closed'], status)",
        ["title"] = "lower(title)",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("created_at", true)];

    private const string Columns = """
        id, ticket_number, title, description, status, priority, category, tags, customer_id, assigned_to, source,
        sla_response_due, sla_resolution_due, sla_breached, first_response_at, resolved_at, closed_at, created_at, updated_at
        """;

    public async Task<Paged<Ticket>> ListAsync(TicketFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = """
            FROM tickets
             WHERE deleted_at IS NULL
               AND (@status::text IS NULL OR status = @status)
               AND (@priority::text IS NULL OR priority = @priority)
               AND (@customer::uuid IS NULL OR customer_id = @customer)
               AND (@assignee::uuid IS NULL OR assigned_to = @assignee)
               AND (@scope::uuid IS NULL OR customer_id = @scope)
            """;
        return await PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("status", NpgsqlDbType.Text) { TypedValue = filter.Status });
                parameters.Add(new NpgsqlParameter<string?>("priority", NpgsqlDbType.Text) { TypedValue = filter.Priority });
                parameters.Add(new NpgsqlParameter<Guid?>("customer", NpgsqlDbType.Uuid) { TypedValue = filter.CustomerId });
                parameters.Add(new NpgsqlParameter<Guid?>("assignee", NpgsqlDbType.Uuid) { TypedValue = filter.AssignedTo });
                parameters.Add(new NpgsqlParameter<Guid?>("scope", NpgsqlDbType.Uuid) { TypedValue = filter.ScopeCustomerId });
            },
            page,
            Map,
            cancellationToken);
    }

    public async Task<Ticket?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM tickets WHERE id = @id AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static Ticket Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetInt64(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.GetFieldValue<string[]>(7),
        reader.GetGuid(8),
        reader.IsDBNull(9) ? null : reader.GetGuid(9),
        reader.GetString(10),
        NullableTime(reader, 11),
        NullableTime(reader, 12),
        reader.GetBoolean(13),
        NullableTime(reader, 14),
        NullableTime(reader, 15),
        NullableTime(reader, 16),
        reader.GetFieldValue<DateTimeOffset>(17),
        reader.GetFieldValue<DateTimeOffset>(18));
}
