using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

public sealed partial class TicketStore
{
    // Which busy technician the next create waits for when every skilled one is being assigned to at that moment.
    private int _busyRotation;

    /// <summary>
    /// Creates a ticket: due dates from the customer's effective SLA policy, auto-assignment, audit row and
    /// <c>ticket.created</c> (+ <c>ticket.assigned</c>) in one transaction. An unknown or deleted customer is a
    /// validation error on <c>customer_id</c> and nothing is written (the ticket number it may have drawn is not reused).
    /// </summary>
    public async Task<WriteOutcome<Ticket>> CreateAsync(ValidTicket ticket, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(principal);
        if (!TicketAccess.CanCreateFor(principal.Actor, ticket.CustomerId))
        {
            return WriteOutcome.Forbidden<Ticket>(TicketAccess.CreateRefusal);
        }

        var (createdBy, audit) = ((Guid?)principal.Actor.Id, principal.Audit);
        var now = Microseconds(time.GetUtcNow());
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (policy, free, number) = await ReadCustomerAndLockTechnicianAsync(connection, transaction, ticket.CustomerId, ticket.Category, cancellationToken);
        var terms = policy is { } effective ? await slaPolicies.GetAsync(connection, transaction, effective.Id, effective.UpdatedAt, cancellationToken) : null;
        var due = TicketSla.ForNewTicket(terms, ticket.Priority, now);
        var assignee = free ?? await ChooseBusyAssigneeAsync(connection, transaction, ticket.Category, cancellationToken);

        // Every value is known here (the number was drawn above), so the row, its audit entry and its events go to
        // PostgreSQL in one round trip that also commits; the representation is exactly what a later read returns.
        var created = new Ticket(
            Guid.CreateVersion7(now), number, ticket.Title, ticket.Description, assignee is null ? TicketWorkflow.New : TicketWorkflow.Assigned,
            ticket.Priority, ticket.Category, ticket.Tags, ticket.CustomerId, assignee, createdBy, ticket.Source, terms?.PolicyId,
            Microseconds(due.ResponseDue), Microseconds(due.ResolutionDue), false, null, null, null, null, 0, null, 1, now, now);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO tickets (id, ticket_number, title, description, status, priority, category, tags, customer_id, assigned_to, created_by, source,
                                 sla_policy_id, sla_response_due, sla_resolution_due, created_at, updated_at)
            VALUES (@id, @number, @title, @description, @status, @priority, @category, @tags, @customer, @assignee, @created_by, @source,
                    @policy, @response_due, @resolution_due, @now, @now)
            """);
        var p = insert.Parameters;
        p.Add(new NpgsqlParameter<Guid>("id", created.Id));
        p.Add(new NpgsqlParameter<long>("number", created.TicketNumber));
        p.Add(new NpgsqlParameter<string>("title", created.Title));
        p.Add(new NpgsqlParameter<string>("description", created.Description));
        p.Add(new NpgsqlParameter<string>("status", created.Status));
        p.Add(new NpgsqlParameter<string>("priority", created.Priority));
        p.Add(new NpgsqlParameter<string?>("category", NpgsqlDbType.Text) { TypedValue = created.Category });
        p.Add(new NpgsqlParameter<string[]>("tags", [.. created.Tags]));
        p.Add(new NpgsqlParameter<Guid>("customer", created.CustomerId));
        p.Add(new NpgsqlParameter<Guid?>("assignee", NpgsqlDbType.Uuid) { TypedValue = created.AssignedTo });
        p.Add(new NpgsqlParameter<Guid?>("created_by", NpgsqlDbType.Uuid) { TypedValue = created.CreatedBy });
        p.Add(new NpgsqlParameter<string>("source", created.Source));
        p.Add(new NpgsqlParameter<Guid?>("policy", NpgsqlDbType.Uuid) { TypedValue = created.SlaPolicyId });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("response_due", NpgsqlDbType.TimestampTz) { TypedValue = created.SlaResponseDue });
        p.Add(new NpgsqlParameter<DateTimeOffset?>("resolution_due", NpgsqlDbType.TimestampTz) { TypedValue = created.SlaResolutionDue });
        p.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        batch.BatchCommands.Add(insert);
        ChangeLog.Add(batch, audit, TicketEvents.Entity, created.Id, ChangeLog.Created, null, created, DomainJsonContext.Default.Ticket);
        if (assignee is not null)
        {
            TicketEvents.Assigned(batch, audit, created, null, automatic: true);
        }

        // COMMIT rides in the same batch: a statement failing before it leaves the transaction failed, and disposing
        // the transaction rolls it back, so nothing is half-written.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return WriteOutcome.Done(created);
    }

    /// <summary>PostgreSQL keeps microseconds: values written are cut to them first, so what a write returns is what a read returns.</summary>
    internal static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    internal static DateTimeOffset? Microseconds(DateTimeOffset? value) => value is { } v ? Microseconds(v) : null;

    /// <summary>
    /// One round trip: the customer must be live and brings its effective SLA policy (its own, else the default) with
    /// the policy's version stamp; the best free technician for the category is locked; and the next ticket number is
    /// drawn. No lock is taken on the customer: customers are only ever soft-deleted, and the insert's foreign key
    /// check keeps the row in place.
    /// </summary>
    /// <remarks>
    /// Auto-assignment (<see cref="AutoAssignment"/>) made safe for many concurrent creates in one statement: the
    /// active technicians skilled in the category are ordered by the rule (fewest open tickets by the counts as they are
    /// when the statement runs, then longest-serving, then id) and the first one whose load row no other create holds
    /// is locked with SKIP LOCKED. While one create assigns to the least-loaded technician (whose count is about to
    /// rise) the others move on to the next-best instead of queueing behind it; each create locks one load row, so
    /// creates cannot deadlock each other. Only when nobody is free does <see cref="ChooseBusyAssigneeAsync"/> run.
    /// </remarks>
    private static async Task<((Guid Id, DateTimeOffset UpdatedAt)? Policy, Guid? FreeTechnician, long Number)> ReadCustomerAndLockTechnicianAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customerId, string? category, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var customer = new NpgsqlBatchCommand("""
            SELECT p.id, p.updated_at
              FROM customers c
              LEFT JOIN sla_policies p ON p.id = coalesce(c.sla_policy_id, (SELECT d.id FROM sla_policies d WHERE d.is_default))
             WHERE c.id = @customer AND c.deleted_at IS NULL
            """);
        customer.Parameters.Add(new NpgsqlParameter<Guid>("customer", customerId));
        batch.BatchCommands.Add(customer);
        if (category is not null)
        {
            var lockFree = new NpgsqlBatchCommand("""
                SELECT l.user_id
                  FROM users u JOIN technician_load l ON l.user_id = u.id
                 WHERE u.is_active AND u.role IN ('technician_l1', 'technician_l2') AND u.skills @> ARRAY[lower(@category)]
                 ORDER BY l.open_tickets, u.created_at, u.id
                 LIMIT 1
                   FOR UPDATE OF l SKIP LOCKED
                """);
            lockFree.Parameters.Add(new NpgsqlParameter<string>("category", category));
            batch.BatchCommands.Add(lockFree);
        }

        // Drawn even when the create fails later: a number is never handed out twice, gaps are fine.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT nextval('ticket_number_seq')"));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new DomainValidationException([new FieldError("customer_id", "Unknown customer")]);
        }

        (Guid, DateTimeOffset)? policy = reader.IsDBNull(0) ? null : (reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1));
        Guid? free = null;
        if (category is not null)
        {
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                free = reader.GetGuid(0);
            }
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (policy, free, reader.GetInt64(0));
    }

    /// <summary>
    /// No skilled technician was free: either nobody has the skill (the ticket stays unassigned, <c>new</c>) or every
    /// skilled technician is being assigned a ticket at this very moment, and the create waits for one of them, taken in
    /// turn (the insert's load trigger queues behind that technician's row lock). Also repairs a missing load row.
    /// </summary>
    private async Task<Guid?> ChooseBusyAssigneeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string? category, CancellationToken cancellationToken)
    {
        if (category is null)
        {
            return null;
        }

        var candidates = new List<(AssignmentCandidate Candidate, bool HasLoadRow)>();
        await using (var skilled = new NpgsqlCommand(
            """
            SELECT u.id, u.skills, coalesce(l.open_tickets, 0), u.created_at, l.user_id IS NOT NULL
              FROM users u LEFT JOIN technician_load l ON l.user_id = u.id
             WHERE u.is_active AND u.role IN ('technician_l1', 'technician_l2') AND u.skills @> ARRAY[lower(@category)]
            """,
            connection,
            transaction))
        {
            skilled.Parameters.Add(new NpgsqlParameter<string>("category", category));
            await using var reader = await skilled.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add((new AssignmentCandidate(reader.GetGuid(0), reader.GetFieldValue<string[]>(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)), reader.GetBoolean(4)));
            }
        }

        var ranked = Rank(category, [.. candidates.Select(c => c.Candidate)]);
        if (ranked.Count == 0)
        {
            return null;
        }

        foreach (var (candidate, _) in candidates.Where(c => !c.HasLoadRow))
        {
            // A technician whose count row went missing: created here, so the next creates see them again.
            await using var create = new NpgsqlCommand("INSERT INTO technician_load (user_id) VALUES (@user) ON CONFLICT (user_id) DO NOTHING", connection, transaction);
            create.Parameters.Add(new NpgsqlParameter<Guid>("user", candidate.UserId));
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        return ranked[(int)((uint)Interlocked.Increment(ref _busyRotation) % (uint)ranked.Count)];
    }

    /// <summary>The candidates in the order the assignment rule prefers them (those without the skill left out).</summary>
    private static List<Guid> Rank(string? category, List<AssignmentCandidate> candidates)
    {
        var ranked = new List<Guid>(candidates.Count);
        while (AutoAssignment.Choose(category, candidates) is { } best)
        {
            ranked.Add(best);
            candidates.RemoveAll(c => c.UserId == best);
        }

        return ranked;
    }
}
