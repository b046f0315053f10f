using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>What a merge moved to the surviving ticket.</summary>
public sealed record MergeCounts(int Comments, int TimeEntries, int Watchers);

/// <summary>A merge: the merged ticket (closed, linked to the survivor), the survivor, and what moved.</summary>
public sealed record TicketMerge(Ticket Merged, Ticket Survivor, MergeCounts Moved);

public sealed partial class TicketStore
{
    /// <summary>
    /// Merges ticket <paramref name="id"/> into <paramref name="intoId"/> in one transaction: comments and time entries
    /// move to the survivor (remembering where they came from), watchers are united there, and the merged ticket is
    /// closed with a link to the survivor. Both tickets must be visible to the caller and changeable by them.
    /// </summary>
    public Task<WriteOutcome<TicketMerge>> MergeAsync(Guid id, Guid intoId, ExpectedVersion expected, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(principal);
        if (id == intoId)
        {
            throw new DomainValidationException([new FieldError("into", "A ticket cannot be merged into itself")]);
        }

        return WriteOutcome.CatchAsync(() => MergeOnceAsync(id, intoId, expected, principal.Actor, principal.Audit, cancellationToken));
    }

    private async Task<WriteOutcome<TicketMerge>> MergeOnceAsync(Guid id, Guid intoId, ExpectedVersion expected, Actor actor, AuditContext audit, CancellationToken cancellationToken)
    {
        var now = Microseconds(time.GetUtcNow());
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Both rows in id order, so two merges of the same pair in opposite directions cannot deadlock.
        var locked = await LockBothAsync(connection, transaction, id, intoId, cancellationToken);
        locked.TryGetValue(id, out var merged);
        locked.TryGetValue(intoId, out var survivor);
        if (merged is null || !TicketAccess.CanView(actor, merged.CustomerId))
        {
            return WriteOutcome.NotFound<TicketMerge>(What);
        }

        if (survivor is null || !TicketAccess.CanView(actor, survivor.CustomerId))
        {
            throw new DomainValidationException([new FieldError("into", "Unknown ticket")]);
        }

        if (!TicketAccess.CanUpdate(actor, merged.AssignedTo) || !TicketAccess.CanUpdate(actor, survivor.AssignedTo))
        {
            return WriteOutcome.Forbidden<TicketMerge>(TicketAccess.UpdateRefusal);
        }

        if (!expected.Accepts(merged.Version))
        {
            return WriteOutcome.Stale<TicketMerge>(TicketEvents.Entity, merged.Version);
        }

        if (merged.MergedInto is { } earlier)
        {
            return WriteOutcome.Conflict<TicketMerge>(WriteOutcome.ConflictCode, "This ticket was merged already", [new FieldError("merged_into", $"Merged into {earlier}")]);
        }

        if (survivor.MergedInto is not null || survivor.Status == TicketWorkflow.Closed)
        {
            throw new DomainValidationException([new FieldError("into", "The surviving ticket must not be closed or merged")]);
        }

        if (merged.CustomerId != survivor.CustomerId)
        {
            throw new DomainValidationException([new FieldError("into", "Only tickets of the same customer can be merged")]);
        }

        var moved = await MoveChildrenAsync(connection, transaction, merged.Id, survivor.Id, now, cancellationToken);
        var closed = merged with
        {
            Status = TicketWorkflow.Closed,
            ClosedAt = merged.Status == TicketWorkflow.Closed ? merged.ClosedAt : now,
            ResolvedAt = merged.ResolvedAt ?? now,
            SlaPausedSince = null,
            MergedInto = survivor.Id,
        };
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (merged.Status == TicketWorkflow.WaitingCustomer)
        {
            batch.BatchCommands.Add(ResumeCommand(merged.Id, now));
        }

        var after = AddUpdate(batch, closed, merged.Version, now);

        // The survivor's content changed (comments, time, watchers): a new version, so cached copies are revalidated.
        var survivorAfter = AddUpdate(batch, survivor, survivor.Version, now);
        ChangeLog.Add(batch, audit, TicketEvents.Entity, merged.Id, ChangeLog.Updated, merged, after, DomainJsonContext.Default.Ticket);
        TicketEvents.Audit(batch, audit, merged.Id, "merged", null, AuditJson.Write(json =>
        {
            json.WriteString("merged_into", survivor.Id);
            TicketEvents.WriteCounts(json, moved);
        }));
        TicketEvents.Audit(batch, audit, survivor.Id, "merge_received", null, AuditJson.Write(json =>
        {
            json.WriteString("merged_from", merged.Id);
            TicketEvents.WriteCounts(json, moved);
        }));
        TicketEvents.Merged(batch, audit, after, survivorAfter, moved);
        if (merged.Status != after.Status)
        {
            TicketEvents.StatusChanged(batch, audit, after, merged.Status);
        }

        await ExecuteAsync(batch, merged.Version, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(new TicketMerge(after, survivorAfter, moved));
    }

    private static async Task<Dictionary<Guid, Ticket>> LockBothAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid a, Guid b, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(
            $"SELECT {Columns} FROM tickets t WHERE t.id = ANY(@ids) AND t.deleted_at IS NULL ORDER BY t.id FOR UPDATE",
            connection,
            transaction);
        select.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [a, b]));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<Guid, Ticket>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var ticket = Map(reader);
            rows[ticket.Id] = ticket;
        }

        return rows;
    }

    private static async Task<MergeCounts> MoveChildrenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid from, Guid into, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            WITH moved AS (
                UPDATE ticket_comments SET ticket_id = @into, moved_from = coalesce(moved_from, @from), updated_at = @now
                 WHERE ticket_id = @from AND deleted_at IS NULL RETURNING 1)
            SELECT count(*)::int FROM moved
            """));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            WITH moved AS (
                UPDATE time_entries SET ticket_id = @into, moved_from = coalesce(moved_from, @from), version = version + 1, updated_at = @now
                 WHERE ticket_id = @from AND deleted_at IS NULL RETURNING 1)
            SELECT count(*)::int FROM moved
            """));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            WITH gone AS (DELETE FROM ticket_watchers WHERE ticket_id = @from RETURNING user_id, created_at),
                 added AS (INSERT INTO ticket_watchers (ticket_id, user_id, created_at)
                           SELECT @into, user_id, created_at FROM gone ON CONFLICT (ticket_id, user_id) DO NOTHING RETURNING 1)
            SELECT count(*)::int FROM added
            """));
        foreach (var command in batch.BatchCommands)
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("from", from));
            command.Parameters.Add(new NpgsqlParameter<Guid>("into", into));
            if (command.CommandText.Contains("@now", StringComparison.Ordinal))
            {
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            }
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var counts = new int[3];
        for (var i = 0; i < counts.Length; i++)
        {
            if (i > 0)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            await reader.ReadAsync(cancellationToken);
            counts[i] = reader.GetInt32(0);
        }

        return new MergeCounts(counts[0], counts[1], counts[2]);
    }
}
