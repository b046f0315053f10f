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

public sealed partial class TicketStore
{
    /// <summary>How refusals name a ticket.</summary>
    private const string What = "Ticket";

    /// <summary>
    /// Applies a change under the caller's expected version (412 otherwise, checked on the locked row and again in the
    /// UPDATE's WHERE). Status and assignee go through <see cref="TicketWorkflow"/>; entering <c>waiting_customer</c>
    /// pauses the SLA clocks, leaving it resumes them and moves the due dates by the paused business time; a priority
    /// change or a resolve/reopen recomputes them. A change that changes nothing writes nothing.
    /// </summary>
    public Task<WriteOutcome<Ticket>> UpdateAsync(Guid id, ExpectedVersion expected, TicketChanges changes, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(principal);
        return WriteOutcome.CatchAsync(() => UpdateOnceAsync(id, expected, changes, principal.Actor, principal.Audit, cancellationToken));
    }

    private async Task<WriteOutcome<Ticket>> UpdateOnceAsync(Guid id, ExpectedVersion expected, TicketChanges changes, Actor actor, AuditContext audit, CancellationToken cancellationToken)
    {
        var now = Microseconds(time.GetUtcNow());
        await using var work = await BeginAsync(id, actor, cancellationToken);
        if (work.Ticket is not { } before)
        {
            return WriteOutcome.NotFound<Ticket>(What);
        }

        var (connection, transaction) = (work.Connection, work.Transaction);

        var takesForSelf = changes.AssigneeGiven && changes.AssignedTo == actor.Id;
        if (!TicketAccess.CanUpdate(actor, before.AssignedTo, takesForSelf))
        {
            return WriteOutcome.Forbidden<Ticket>(TicketAccess.UpdateRefusal);
        }

        if (!expected.Accepts(before.Version))
        {
            return WriteOutcome.Stale<Ticket>(TicketEvents.Entity, before.Version);
        }

        if (before.MergedInto is { } survivor)
        {
            return WriteOutcome.Conflict<Ticket>(WriteOutcome.ConflictCode, "A merged ticket cannot be changed; change the ticket it was merged into", [new FieldError("merged_into", $"Merged into {survivor}")]);
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
                return Refuse(rejection);
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
            return WriteOutcome.Unchanged(before);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        after = await ApplySlaAsync(batch, before, after, work.Pauses, now, cancellationToken);
        var updated = AddUpdate(batch, after, before.Version, now);
        ChangeLog.Add(batch, audit, TicketEvents.Entity, id, ChangeLog.Updated, before, updated, DomainJsonContext.Default.Ticket);
        AddChangeEvents(batch, audit, before, updated);
        await ExecuteAsync(batch, before.Version, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(updated);
    }

    /// <summary>Soft delete (service managers and admins): the ticket vanishes from every read; its number stays used.</summary>
    public Task<WriteOutcome<Ticket>> DeleteAsync(Guid id, ExpectedVersion expected, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(principal);
        return WriteOutcome.CatchAsync(() => DeleteOnceAsync(id, expected, principal.Actor, principal.Audit, cancellationToken));
    }

    private async Task<WriteOutcome<Ticket>> DeleteOnceAsync(Guid id, ExpectedVersion expected, Actor actor, AuditContext audit, CancellationToken cancellationToken)
    {
        var now = Microseconds(time.GetUtcNow());
        await using var work = await BeginAsync(id, actor, cancellationToken);
        if (work.Ticket is not { } before)
        {
            return WriteOutcome.NotFound<Ticket>(What);
        }

        var (connection, transaction) = (work.Connection, work.Transaction);

        if (!TicketAccess.CanDelete(actor))
        {
            return WriteOutcome.Forbidden<Ticket>(TicketAccess.UpdateRefusal);
        }

        if (!expected.Accepts(before.Version))
        {
            return WriteOutcome.Stale<Ticket>(TicketEvents.Entity, before.Version);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        var delete = new NpgsqlBatchCommand("UPDATE tickets SET deleted_at = @now, deleted_by = @actor, version = version + 1, updated_at = @now WHERE id = @id AND version = @version AND deleted_at IS NULL");
        delete.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        delete.Parameters.Add(new NpgsqlParameter<int>("version", before.Version));
        delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        delete.Parameters.Add(new NpgsqlParameter<Guid>("actor", actor.Id));
        batch.BatchCommands.Add(delete);
        ChangeLog.Add(batch, audit, TicketEvents.Entity, id, ChangeLog.Deleted, before, null, DomainJsonContext.Default.Ticket);
        await ExecuteAsync(batch, before.Version, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(before);
    }

    /// <summary>A status or assignee change the workflow refuses, naming the statuses it allows next.</summary>
    private static WriteOutcome<Ticket> Refuse(WorkflowRejection rejection)
    {
        var allowed = rejection.Allowed.Count == 0 ? "none" : string.Join(", ", rejection.Allowed);
        return WriteOutcome.Rejected<Ticket>(ServiceDeskCodes.InvalidStatusTransition, rejection.Message, [
            new FieldError(rejection.Field, $"{rejection.Message}; allowed next statuses: {allowed}"),
            .. rejection.Allowed.Select(status => new FieldError("allowed_status", status)),
        ]);
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
            await using var batch = new NpgsqlBatch(connection, transaction);
            var select = new NpgsqlBatchCommand($"SELECT {Columns} FROM tickets t WHERE t.id = @id AND t.deleted_at IS NULL FOR {mode}");
            select.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            var pauses = new NpgsqlBatchCommand("SELECT paused_at, resumed_at FROM ticket_sla_pauses WHERE ticket_id = @id ORDER BY paused_at");
            pauses.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            batch.BatchCommands.Add(select);
            batch.BatchCommands.Add(pauses);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var ticket = await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
            await reader.NextResultAsync(cancellationToken);
            var history = new List<SlaPause>();
            while (await reader.ReadAsync(cancellationToken))
            {
                history.Add(new SlaPause(reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1)));
            }

            return new TicketWork(connection, transaction, ticket is not null && TicketAccess.CanView(actor, ticket.CustomerId) ? ticket : null, history);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A transaction holding a lock on one ticket; disposing it rolls back what was not committed.</summary>
    private sealed class TicketWork(NpgsqlConnection connection, NpgsqlTransaction transaction, Ticket? ticket, IReadOnlyList<SlaPause> pauses) : IAsyncDisposable
    {
        public NpgsqlConnection Connection => connection;

        public NpgsqlTransaction Transaction => transaction;

        public Ticket? Ticket => ticket;

        /// <summary>The ticket's SLA pauses, oldest first.</summary>
        public IReadOnlyList<SlaPause> Pauses => pauses;

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

    /// <summary>
    /// Opens or closes the SLA pause (adding the write to <paramref name="batch"/>) and recomputes the due dates when
    /// the change moves the clocks: a priority change, waiting for the customer or not, resolving or reopening.
    /// </summary>
    private async Task<Ticket> ApplySlaAsync(NpgsqlBatch batch, Ticket before, Ticket after, IReadOnlyList<SlaPause> pauses, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var wasWaiting = before.Status == TicketWorkflow.WaitingCustomer;
        var isWaiting = after.Status == TicketWorkflow.WaitingCustomer;
        var history = pauses.ToList();
        if (!wasWaiting && isWaiting)
        {
            var pause = new NpgsqlBatchCommand("INSERT INTO ticket_sla_pauses (ticket_id, paused_at) VALUES (@id, @now)");
            pause.Parameters.Add(new NpgsqlParameter<Guid>("id", before.Id));
            pause.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            batch.BatchCommands.Add(pause);
            history.Add(new SlaPause(now, null));
            after = after with { SlaPausedSince = now };
        }
        else if (wasWaiting && !isWaiting)
        {
            batch.BatchCommands.Add(ResumeCommand(before.Id, now));
            history = [.. history.Select(p => p.To is null ? p with { To = now > p.From ? now : p.From } : p)];
            after = after with { SlaPausedSince = null };
        }

        var clocksMoved = wasWaiting != isWaiting || before.Priority != after.Priority || before.ResolvedAt != after.ResolvedAt;
        if (!clocksMoved || after.SlaPolicyId is not { } policyId)
        {
            return after;
        }

        var terms = await slaPolicies.ByIdAsync(batch.Connection!, batch.Transaction, policyId, cancellationToken);
        var due = TicketSla.Recompute(terms, after, history, now);
        return after with { SlaResponseDue = Microseconds(due.ResponseDue), SlaResolutionDue = Microseconds(due.ResolutionDue), SlaBreached = due.Breached };
    }

    /// <summary>Ends the ticket's open SLA pause.</summary>
    private static NpgsqlBatchCommand ResumeCommand(Guid ticketId, DateTimeOffset now)
    {
        var resume = new NpgsqlBatchCommand("UPDATE ticket_sla_pauses SET resumed_at = greatest(@now, paused_at) WHERE ticket_id = @id AND resumed_at IS NULL");
        resume.Parameters.Add(new NpgsqlParameter<Guid>("id", ticketId));
        resume.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        return resume;
    }

    /// <summary>
    /// Adds the write of every mutable column of <paramref name="ticket"/>, if the row is still at
    /// <paramref name="version"/>, and returns the ticket as it will be stored (next version, updated now).
    /// </summary>
    private static Ticket AddUpdate(NpgsqlBatch batch, Ticket ticket, int version, DateTimeOffset now)
    {
        var update = new NpgsqlBatchCommand("""
            UPDATE tickets SET
                title = @title, description = @description, priority = @priority, category = @category, tags = @tags,
                status = @status, assigned_to = @assignee, resolved_at = @resolved_at, closed_at = @closed_at,
                reopen_count = @reopen_count, merged_into = @merged_into, sla_paused_since = @paused_since,
                sla_response_due = @response_due, sla_resolution_due = @resolution_due, sla_breached = @breached,
                version = version + 1, updated_at = @now
             WHERE id = @id AND version = @version AND deleted_at IS NULL
            """);
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
        batch.BatchCommands.Add(update);
        return ticket with { Version = version + 1, UpdatedAt = now };
    }

    /// <summary>
    /// Runs the change's batch; every UPDATE of a ticket in it must have hit its row at the expected version, or the
    /// whole transaction is abandoned as a lost update.
    /// </summary>
    private static async Task ExecuteAsync(NpgsqlBatch batch, int expectedVersion, CancellationToken cancellationToken)
    {
        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (batch.BatchCommands.Cast<NpgsqlBatchCommand>().Any(c => c.CommandText.StartsWith("UPDATE tickets ", StringComparison.Ordinal) && c.RecordsAffected != 1))
        {
            throw new PreconditionFailedException(TicketEvents.Entity, expectedVersion);
        }
    }

    private static void AddChangeEvents(NpgsqlBatch batch, AuditContext audit, Ticket before, Ticket after)
    {
        if (before.Status != after.Status)
        {
            TicketEvents.StatusChanged(batch, audit, after, before.Status);
        }

        if (before.AssignedTo != after.AssignedTo)
        {
            TicketEvents.Assigned(batch, audit, after, before.AssignedTo, automatic: false);
        }

        if (before.Priority != after.Priority)
        {
            TicketEvents.PriorityChanged(batch, audit, after, before.Priority);
        }
    }
}
