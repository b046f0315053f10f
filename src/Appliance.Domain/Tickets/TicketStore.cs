using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Appliance.Platform.Database;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

/// <summary>Who the assignee filter asks for: one user, or tickets nobody holds.</summary>
public readonly record struct AssigneeFilter(Guid? UserId)
{
    public static AssigneeFilter Nobody => new(null);
}

/// <summary>
/// Ticket list filters. <paramref name="ScopeCustomerId"/>, when set, confines the caller to one company (customer
/// users); <paramref name="PublicCommentsOnly"/> keeps internal comments out of the search (customer users).
/// </summary>
public sealed record TicketFilter(
    IReadOnlyList<string>? Statuses = null,
    IReadOnlyList<string>? Priorities = null,
    Guid? CustomerId = null,
    AssigneeFilter? Assignee = null,
    string? Category = null,
    string? Tag = null,
    string? Source = null,
    bool? SlaBreached = null,
    DateTimeOffset? CreatedAfter = null,
    DateTimeOffset? CreatedBefore = null,
    string? Search = null,
    Guid? ScopeCustomerId = null,
    bool PublicCommentsOnly = true);

/// <summary>The few fields of a customer or user a ticket embeds with <c>include</c>.</summary>
public sealed record TicketCustomerSummary(Guid Id, string CustomerNumber, string Name);

public sealed record TicketUserSummary(Guid Id, string DisplayName, string? Email);

/// <summary>
/// Tickets in PostgreSQL: parameterised SQL and an explicit row mapper. Reads here; writes in the other parts of
/// this class, each in one transaction with its audit rows and outbox events.
/// </summary>
public sealed partial class TicketStore(NpgsqlDataSource dataSource, ListTotals totals, ISlaPolicySource slaPolicies, TimeProvider time)
{
    /// <summary>Sort keys; <c>relevance</c> only with <c>search</c>. Column expressions are over the alias <c>t</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["created_at"] = "t.created_at",
        ["updated_at"] = "t.updated_at",
        ["ticket_number"] = "t.ticket_number",
        ["priority"] = "array_position(ARRAY['low','medium','high','critical'], t.priority)",
        ["status"] = "array_position(ARRAY['new','assigned','in_progress','waiting_customer','resolved','closed'], t.status)",
        ["title"] = "lower(t.title)",
        ["sla_response_due"] = "t.sla_response_due",
        ["sla_resolution_due"] = "t.sla_resolution_due",
        [Relevance] = "hits.rank",
    };

    public const string Relevance = "relevance";

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("created_at", true)];

    /// <summary>With <c>search</c> and no <c>sort</c>: best match first, newest first among equals.</summary>
    public static readonly IReadOnlyList<SortField> SearchSort = [new(Relevance, true), new("created_at", true)];

    internal const string Columns = """
        t.id, t.ticket_number, t.title, t.description, t.status, t.priority, t.category, t.tags, t.customer_id, t.assigned_to,
        t.created_by, t.source, t.sla_policy_id, t.sla_response_due, t.sla_resolution_due, t.sla_breached, t.sla_paused_since,
        t.first_response_at, t.resolved_at, t.closed_at, t.reopen_count, t.merged_into, t.version, t.created_at, t.updated_at
        """;

    /// <summary>How many matches search takes from the tickets' own text, and as many again from comments.</summary>
    public const int SearchWindow = 50;

    // How many of the newest rows (of those the filters leave) a search reads one by one before it asks the GIN index
    // instead: a word in more than SearchWindow / SearchWalk of them (0.5 %) fills the window on the way.
    private const int SearchWalk = 10_000;

    // How many matches an identifier search (TicketStore.Search.cs) takes from the GIN index before it treats the term
    // as frequent and walks the newest rows instead.
    internal const int SearchProbeCap = 2_000;

    /// <summary>A page of the tickets <paramref name="actor"/> may see (customer users: their company's, searching public comments only).</summary>
    public async Task<Paged<Ticket>> ListAsync(TicketFilter filter, Actor actor, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(sort);
        filter = filter with { ScopeCustomerId = TicketAccess.ScopeCustomer(actor), PublicCommentsOnly = actor.IsCustomerUser };
        if (filter.Search is not null)
        {
            return await SearchAsync(filter, sort, page, cancellationToken);
        }

        var where = BuildWhere(filter, out var bind);
        var fromWhere = $"FROM tickets t WHERE {where}";
        var orderBy = SqlSort.OrderBy(sort, SortColumns, "t.id");
        var totalKey = ListTotals.Key(fromWhere, bind);
        var cached = totals.TryGetFresh(totalKey);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var list = new NpgsqlBatchCommand($"SELECT {Columns} {fromWhere}{orderBy} LIMIT @limit OFFSET @offset");
        bind(list.Parameters);
        list.Parameters.Add(new NpgsqlParameter<int>("limit", page.Limit));
        list.Parameters.Add(new NpgsqlParameter<int>("offset", page.Offset));
        batch.BatchCommands.Add(list);
        if (cached is null)
        {
            // Counting every match of a broad filter over a million rows would cost more than the page itself; up to
            // ListTotals.ExactUpTo the count is exact and fresh, above it ListTotals serves a briefly cached exact count.
            var bounded = new NpgsqlBatchCommand($"SELECT count(*) FROM (SELECT 1 {fromWhere} LIMIT {ListTotals.ExactUpTo + 1}) bounded");
            bind(bounded.Parameters);
            batch.BatchCommands.Add(bounded);
        }

        var items = new List<Ticket>(page.Limit);
        long? boundedCount = null;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Map(reader));
            }

            if (cached is null)
            {
                await reader.NextResultAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                boundedCount = reader.GetInt64(0);
            }
        }
        catch (PostgresException)
        {
            // See FailedStatements: the connection must not go back to the pool out of step.
            FailedStatements.Recover(connection);
            throw;
        }

        await connection.CloseAsync();

        long total;
        if (items.Count > 0 && items.Count < page.Limit)
        {
            total = page.Offset + items.Count; // the last page tells the exact total for free
        }
        else if (boundedCount is { } exact && exact <= ListTotals.ExactUpTo)
        {
            total = exact;
        }
        else
        {
            total = cached ?? await totals.GetAsync(totalKey, ct => CountAsync(fromWhere, bind, ct), ListTotals.ExactUpTo + 1, cancellationToken);
        }

        return new Paged<Ticket>(items, total, page);
    }

    /// <summary>
    /// The live ticket, or null when there is none or <paramref name="actor"/> may not see it: another company's ticket
    /// answers exactly like a missing one, so customer users learn nothing about it.
    /// </summary>
    public async Task<Ticket?> GetAsync(Guid id, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM tickets t WHERE t.id = @id AND t.deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        return Visible(await ReadOneAsync(command, cancellationToken), actor);
    }

    /// <summary>As <see cref="GetAsync"/>, by ticket number.</summary>
    public async Task<Ticket?> GetByNumberAsync(long ticketNumber, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM tickets t WHERE t.ticket_number = @number AND t.deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<long>("number", ticketNumber));
        return Visible(await ReadOneAsync(command, cancellationToken), actor);
    }

    private static Ticket? Visible(Ticket? ticket, Actor actor) => ticket is not null && TicketAccess.CanView(actor, ticket.CustomerId) ? ticket : null;

    private static async Task<Ticket?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    /// <summary>The customers behind <paramref name="ids"/> for <c>include=customer</c>.</summary>
    public Task<Dictionary<Guid, TicketCustomerSummary>> CustomersAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        LookupAsync("SELECT id, customer_number, name FROM customers WHERE id = ANY(@ids)", ids, r => new TicketCustomerSummary(r.GetGuid(0), r.GetString(1), r.GetString(2)), cancellationToken);

    /// <summary>The users behind <paramref name="ids"/> for <c>include=assigned_to</c>.</summary>
    public Task<Dictionary<Guid, TicketUserSummary>> UsersAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        LookupAsync("SELECT id, display_name, email FROM users WHERE id = ANY(@ids)", ids, r => new TicketUserSummary(r.GetGuid(0), r.GetString(1), r.GetString(2)), cancellationToken);

    /// <summary>Rows by id (the first column) for a page's includes, in one query.</summary>
    private async Task<Dictionary<Guid, T>> LookupAsync<T>(string sql, IReadOnlyCollection<Guid> ids, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var result = new Dictionary<Guid, T>();
        if (ids.Count == 0)
        {
            return result;
        }

        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetGuid(0)] = map(reader);
        }

        return result;
    }

    private async Task<long> CountAsync(string fromWhere, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) {fromWhere}");
        bind(command.Parameters);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The WHERE clause with only the conditions the filter uses, so that every query shape is planned for what it asks
    /// (and finds its index); values are always parameters.
    /// </summary>
    private static string BuildWhere(TicketFilter filter, out Action<NpgsqlParameterCollection> bind)
    {
        var conditions = new List<string> { "t.deleted_at IS NULL" };
        var binders = new List<Action<NpgsqlParameterCollection>>();

        void Add<T>(string condition, string name, T value, NpgsqlDbType type)
        {
            conditions.Add(condition);
            binders.Add(p => p.Add(new NpgsqlParameter<T>(name, type) { TypedValue = value }));
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            if (statuses.Count == 1)
            {
                Add("t.status = @status", "status", statuses[0], NpgsqlDbType.Text);
            }
            else
            {
                Add("t.status = ANY(@status)", "status", statuses.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
            }
        }

        if (filter.Priorities is { Count: > 0 } priorities)
        {
            if (priorities.Count == 1)
            {
                Add("t.priority = @priority", "priority", priorities[0], NpgsqlDbType.Text);
            }
            else
            {
                Add("t.priority = ANY(@priority)", "priority", priorities.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
            }
        }

        if (filter.CustomerId is { } customer)
        {
            Add("t.customer_id = @customer", "customer", customer, NpgsqlDbType.Uuid);
        }

        if (filter.ScopeCustomerId is { } scope)
        {
            Add("t.customer_id = @scope", "scope", scope, NpgsqlDbType.Uuid);
        }

        if (filter.Assignee is { } assignee)
        {
            if (assignee.UserId is { } user)
            {
                Add("t.assigned_to = @assignee", "assignee", user, NpgsqlDbType.Uuid);
            }
            else
            {
                conditions.Add("t.assigned_to IS NULL");
            }
        }

        if (filter.Category is { } category)
        {
            Add("lower(t.category) = lower(@category)", "category", category, NpgsqlDbType.Text);
        }

        if (filter.Tag is { } tag)
        {
            Add("t.tags @> ARRAY[@tag]::text[]", "tag", tag.ToLowerInvariant(), NpgsqlDbType.Text);
        }

        if (filter.Source is { } source)
        {
            Add("t.source = @source", "source", source, NpgsqlDbType.Text);
        }

        if (filter.SlaBreached is { } breached)
        {
            Add("t.sla_breached = @breached", "breached", breached, NpgsqlDbType.Boolean);
        }

        if (filter.CreatedAfter is { } after)
        {
            Add("t.created_at >= @created_after", "created_after", after, NpgsqlDbType.TimestampTz);
        }

        if (filter.CreatedBefore is { } before)
        {
            Add("t.created_at < @created_before", "created_before", before, NpgsqlDbType.TimestampTz);
        }

        bind = parameters =>
        {
            foreach (var binder in binders)
            {
                binder(parameters);
            }
        };
        return string.Join(" AND ", conditions);
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static Guid? NullableGuid(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);

    internal static Ticket Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetInt64(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.GetFieldValue<string[]>(7),
        reader.GetGuid(8),
        NullableGuid(reader, 9),
        NullableGuid(reader, 10),
        reader.GetString(11),
        NullableGuid(reader, 12),
        NullableTime(reader, 13),
        NullableTime(reader, 14),
        reader.GetBoolean(15),
        NullableTime(reader, 16),
        NullableTime(reader, 17),
        NullableTime(reader, 18),
        NullableTime(reader, 19),
        reader.GetInt32(20),
        NullableGuid(reader, 21),
        reader.GetInt32(22),
        reader.GetFieldValue<DateTimeOffset>(23),
        reader.GetFieldValue<DateTimeOffset>(24));
}
