using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>A member of staff who follows a ticket.</summary>
public sealed record TicketWatcher(Guid UserId, string DisplayName, string Email, DateTimeOffset CreatedAt);

/// <summary>Who was added to or removed from which ticket's watchers; <see cref="Watcher"/> is the watcher as added (null for a removal).</summary>
public sealed record WatcherChange(Guid TicketId, Guid UserId, TicketWatcher? Watcher);

public sealed partial class TicketStore
{
    private static readonly IReadOnlyList<string> StaffRoles = [.. Roles.All.Where(role => role != Roles.CustomerAdmin)];

    /// <summary>Who watches the ticket; null when there is no live ticket or the caller may not see it.</summary>
    public async Task<IReadOnlyList<TicketWatcher>?> WatchersAsync(Guid ticketId, Actor actor, CancellationToken cancellationToken)
    {
        if (await GetAsync(ticketId, actor, cancellationToken) is null)
        {
            return null;
        }

        await using var command = dataSource.CreateCommand("""
            SELECT w.user_id, u.display_name, u.email, w.created_at
              FROM ticket_watchers w JOIN users u ON u.id = w.user_id
             WHERE w.ticket_id = @id
             ORDER BY w.created_at, w.user_id
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var watchers = new List<TicketWatcher>();
        while (await reader.ReadAsync(cancellationToken))
        {
            watchers.Add(new TicketWatcher(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return watchers;
    }

    /// <summary>
    /// Adds a watcher (idempotent: the outcome's <c>Changed</c> is false when they watch already). Watchers are
    /// active MSP staff. Anyone who may update tickets may watch one; adding someone else needs the right to change it.
    /// </summary>
    public Task<WriteOutcome<WatcherChange>> AddWatcherAsync(Guid ticketId, Guid userId, Principal principal, CancellationToken cancellationToken) =>
        ChangeWatcherAsync(ticketId, userId, add: true, principal, cancellationToken);

    /// <summary>Removes a watcher; idempotent (the outcome's <c>Changed</c> is false when they did not watch).</summary>
    public Task<WriteOutcome<WatcherChange>> RemoveWatcherAsync(Guid ticketId, Guid userId, Principal principal, CancellationToken cancellationToken) =>
        ChangeWatcherAsync(ticketId, userId, add: false, principal, cancellationToken);

    private async Task<WriteOutcome<WatcherChange>> ChangeWatcherAsync(Guid ticketId, Guid userId, bool add, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var (actor, audit) = (principal.Actor, principal.Audit);
        // Share-locked: a concurrent delete or merge of the ticket waits for this change.
        await using var work = await BeginAsync(ticketId, actor, cancellationToken, "SHARE");
        if (work.Ticket is not { } ticket)
        {
            return WriteOutcome.NotFound<WatcherChange>(What);
        }

        var (connection, transaction) = (work.Connection, work.Transaction);

        if (!actor.Can(Permissions.TicketUpdate) || (userId != actor.Id && !TicketAccess.CanUpdate(actor, ticket.AssignedTo)))
        {
            return WriteOutcome.Forbidden<WatcherChange>(TicketAccess.UpdateRefusal);
        }

        if (add)
        {
            await CheckUserAsync(connection, transaction, userId, "user_id", StaffRoles, "Watchers are active members of staff", cancellationToken);
        }

        await using var change = new NpgsqlCommand(
            add
                ? "INSERT INTO ticket_watchers (ticket_id, user_id) VALUES (@ticket, @user) ON CONFLICT (ticket_id, user_id) DO NOTHING"
                : "DELETE FROM ticket_watchers WHERE ticket_id = @ticket AND user_id = @user",
            connection,
            transaction);
        change.Parameters.Add(new NpgsqlParameter<Guid>("ticket", ticketId));
        change.Parameters.Add(new NpgsqlParameter<Guid>("user", userId));
        var changed = await change.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (changed)
        {
            var values = AuditJson.Write(json => json.WriteString("user_id", userId));
            await using var batch = new NpgsqlBatch(connection, transaction);
            TicketEvents.Audit(batch, audit, ticket.Id, add ? "watcher_added" : "watcher_removed", add ? null : values, add ? values : null);
            TicketEvents.Watcher(batch, audit, ticket, userId, add);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        var watcher = add ? await ReadWatcherAsync(connection, transaction, ticketId, userId, cancellationToken) : null;
        await transaction.CommitAsync(cancellationToken);
        var result = new WatcherChange(ticketId, userId, watcher);
        return changed ? WriteOutcome.Done(result) : WriteOutcome.Unchanged(result);
    }

    private static async Task<TicketWatcher?> ReadWatcherAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid ticketId, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT w.user_id, u.display_name, u.email, w.created_at
              FROM ticket_watchers w JOIN users u ON u.id = w.user_id
             WHERE w.ticket_id = @ticket AND w.user_id = @user
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("ticket", ticketId));
        command.Parameters.Add(new NpgsqlParameter<Guid>("user", userId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TicketWatcher(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }
}
