using System.Globalization;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Appliance.Platform.Database;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Sla;

public sealed record SlaPolicyFilter(string? Search, bool? IsDefault);

/// <summary>A customer's SLA assignment: its own policy (null: it follows the default) and the policy that applies.</summary>
public sealed record CustomerSlaAssignment(Guid CustomerId, Guid? SlaPolicyId, Guid EffectivePolicyId, string EffectivePolicyName);

/// <summary>
/// SLA policies in PostgreSQL: parameterised SQL and explicit row mappers. Every change takes a table lock that
/// serialises policy changes and customer assignments (admin operations, rare), so "exactly one default" and
/// "no delete while assigned" hold without races; readers are never blocked.
/// </summary>
public sealed class SlaPolicyStore(NpgsqlDataSource dataSource)
{
    private const string What = "SLA policy";

    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "lower(name)",
        ["created_at"] = "created_at",
        ["updated_at"] = "updated_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("name", false)];

    private const string Columns = """
        id, name, description, is_default, time_zone,
        critical_response_minutes, critical_resolution_minutes, high_response_minutes, high_resolution_minutes,
        medium_response_minutes, medium_resolution_minutes, low_response_minutes, low_resolution_minutes,
        (SELECT count(*) FROM customers c WHERE c.sla_policy_id = sla_policies.id AND c.deleted_at IS NULL),
        created_at, updated_at
        """;

    private const string NameUnique = "sla_policies_name_unique";

    private const string LockPolicies = "LOCK TABLE sla_policies IN SHARE ROW EXCLUSIVE MODE";

    private const string DefaultPolicyId = "(SELECT id FROM sla_policies WHERE is_default)";

    public async Task<Paged<SlaPolicy>> ListAsync(SlaPolicyFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = """
            FROM sla_policies
             WHERE (@search::text IS NULL OR name ILIKE '%' || @search || '%')
               AND (@default::boolean IS NULL OR is_default = @default)
            """;
        var rows = await PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<string?>("search", NpgsqlDbType.Text) { TypedValue = SqlLike.Escape(filter.Search) });
                parameters.Add(new NpgsqlParameter<bool?>("default", NpgsqlDbType.Boolean) { TypedValue = filter.IsDefault });
            },
            page,
            MapRow,
            cancellationToken);
        if (rows.Items.Count == 0)
        {
            return new Paged<SlaPolicy>([], rows.Total, rows.Request);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = rows.Items.Select(r => r.Id).ToArray();
        var (hours, holidays) = await ReadCalendarsAsync(connection, null, "policy_id = ANY(@ids)", p => p.Add(new NpgsqlParameter<Guid[]>("ids", ids)), cancellationToken);
        return new Paged<SlaPolicy>([.. rows.Items.Select(r => Compose(r, hours, holidays))], rows.Total, rows.Request);
    }

    public async Task<SlaPolicy?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, id, lockRow: false, cancellationToken);
    }

    /// <summary>The policy read on a connection (and transaction) the caller already holds.</summary>
    public static Task<SlaPolicy?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken) =>
        ReadAsync(connection, transaction, id, lockRow: false, cancellationToken);

    /// <summary>The policy for a customer: its own, or the default. Null when the customer does not exist.</summary>
    public async Task<EffectiveSlaPolicy?> ForCustomerAsync(Guid customerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var assignment = await ReadAssignmentAsync(connection, null, customerId, cancellationToken);
        if (assignment is null)
        {
            return null;
        }

        var policy = await ReadAsync(connection, null, assignment.EffectivePolicyId, lockRow: false, cancellationToken)
            ?? throw new InvalidOperationException($"SLA policy {assignment.EffectivePolicyId} vanished while it was read");
        return new EffectiveSlaPolicy(policy.Id, policy.Name, assignment.SlaPolicyId is not null, policy.Calendar, policy.Targets);
    }

    public async Task<CustomerSlaAssignment?> GetAssignmentAsync(Guid customerId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAssignmentAsync(connection, null, customerId, cancellationToken);
    }

    /// <summary>Creates a policy; a name in use is a conflict naming the policy that has it.</summary>
    public Task<WriteOutcome<SlaPolicy>> CreateAsync(SlaPolicyDefinition definition, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(principal);
        return WriteOutcome.CatchAsync(() => CreateOnceAsync(definition, principal.Audit, cancellationToken));
    }

    private async Task<WriteOutcome<SlaPolicy>> CreateOnceAsync(SlaPolicyDefinition definition, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, LockPolicies, _ => { }, cancellationToken);
        if (definition.IsDefault == true)
        {
            await DemoteDefaultAsync(connection, transaction, audit, cancellationToken);
        }

        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO sla_policies (name, description, is_default, time_zone,
                critical_response_minutes, critical_resolution_minutes, high_response_minutes, high_resolution_minutes,
                medium_response_minutes, medium_resolution_minutes, low_response_minutes, low_resolution_minutes)
            VALUES (@name, @description, @is_default, @time_zone, @cr, @cs, @hr, @hs, @mr, @ms, @lr, @ls)
            RETURNING id
            """,
            connection,
            transaction);
        BindDefinition(insert.Parameters, definition, definition.IsDefault ?? false);
        Guid id;
        try
        {
            id = (Guid)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: NameUnique })
        {
            await FailedStatements.RecoverAsync(connection, transaction);
            throw DuplicateName(definition.Name);
        }

        await WriteCalendarAsync(connection, transaction, id, definition.Calendar, cancellationToken);
        var created = (await ReadAsync(connection, transaction, id, lockRow: false, cancellationToken))!;
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("sla_policy", id.ToString(), "created", null, Describe(created)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(created);
    }

    /// <summary>Replaces a policy's definition.</summary>
    public Task<WriteOutcome<SlaPolicy>> UpdateAsync(Guid id, SlaPolicyDefinition definition, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(principal);
        return WriteOutcome.CatchAsync(() => UpdateOnceAsync(id, definition, principal.Audit, cancellationToken));
    }

    private async Task<WriteOutcome<SlaPolicy>> UpdateOnceAsync(Guid id, SlaPolicyDefinition definition, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, LockPolicies, _ => { }, cancellationToken);
        var before = await ReadAsync(connection, transaction, id, lockRow: true, cancellationToken);
        if (before is null)
        {
            return WriteOutcome.NotFound<SlaPolicy>(What);
        }

        if (before.IsDefault && definition.IsDefault == false)
        {
            throw new DomainValidationException([new FieldError("is_default", "The default policy stays the default until another policy is made the default")]);
        }

        var isDefault = definition.IsDefault ?? before.IsDefault;
        if (isDefault && !before.IsDefault)
        {
            await DemoteDefaultAsync(connection, transaction, audit, cancellationToken);
        }

        await using (var update = new NpgsqlCommand(
            """
            UPDATE sla_policies SET
                name = @name, description = @description, is_default = @is_default, time_zone = @time_zone,
                critical_response_minutes = @cr, critical_resolution_minutes = @cs, high_response_minutes = @hr, high_resolution_minutes = @hs,
                medium_response_minutes = @mr, medium_resolution_minutes = @ms, low_response_minutes = @lr, low_resolution_minutes = @ls,
                updated_at = now()
            WHERE id = @id
            """,
            connection,
            transaction))
        {
            BindDefinition(update.Parameters, definition, isDefault);
            update.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            try
            {
                await update.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: NameUnique })
            {
                await FailedStatements.RecoverAsync(connection, transaction);
                throw DuplicateName(definition.Name);
            }
        }

        await ExecuteAsync(connection, transaction, "DELETE FROM sla_policy_hours WHERE policy_id = @id; DELETE FROM sla_policy_holidays WHERE policy_id = @id", p => p.Add(new NpgsqlParameter<Guid>("id", id)), cancellationToken);
        await WriteCalendarAsync(connection, transaction, id, definition.Calendar, cancellationToken);
        var after = (await ReadAsync(connection, transaction, id, lockRow: false, cancellationToken))!;
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("sla_policy", id.ToString(), "updated", Describe(before), Describe(after)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(after);
    }

    /// <summary>
    /// Deletes a policy unless it is the default or assigned to a customer. Soft-deleted customers that still point at
    /// it are moved back to the default (audited), so they cannot block the delete invisibly.
    /// </summary>
    public async Task<WriteOutcome<SlaPolicy>> DeleteAsync(Guid id, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var audit = principal.Audit;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, LockPolicies, _ => { }, cancellationToken);
        var before = await ReadAsync(connection, transaction, id, lockRow: true, cancellationToken);
        if (before is null)
        {
            return WriteOutcome.NotFound<SlaPolicy>(What);
        }

        if (before.IsDefault)
        {
            return WriteOutcome.Conflict<SlaPolicy>(WriteOutcome.ConflictCode, "The default SLA policy cannot be deleted; make another policy the default first");
        }

        if (before.AssignedCustomers > 0)
        {
            return WriteOutcome.Conflict<SlaPolicy>(
                WriteOutcome.ConflictCode,
                $"The SLA policy is assigned to {before.AssignedCustomers} customer(s); move them to another policy first",
                [new FieldError("assigned_customers", before.AssignedCustomers.ToString(CultureInfo.InvariantCulture))]);
        }

        var detached = new List<Guid>();
        await using (var detach = new NpgsqlCommand(
            "UPDATE customers SET sla_policy_id = NULL, updated_at = now() WHERE sla_policy_id = @id AND deleted_at IS NOT NULL RETURNING id",
            connection,
            transaction))
        {
            detach.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await using var reader = await detach.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                detached.Add(reader.GetGuid(0));
            }
        }

        foreach (var customer in detached)
        {
            await AuditLog.WriteAsync(connection, transaction, audit, AssignmentEntry(customer, id, null), cancellationToken);
        }

        await ExecuteAsync(connection, transaction, "DELETE FROM sla_policies WHERE id = @id", p => p.Add(new NpgsqlParameter<Guid>("id", id)), cancellationToken);
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("sla_policy", id.ToString(), "deleted", Describe(before), null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(before);
    }

    /// <summary>Gives a customer its own policy, or (null) lets it follow the default.</summary>
    public async Task<WriteOutcome<CustomerSlaAssignment>> AssignAsync(Guid customerId, Guid? policyId, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var audit = principal.Audit;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, LockPolicies, _ => { }, cancellationToken);
        Guid? previous;
        await using (var select = new NpgsqlCommand("SELECT sla_policy_id FROM customers WHERE id = @id AND deleted_at IS NULL FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<Guid>("id", customerId));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return WriteOutcome.NotFound<CustomerSlaAssignment>("Customer");
            }

            previous = reader.IsDBNull(0) ? null : reader.GetGuid(0);
        }

        if (policyId is { } wanted)
        {
            await using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM sla_policies WHERE id = @id)", connection, transaction);
            exists.Parameters.Add(new NpgsqlParameter<Guid>("id", wanted));
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                throw new DomainValidationException([new FieldError("sla_policy_id", "Unknown SLA policy")]);
            }
        }

        await ExecuteAsync(
            connection,
            transaction,
            "UPDATE customers SET sla_policy_id = @policy, updated_at = now() WHERE id = @id",
            p =>
            {
                p.Add(new NpgsqlParameter<Guid>("id", customerId));
                p.Add(new NpgsqlParameter<Guid?>("policy", NpgsqlDbType.Uuid) { TypedValue = policyId });
            },
            cancellationToken);
        await AuditLog.WriteAsync(connection, transaction, audit, AssignmentEntry(customerId, previous, policyId), cancellationToken);
        var assignment = (await ReadAssignmentAsync(connection, transaction, customerId, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(assignment);
    }

    private static async Task<CustomerSlaAssignment?> ReadAssignmentAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid customerId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SELECT c.sla_policy_id, p.id, p.name
              FROM customers c
              JOIN sla_policies p ON p.id = coalesce(c.sla_policy_id, {DefaultPolicyId})
             WHERE c.id = @id AND c.deleted_at IS NULL
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", customerId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CustomerSlaAssignment(customerId, reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2))
            : null;
    }

    /// <summary>The current default stops being the default (the caller makes another one the default in the same transaction).</summary>
    private static async Task DemoteDefaultAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, CancellationToken cancellationToken)
    {
        Guid? previous;
        await using (var find = new NpgsqlCommand("SELECT id FROM sla_policies WHERE is_default FOR UPDATE", connection, transaction))
        {
            previous = await find.ExecuteScalarAsync(cancellationToken) as Guid?;
        }

        if (previous is not { } id)
        {
            return;
        }

        var before = (await ReadAsync(connection, transaction, id, lockRow: false, cancellationToken))!;
        await ExecuteAsync(connection, transaction, "UPDATE sla_policies SET is_default = false, updated_at = now() WHERE id = @id", p => p.Add(new NpgsqlParameter<Guid>("id", id)), cancellationToken);
        var after = before with { IsDefault = false };
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("sla_policy", id.ToString(), "updated", Describe(before), Describe(after)), cancellationToken);
    }

    private static async Task WriteCalendarAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, BusinessCalendar calendar, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO sla_policy_hours (policy_id, weekday, start_time, end_time)
            SELECT @id, weekday, start_time, end_time FROM unnest(@weekdays, @starts, @ends) AS h (weekday, start_time, end_time);
            INSERT INTO sla_policy_holidays (policy_id, holiday_date, name)
            SELECT @id, holiday_date, name FROM unnest(@dates, @names) AS h (holiday_date, name);
            """,
            p =>
            {
                p.Add(new NpgsqlParameter<Guid>("id", id));
                p.Add(new NpgsqlParameter<short[]>("weekdays", [.. calendar.OpeningHours.Select(h => (short)BusinessCalendar.IsoWeekday(h.Day))]));
                p.Add(new NpgsqlParameter<TimeSpan[]>("starts", NpgsqlDbType.Array | NpgsqlDbType.Time) { TypedValue = [.. calendar.OpeningHours.Select(h => h.Start)] });
                p.Add(new NpgsqlParameter<TimeSpan[]>("ends", NpgsqlDbType.Array | NpgsqlDbType.Time) { TypedValue = [.. calendar.OpeningHours.Select(h => h.End)] });
                p.Add(new NpgsqlParameter<DateOnly[]>("dates", [.. calendar.Holidays.Select(h => h.Date)]));
                p.Add(new NpgsqlParameter<string?[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. calendar.Holidays.Select(h => h.Name)] });
            },
            cancellationToken);
    }

    private static async Task<SlaPolicy?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, bool lockRow, CancellationToken cancellationToken)
    {
        PolicyRow? row;
        await using (var command = new NpgsqlCommand($"SELECT {Columns} FROM sla_policies WHERE id = @id{(lockRow ? " FOR UPDATE" : string.Empty)}", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            row = await reader.ReadAsync(cancellationToken) ? MapRow(reader) : null;
        }

        if (row is null)
        {
            return null;
        }

        var (hours, holidays) = await ReadCalendarsAsync(connection, transaction, "policy_id = @id", p => p.Add(new NpgsqlParameter<Guid>("id", id)), cancellationToken);
        return Compose(row, hours, holidays);
    }

    /// <summary>Opening hours and holidays of the policies matching <paramref name="where"/>, in one round trip.</summary>
    private static async Task<(ILookup<Guid, OpeningInterval> Hours, ILookup<Guid, Holiday> Holidays)> ReadCalendarsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string where, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var hoursCommand = new NpgsqlBatchCommand($"SELECT policy_id, weekday, start_time, end_time FROM sla_policy_hours WHERE {where}");
        var holidaysCommand = new NpgsqlBatchCommand($"SELECT policy_id, holiday_date, name FROM sla_policy_holidays WHERE {where}");
        bind(hoursCommand.Parameters);
        bind(holidaysCommand.Parameters);
        batch.BatchCommands.Add(hoursCommand);
        batch.BatchCommands.Add(holidaysCommand);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var hours = new List<(Guid, OpeningInterval)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hours.Add((reader.GetGuid(0), new OpeningInterval(BusinessCalendar.FromIsoWeekday(reader.GetInt16(1)), reader.GetFieldValue<TimeSpan>(2), reader.GetFieldValue<TimeSpan>(3))));
        }

        await reader.NextResultAsync(cancellationToken);
        var holidays = new List<(Guid, Holiday)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            holidays.Add((reader.GetGuid(0), new Holiday(reader.GetFieldValue<DateOnly>(1), reader.IsDBNull(2) ? null : reader.GetString(2))));
        }

        return (hours.ToLookup(h => h.Item1, h => h.Item2), holidays.ToLookup(h => h.Item1, h => h.Item2));
    }

    private static SlaPolicy Compose(PolicyRow row, ILookup<Guid, OpeningInterval> hours, ILookup<Guid, Holiday> holidays)
    {
        BusinessCalendar calendar;
        try
        {
            calendar = BusinessCalendar.Create(row.TimeZone, [.. hours[row.Id]], [.. holidays[row.Id]]);
        }
        catch (DomainValidationException ex)
        {
            // Stored data was validated on the way in; this means the machine's time zone data lost the zone.
            throw new InvalidOperationException($"stored SLA policy {row.Id} is not usable: {string.Join("; ", ex.Errors.Select(e => $"{e.Field}: {e.Message}"))}", ex);
        }

        return new SlaPolicy(row.Id, row.Name, row.Description, row.IsDefault, calendar, row.Targets, row.AssignedCustomers, row.CreatedAt, row.UpdatedAt);
    }

    private static void BindDefinition(NpgsqlParameterCollection parameters, SlaPolicyDefinition definition, bool isDefault)
    {
        parameters.Add(new NpgsqlParameter<string>("name", definition.Name));
        parameters.Add(new NpgsqlParameter<string?>("description", NpgsqlDbType.Text) { TypedValue = definition.Description });
        parameters.Add(new NpgsqlParameter<bool>("is_default", isDefault));
        parameters.Add(new NpgsqlParameter<string>("time_zone", definition.Calendar.TimeZoneId));
        var targets = definition.Targets;
        foreach (var (prefix, target) in new[] { ("c", targets.Critical), ("h", targets.High), ("m", targets.Medium), ("l", targets.Low) })
        {
            parameters.Add(new NpgsqlParameter<int>(prefix + "r", (int)target.Response.TotalMinutes));
            parameters.Add(new NpgsqlParameter<int>(prefix + "s", (int)target.Resolution.TotalMinutes));
        }
    }

    private static DomainConflictException DuplicateName(string name) =>
        new("An SLA policy with this name already exists", [new FieldError("name", $"'{name}' is already used by another SLA policy")]);

    private static AuditEntry AssignmentEntry(Guid customerId, Guid? before, Guid? after) =>
        new("customer", customerId.ToString(), "sla_policy.assigned", PolicyIdJson(before), PolicyIdJson(after));

    private static string PolicyIdJson(Guid? id) => AuditJson.Write(json => json.WriteString("sla_policy_id", id?.ToString()));

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        bind(command.Parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The audited view of a policy: its whole definition.</summary>
    private static string Describe(SlaPolicy policy) => AuditJson.Write(json =>
    {
        json.WriteString("name", policy.Name);
        json.WriteString("description", policy.Description);
        json.WriteBoolean("is_default", policy.IsDefault);
        json.WriteString("time_zone", policy.Calendar.TimeZoneId);
        json.WriteStartObject("targets");
        foreach (var priority in Tickets.TicketVocabulary.Priorities)
        {
            var target = policy.Targets.For(priority);
            json.WriteStartObject(priority);
            json.WriteNumber("response_minutes", (int)target.Response.TotalMinutes);
            json.WriteNumber("resolution_minutes", (int)target.Resolution.TotalMinutes);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteStartArray("opening_hours");
        foreach (var hours in policy.Calendar.OpeningHours)
        {
            json.WriteStartObject();
            json.WriteString("weekday", SlaPolicyRules.FormatWeekday(hours.Day));
            json.WriteString("start", SlaPolicyRules.FormatTime(hours.Start));
            json.WriteString("end", SlaPolicyRules.FormatTime(hours.End));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("holidays");
        foreach (var holiday in policy.Calendar.Holidays)
        {
            json.WriteStartObject();
            json.WriteString("date", holiday.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteString("name", holiday.Name);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    private static PolicyRow MapRow(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetBoolean(3),
        reader.GetString(4),
        new SlaTargets(
            SlaTarget.FromMinutes(reader.GetInt32(5), reader.GetInt32(6)),
            SlaTarget.FromMinutes(reader.GetInt32(7), reader.GetInt32(8)),
            SlaTarget.FromMinutes(reader.GetInt32(9), reader.GetInt32(10)),
            SlaTarget.FromMinutes(reader.GetInt32(11), reader.GetInt32(12))),
        reader.GetInt64(13),
        reader.GetFieldValue<DateTimeOffset>(14),
        reader.GetFieldValue<DateTimeOffset>(15));

    private sealed record PolicyRow(Guid Id, string Name, string? Description, bool IsDefault, string TimeZone, SlaTargets Targets, long AssignedCustomers, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
}
