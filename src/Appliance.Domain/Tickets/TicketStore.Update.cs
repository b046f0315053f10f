using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Appliance.Domain.Sla;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

/// <summary>A validated change: the edited fields plus the workflow part (status and assignee; null status keeps it).</summary>
public sealed record TicketChanges(ValidTicketChanges Fields, string? Status, bool AssigneeGiven, Guid? AssignedTo);

public enum TicketWriteStatus
{
    Done,

    /// <summary>No live ticket, or one the caller may not see (customer users: other companies' tickets).</summary>
    NotFound,

    /// <summary>The caller sees the ticket but may not change it (technicians: someone else's ticket).</summary>
    Forbidden,
}

public sealed record TicketWriteResult(TicketWriteStatus Status, Ticket? Ticket)
{
    public static readonly TicketWriteResult NotFound = new(TicketWriteStatus.NotFound, null);
    public static readonly TicketWriteResult Forbidden = new(TicketWriteStatus.Forbidden, null);

    public static TicketWriteResult Done(Ticket ticket) => new(TicketWriteStatus.Done, ticket);
}

/// <summary>The workflow refused a status or assignee change; nothing was written.</summary>
public sealed class TicketTransitionException : Exception
{
    public TicketTransitionException()
    {
        Rejection = new WorkflowRejection("status", "Invalid status transition", []);
    }

    public TicketTransitionException(string message)
        : base(message)
    {
        Rejection = new WorkflowRejection("status", message, []);
    }

    public TicketTransitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Rejection = new WorkflowRejection("status", message, []);
    }

    public TicketTransitionException(WorkflowRejection rejection)
        : base(rejection?.Message)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        Rejection = rejection;
    }

    public WorkflowRejection Rejection { get; }
}

public sealed partial class TicketStore
{
    /// <summary>
    /// Applies a change under the caller's expected version (412 otherwise, checked on the locked row and again in the
    /// UPDATE's WHERE). Status and assignee go through <see cref="TicketWorkflow"/>; entering <c>waiting_customer</c>
    /// pauses the SLA clocks, leaving it resumes them and moves the due dates by the paused business time; a priority
    /// change or a resolve/reopen recomputes them. A change that changes nothing writes nothing.
    /// </summary>
    public async Task<TicketWriteResult> UpdateAsync(Guid id, ExpectedVersion expected, TicketChanges changes, Actor actor, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(actor);
        var now = time.GetUtcNow();
        await using var work = await BeginAsync(id, actor, cancellationToken);
        if (work.Ticket is not { } before)
        {
            return TicketWriteResult.NotFound;
        }

        var (connection, transaction) = (work.Connection, work.Transaction);

        var takesForSelf = changes.AssigneeGiven && changes.AssignedTo == actor.Id;
        if (!TicketAccess.CanUpdate(actor, before.AssignedTo, takesForSelf))
        {
            return TicketWriteResult.Forbidden;
        }

        expected.Check(TicketEvents.Entity, before.Version);
        if (before.MergedInto is { } survivor)
        {
            throw new DomainConflictException("A merged ticket cannot be changed; change the ticket it was merged into", [new FieldError("merged_into", $"Merged into {survivor}")], isDuplicate: false);
        }

        if (changes.AssigneeGiven && changes.AssignedTo is { } newAssignee && newAssignee != before.AssignedTo)
        {
            await CheckUserAsync(connection, transaction, newAssignee, "assigned_to", TicketVocabulary.AssigneeRoles,
                $"Tickets can be assigned to active users with the role {string.Join(", ", TicketVocabulary.AssigneeRoles)}", cancellationToken);
        }

        var lifecycle = new TicketLifecycle(before.Status, before.AssignedTo, before.ResolvedAt, before.ClosedAt, before.ReopenCount);
        if (changes.Status is not null || changes.AssigneeGiven)
        {
            var (result, rejection) = TicketWorkflow.Apply(lifecycle, changes.Status, changes.AssigneeGiven, changes.AssignedTo, now);
            if (rejection is not null)
            {
                throw new TicketTransitionException(rejection);
            }

            lifecycle = result!;
        }

        var fields = changes.Fields;
        var after = before with
        {
            Title = fields.Title ?? before.Title,
            Description = fields.Description ?? before.Description,
            Priority = fields.Priority ?? before.Priority,
            Category = fields.CategoryGiven ? fields.Category : before.Category,
            Tags = fields.Tags ?? before.Tags,
            Status = lifecycle.Status,
            AssignedTo = lifecycle.AssignedTo,
            ResolvedAt = lifecycle.ResolvedAt,
            ClosedAt = lifecycle.ClosedAt,
            ReopenCount = lifecycle.ReopenCount,
        };
        if (SameContent(before, after))
        {
            return TicketWriteResult.Done(before);
        }

        after = await ApplySlaAsync(connection, transaction, before, after, now, cancellationToken);
        var updated = await WriteAsync(connection, transaction, after, before.Version, now, cancellationToken)
            ?? throw new PreconditionFailedException(TicketEvents.Entity, before.Version);
        await ChangeLog.RecordAsync(connection, transaction, audit, TicketEvents.Entity, id, ChangeLog.Updated, before, updated, DomainJsonContext.Default.Ticket, cancellationToken);
        await WriteChangeEventsAsync(connection, transaction, audit, before, updated, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TicketWriteResult.Done(updated);
    }

    /// <summary>Soft delete (service managers and admins): the ticket vanishes from every read; its number stays used.</summary>
    public async Task<TicketWriteStatus> DeleteAsync(Guid id, ExpectedVersion expected, Actor actor, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actor);
        var now = time.GetUtcNow();
        await using var work = await BeginAsync(id, actor, cancellationToken);
        if (work.Ticket is not { } before)
        {
            return TicketWriteStatus.NotFound;
        }

        var (connection, transaction) = (work.Connection, work.Transaction);

        if (!TicketAccess.CanDelete(actor))
        {
            return TicketWriteStatus.Forbidden;
        }

        expected.Check(TicketEvents.Entity, before.Version);
        await using (var delete = new NpgsqlCommand(
            """
            UPDATE tickets SET deleted_at = @now, deleted_by = @actor, version = version + 1, updated_at = @now
             WHERE id = @id AND version = @version AND deleted_at IS NULL
            """,
            connection,
            transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            delete.Parameters.Add(new NpgsqlParameter<int>("version", before.Version));
            delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            delete.Parameters.Add(new NpgsqlParameter<Guid>("actor", actor.Id));
            if (await delete.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new PreconditionFailedException(TicketEvents.Entity, before.Version);
            }
        }

        await ChangeLog.RecordAsync(connection, transaction, audit, TicketEvents.Entity, id, ChangeLog.Deleted, before, null, DomainJsonContext.Default.Ticket, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TicketWriteStatus.Done;
    }

    private static bool SameContent(Ticket before, Ticket after) =>
        before with { Tags = [] } == after with { Tags = [] } && before.Tags.SequenceEqual(after.Tags, StringComparer.Ordinal);

    /// <summary>
    /// Opens a transaction and locks the live ticket in it (<paramref name="mode"/>: <c>UPDATE</c> to change it,
    /// <c>SHARE</c> to keep it from changing); <see cref="TicketWork.Ticket"/> is null when there is none or the caller
    /// may not see it.
    /// </summary>
    private async Task<TicketWork> BeginAsync(Guid id, Actor actor, CancellationToken cancellationToken, string mode = "UPDATE")
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var select = new NpgsqlCommand($"SELECT {Columns} FROM tickets t WHERE t.id = @id AND t.deleted_at IS NULL FOR {mode}", connection, transaction);
            select.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var ticket = await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
            return new TicketWork(connection, transaction, ticket is not null && TicketAccess.CanView(actor, ticket.CustomerId) ? ticket : null);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A transaction holding a lock on one ticket; disposing it rolls back what was not committed.</summary>
    private sealed class TicketWork(NpgsqlConnection connection, NpgsqlTransaction transaction, Ticket? ticket) : IAsyncDisposable
    {
        public NpgsqlConnection Connection => connection;

        public NpgsqlTransaction Transaction => transaction;

        public Ticket? Ticket => ticket;

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// The user must exist, be active and have one of <paramref name="roles"/>; otherwise a validation error on
    /// <paramref name="field"/> saying <paramref name="rule"/>. Key-share locked, so the user cannot vanish meanwhile.
    /// </summary>
    private static async Task CheckUserAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, string field, IReadOnlyList<string> roles, string rule, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT role, is_active FROM users WHERE id = @id FOR KEY SHARE", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", userId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new DomainValidationException([new FieldError(field, "Unknown user")]);
        }

        if (!reader.GetBoolean(1) || !roles.Contains(reader.GetString(0), StringComparer.Ordinal))
        {
            throw new DomainValidationException([new FieldError(field, rule)]);
        }
    }

    /// <summary>Opens or closes the SLA pause and recomputes the due dates when the change affects the clocks.</summary>
    private async Task<Ticket> ApplySlaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Ticket before, Ticket after, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var wasWaiting = before.Status == TicketWorkflow.WaitingCustomer;
        var isWaiting = after.Status == TicketWorkflow.WaitingCustomer;
        if (!wasWaiting && isWaiting)
        {
            await using var pause = new NpgsqlCommand("INSERT INTO ticket_sla_pauses (ticket_id, paused_at) VALUES (@id, @now)", connection, transaction);
            pause.Parameters.Add(new NpgsqlParameter<Guid>("id", before.Id));
            pause.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            await pause.ExecuteNonQueryAsync(cancellationToken);
            after = after with { SlaPausedSince = now };
        }
        else if (wasWaiting && !isWaiting)
        {
            await ResumeAsync(connection, transaction, before.Id, now, cancellationToken);
            after = after with { SlaPausedSince = null };
        }

        var clocksMoved = wasWaiting != isWaiting || before.Priority != after.Priority || before.ResolvedAt != after.ResolvedAt;
        if (!clocksMoved || after.SlaPolicyId is not { } policyId)
        {
            return after;
        }

        var terms = await slaPolicies.ByIdAsync(policyId, cancellationToken);
        var pauses = await PausesAsync(connection, transaction, before.Id, cancellationToken);
        var due = TicketSla.Recompute(terms, after, pauses, now);
        return after with { SlaResponseDue = due.ResponseDue, SlaResolutionDue = due.ResolutionDue, SlaBreached = due.Breached };
    }

    private static async Task ResumeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid ticketId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var resume = new NpgsqlCommand("UPDATE ticket_sla_pauses SET resumed_at = greatest(@now, paused_at) WHERE ticket_id = @id AND resumed_at IS NULL", connection, transaction);
        resume.Parameters.Add(new NpgsqlParameter<Guid>("id", ticketId));
        resume.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        await resume.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<SlaPause>> PausesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid ticketId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT paused_at, resumed_at FROM ticket_sla_pauses WHERE ticket_id = @id ORDER BY paused_at", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pauses = new List<SlaPause>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pauses.Add(new SlaPause(reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return pauses;
    }

    /// <summary>Writes every mutable column of <paramref name="ticket"/> if the row is still at <paramref name="version"/>.</summary>
    private static async Task<Ticket?> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Ticket ticket, int version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            $"""
            UPDATE tickets AS t SET
                title = @title, description = @description, priority = @priority, category = @category, tags = @tags,
                status = @status, assigned_to = @assignee, resolved_at = @resolved_at, closed_at = @closed_at,
                reopen_count = @reopen_count, merged_into = @merged_into, sla_paused_since = @paused_since,
                sla_response_due = @response_due, sla_resolution_due = @resolution_due, sla_breached = @breached,
                version = t.version + 1, updated_at = @now
             WHERE t.id = @id AND t.version = @version AND t.deleted_at IS NULL
            RETURNING {Columns}
            """,
            connection,
            transaction);
        var p = update.Parameters;
        p.Add(new NpgsqlParameter<Guid>("id", ticket.Id));
        p.Add(new NpgsqlParameter<int>("version", version));
        p.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        p.Add(new NpgsqlParameter<string>("title", ticket.Title));
        p.Add(new NpgsqlParameter<string>("description", ticket.Description));
        p.Add(new NpgsqlParameter<string>("priority", ticket.Priority));
        p.Add(new NpgsqlParameter<string?>("category", NpgsqlDbType.Text) { TypedValue = ticket.Category });
        p.Add(new NpgsqlParameter<string[]>("tags", [.. ticket.Tags]));
        p.Add(new NpgsqlParameter<string>("status", ticket.Status));
        p.Add(new NpgsqlParameter<Guid?>("assignee", NpgsqlDbType.Uuid) { TypedValue = ticket.AssignedTo });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("resolved_at", NpgsqlDbType.TimestampTz) { TypedValue = ticket.ResolvedAt });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("closed_at", NpgsqlDbType.TimestampTz) { TypedValue = ticket.ClosedAt });
        p.Add(new NpgsqlParameter<int>("reopen_count", ticket.ReopenCount));
        p.Add(new NpgsqlParameter<Guid?>("merged_into", NpgsqlDbType.Uuid) { TypedValue = ticket.MergedInto });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("paused_since", NpgsqlDbType.TimestampTz) { TypedValue = ticket.SlaPausedSince });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("response_due", NpgsqlDbType.TimestampTz) { TypedValue = ticket.SlaResponseDue });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("resolution_due", NpgsqlDbType.TimestampTz) { TypedValue = ticket.SlaResolutionDue });
        p.Add(new NpgsqlParameter<bool>("breached", ticket.SlaBreached));
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    private static async Task WriteChangeEventsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Ticket before, Ticket after, CancellationToken cancellationToken)
    {
        if (before.Status != after.Status)
        {
            await TicketEvents.StatusChangedAsync(connection, transaction, audit, after, before.Status, cancellationToken);
        }

        if (before.AssignedTo != after.AssignedTo)
        {
            await TicketEvents.AssignedAsync(connection, transaction, audit, after, before.AssignedTo, automatic: false, cancellationToken);
        }

        if (before.Priority != after.Priority)
        {
            await TicketEvents.PriorityChangedAsync(connection, transaction, audit, after, before.Priority, cancellationToken);
        }
    }
}
