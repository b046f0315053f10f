using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

/// <summary>
/// Time entries in PostgreSQL. Entries of deleted tickets are gone with them. Every write locks the row, applies
/// <see cref="TimeEntryRules"/> to the locked state and commits with its audit row and outbox event
/// (<c>time_entry.created/updated/deleted/approved/unapproved</c>); a refused or failed write writes nothing.
/// </summary>
public sealed class TimeEntryStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const string EntityType = "time_entry";
    public const string Approved = "approved";
    public const string Unapproved = "unapproved";

    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["work_date"] = "e.work_date",
        ["created_at"] = "e.created_at",
        ["minutes"] = "e.minutes",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("work_date", false), new("created_at", false)];

    private const string Columns = """
        e.id, e.ticket_id, t.ticket_number, e.user_id, u.display_name, e.work_date, e.minutes, e.started_at, e.ended_at, e.billable,
        e.work_type, e.note, e.approved_at, e.approved_by, e.moved_from, e.version, e.created_at, e.updated_at
        """;

    private const string Joins = "JOIN tickets t ON t.id = e.ticket_id AND t.deleted_at IS NULL JOIN users u ON u.id = e.user_id";

    /// <summary>Today as time entries count it (UTC; the rules allow a day ahead for time zones east of it).</summary>
    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>True when the ticket exists and is not deleted.</summary>
    public async Task<bool> TicketExistsAsync(Guid ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await TicketRows.ReadAsync(connection, null, ticketId, TicketRows.Lock.None, cancellationToken) is not null;
    }

    public Task<Paged<TimeEntry>> ListAsync(TimeEntryFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        const string fromWhere = $"""
            FROM time_entries e {Joins}
             WHERE e.deleted_at IS NULL
               AND (@ticket::uuid IS NULL OR e.ticket_id = @ticket)
               AND (@user::uuid IS NULL OR e.user_id = @user)
               AND (@billable::boolean IS NULL OR e.billable = @billable)
               AND (@approved::boolean IS NULL OR (e.approved_at IS NOT NULL) = @approved)
               AND (@from::date IS NULL OR e.work_date >= @from)
               AND (@to::date IS NULL OR e.work_date <= @to)
            """;
        return PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "e.id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<Guid?>("ticket", NpgsqlDbType.Uuid) { TypedValue = filter.TicketId });
                parameters.Add(new NpgsqlParameter<Guid?>("user", NpgsqlDbType.Uuid) { TypedValue = filter.UserId });
                parameters.Add(new NpgsqlParameter<bool?>("billable", NpgsqlDbType.Boolean) { TypedValue = filter.Billable });
                parameters.Add(new NpgsqlParameter<bool?>("approved", NpgsqlDbType.Boolean) { TypedValue = filter.Approved });
                parameters.Add(new NpgsqlParameter<DateOnly?>("from", NpgsqlDbType.Date) { TypedValue = filter.From });
                parameters.Add(new NpgsqlParameter<DateOnly?>("to", NpgsqlDbType.Date) { TypedValue = filter.To });
            },
            page,
            Map,
            cancellationToken);
    }

    public async Task<TimeEntry?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, id, forUpdate: false, cancellationToken);
    }

    /// <summary>
    /// Books time on a ticket for <paramref name="userId"/> (the caller unless given). Technicians book for themselves
    /// only; service managers and admins for any active member of staff who books time (a role with <c>ticket:update</c>).
    /// Time goes on any live ticket the caller can see, also closed ones (late bookings), but not on a merged ticket.
    /// </summary>
    public async Task<WriteOutcome<TimeEntry>> CreateAsync(Guid ticketId, Guid? userId, ValidTimeEntry entry, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(principal);
        var (actor, audit) = (principal.Actor, principal.Audit);
        var bookedFor = userId ?? actor.Id;
        if (bookedFor != actor.Id && !MayBookForOthers(actor))
        {
            return WriteOutcome.Forbidden<TimeEntry>("Technicians book time for themselves only");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ticket = await TicketRows.ReadAsync(connection, transaction, ticketId, TicketRows.Lock.Share, cancellationToken);
        if (ticket is null || !TicketAccess.CanView(actor, ticket.CustomerId))
        {
            return WriteOutcome.NotFound<TimeEntry>("Ticket");
        }

        if (ticket.MergedInto is { } survivor)
        {
            return WriteOutcome.Conflict<TimeEntry>(ServiceDeskCodes.TicketMerged, $"The ticket was merged into {survivor}; book the time there");
        }

        if (bookedFor != actor.Id)
        {
            await CheckBooksTimeAsync(connection, transaction, bookedFor, cancellationToken);
        }

        TimeEntry created;
        await using (var insert = new NpgsqlCommand(
            $"""
            WITH e AS (
                INSERT INTO time_entries (ticket_id, user_id, work_date, minutes, started_at, ended_at, billable, work_type, note)
                VALUES (@ticket, @user, @work_date, @minutes, @started_at, @ended_at, @billable, @work_type, @note) RETURNING *)
            SELECT {Columns} FROM e {Joins}
            """,
            connection,
            transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid>("ticket", ticketId));
            insert.Parameters.Add(new NpgsqlParameter<Guid>("user", bookedFor));
            Bind(insert.Parameters, entry);
            created = await ReadOneAsync(insert, cancellationToken) ?? throw new InvalidOperationException("INSERT INTO time_entries returned no row");
        }

        await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, created.Id, ChangeLog.Created, null, created, ServiceDeskJsonContext.Default.TimeEntry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(created);
    }

    /// <summary>Applies a patch to the locked entry (validated as a whole, today from the clock); a no-op writes nothing.</summary>
    public Task<WriteOutcome<TimeEntry>> UpdateAsync(Guid id, ExpectedVersion expected, TimeEntryPatch patch, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(principal);
        var audit = principal.Audit;
        return ChangeAsync(id, expected, principal.Actor, Editable, async (connection, transaction, before) =>
        {
            var data = patch.ApplyTo(before, Today);
            if (data == before.Data)
            {
                return WriteOutcome.Unchanged(before);
            }

            var after = await WriteAsync(
                connection,
                transaction,
                before,
                """
                work_date = @work_date, minutes = @minutes, started_at = @started_at, ended_at = @ended_at, billable = @billable,
                work_type = @work_type, note = @note
                """,
                parameters => Bind(parameters, data),
                cancellationToken);
            await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, id, ChangeLog.Updated, before, after, ServiceDeskJsonContext.Default.TimeEntry, cancellationToken);
            return WriteOutcome.Done(after);
        }, cancellationToken);
    }

    public Task<WriteOutcome<TimeEntry>> DeleteAsync(Guid id, ExpectedVersion expected, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return ChangeAsync(id, expected, principal.Actor, Editable, async (connection, transaction, before) =>
        {
            await TicketRows.SoftDeleteAsync(connection, transaction, "time_entries", principal.Audit, EntityType, before, ServiceDeskJsonContext.Default.TimeEntry, cancellationToken);
            return WriteOutcome.Done(before);
        }, cancellationToken);
    }

    /// <summary>
    /// Approves (locks for billing) or unapproves an entry. Approving an approved entry, or unapproving one that is not,
    /// is refused rather than repeated, so the answer tells who got there first.
    /// </summary>
    public Task<WriteOutcome<TimeEntry>> SetApprovalAsync(Guid id, bool approve, ExpectedVersion expected, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var (actor, audit) = (principal.Actor, principal.Audit);
        if (!TimeEntryRules.CanApprove(actor))
        {
            return Task.FromResult(WriteOutcome.Forbidden<TimeEntry>("Approving time needs billing approval rights or the service manager role"));
        }

        return ChangeAsync(
            id,
            expected,
            actor,
            (_, entry) => entry.IsApproved != approve ? null
                : approve ? Conflict(ServiceDeskCodes.TimeEntryApproved, entry) : Conflict(ServiceDeskCodes.TimeEntryNotApproved, entry),
            async (connection, transaction, before) =>
            {
                var after = await WriteAsync(
                    connection,
                    transaction,
                    before,
                    approve ? "approved_at = now(), approved_by = @approver" : "approved_at = NULL, approved_by = NULL",
                    parameters => parameters.Add(new NpgsqlParameter<Guid>("approver", actor.Id)),
                    cancellationToken);
                await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, id, approve ? Approved : Unapproved, before, after, ServiceDeskJsonContext.Default.TimeEntry, cancellationToken);
                return WriteOutcome.Done(after);
            },
            cancellationToken);
    }

    private static bool MayBookForOthers(Actor actor) => actor.Role is Roles.SystemAdmin or Roles.ServiceManager;

    /// <summary><see cref="TimeEntryRules.CanEdit"/>, told apart: not yours (403) or approved (409).</summary>
    private static WriteRefusal? Editable(Actor actor, TimeEntry entry) =>
        !TimeEntryRules.CanEdit(actor, entry.UserId, approved: false)
            ? new WriteRefusal(WriteStatus.Forbidden, "Technicians change their own time entries only; approving needs billing approval rights", [])
            : TimeEntryRules.CanEdit(actor, entry.UserId, entry.IsApproved) ? null : Conflict(ServiceDeskCodes.TimeEntryApproved, entry);

    private static WriteRefusal Conflict(string code, TimeEntry entry) => new(
        WriteStatus.Conflict,
        code == ServiceDeskCodes.TimeEntryApproved ? $"The time entry was approved at {entry.ApprovedAt:O}; it is locked until it is unapproved" : "The time entry is not approved",
        [],
        code);

    /// <summary>Locks the entry, asks <paramref name="refuse"/>, checks the expected version, applies, commits.</summary>
    private Task<WriteOutcome<TimeEntry>> ChangeAsync(
        Guid id,
        ExpectedVersion expected,
        Actor actor,
        Func<Actor, TimeEntry, WriteRefusal?> refuse,
        Func<NpgsqlConnection, NpgsqlTransaction, TimeEntry, Task<WriteOutcome<TimeEntry>>> apply,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actor);
        return WriteOutcome.CatchAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await ReadAsync(connection, transaction, id, forUpdate: true, cancellationToken) is not { } before)
            {
                return WriteOutcome.NotFound<TimeEntry>("Time entry");
            }

            if (refuse(actor, before) is { } refusal)
            {
                return WriteOutcome.Refused<TimeEntry>(refusal);
            }

            if (!expected.Accepts(before.Version))
            {
                return WriteOutcome.Stale<TimeEntry>(EntityType, before.Version);
            }

            var outcome = await apply(connection, transaction, before);
            await transaction.CommitAsync(cancellationToken);
            return outcome;
        });
    }

    /// <summary>Rejects a user id that is not an active member of staff who books time (422 on <c>user_id</c>).</summary>
    private static async Task CheckBooksTimeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT role FROM users WHERE id = @id AND is_active", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        if (await command.ExecuteScalarAsync(cancellationToken) is not string role || !Roles.Has(role, Permissions.TicketUpdate))
        {
            throw new DomainValidationException([new FieldError("user_id", "Must be an active technician, service manager or admin")]);
        }
    }

    /// <summary>Updates the locked row at its version (bumped), returning it as read.</summary>
    private static async Task<TimeEntry> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TimeEntry before, string set, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            $"""
            WITH e AS (
                UPDATE time_entries SET {set}, version = version + 1, updated_at = now()
                 WHERE id = @id AND version = @version AND deleted_at IS NULL RETURNING *)
            SELECT {Columns} FROM e {Joins}
            """,
            connection,
            transaction);
        update.Parameters.Add(new NpgsqlParameter<Guid>("id", before.Id));
        update.Parameters.Add(new NpgsqlParameter<int>("version", before.Version));
        bind(update.Parameters);
        return await ReadOneAsync(update, cancellationToken) ?? throw new PreconditionFailedException(EntityType, before.Version);
    }

    private static async Task<TimeEntry?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM time_entries e {Joins} WHERE e.id = @id AND e.deleted_at IS NULL{(forUpdate ? " FOR UPDATE OF e" : string.Empty)}",
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        return await ReadOneAsync(command, cancellationToken);
    }

    private static async Task<TimeEntry?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    private static void Bind(NpgsqlParameterCollection parameters, ValidTimeEntry entry)
    {
        parameters.Add(new NpgsqlParameter<DateOnly>("work_date", NpgsqlDbType.Date) { TypedValue = entry.WorkDate });
        parameters.Add(new NpgsqlParameter<int>("minutes", entry.Minutes));
        parameters.Add(new NpgsqlParameter<DateTimeOffset?>("started_at", NpgsqlDbType.TimestampTz) { TypedValue = entry.StartedAt?.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter<DateTimeOffset?>("ended_at", NpgsqlDbType.TimestampTz) { TypedValue = entry.EndedAt?.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter<bool>("billable", entry.Billable));
        parameters.Add(new NpgsqlParameter<string>("work_type", entry.WorkType));
        parameters.Add(new NpgsqlParameter<string?>("note", NpgsqlDbType.Text) { TypedValue = entry.Note });
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static TimeEntry Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.GetInt64(2),
        reader.GetGuid(3),
        reader.GetString(4),
        reader.GetFieldValue<DateOnly>(5),
        reader.GetInt32(6),
        NullableTime(reader, 7),
        NullableTime(reader, 8),
        reader.GetBoolean(9),
        reader.GetString(10),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        NullableTime(reader, 12),
        reader.IsDBNull(13) ? null : reader.GetGuid(13),
        reader.IsDBNull(14) ? null : reader.GetGuid(14),
        reader.GetInt32(15),
        reader.GetFieldValue<DateTimeOffset>(16),
        reader.GetFieldValue<DateTimeOffset>(17));
}
