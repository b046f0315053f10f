using System.Text.Json;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>
/// The ticket events besides <c>ticket.created/updated/deleted</c> (which <see cref="ChangeLog"/> writes): each a small
/// JSON object naming the ticket and what changed, written to the outbox on the transaction of the change.
/// </summary>
internal static class TicketEvents
{
    public const string Entity = "ticket";

    public static Task StatusChangedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Ticket ticket, string oldStatus, CancellationToken cancellationToken) =>
        WriteAsync(connection, transaction, audit, "status_changed", ticket, json =>
        {
            json.WriteString("old_status", oldStatus);
            json.WriteString("new_status", ticket.Status);
        }, cancellationToken);

    public static Task AssignedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Ticket ticket, Guid? oldAssignee, bool automatic, CancellationToken cancellationToken) =>
        WriteAsync(connection, transaction, audit, "assigned", ticket, json =>
        {
            WriteGuid(json, "old_assigned_to", oldAssignee);
            WriteGuid(json, "new_assigned_to", ticket.AssignedTo);
            json.WriteBoolean("automatic", automatic);
        }, cancellationToken);

    public static Task PriorityChangedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Ticket ticket, string oldPriority, CancellationToken cancellationToken) =>
        WriteAsync(connection, transaction, audit, "priority_changed", ticket, json =>
        {
            json.WriteString("old_priority", oldPriority);
            json.WriteString("new_priority", ticket.Priority);
        }, cancellationToken);

    public static Task MergedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Ticket merged, Ticket survivor, MergeCounts moved, CancellationToken cancellationToken) =>
        WriteAsync(connection, transaction, audit, "merged", merged, json =>
        {
            json.WriteString("into", survivor.Id);
            json.WriteNumber("into_ticket_number", survivor.TicketNumber);
            json.WriteNumber("moved_comments", moved.Comments);
            json.WriteNumber("moved_time_entries", moved.TimeEntries);
            json.WriteNumber("moved_watchers", moved.Watchers);
        }, cancellationToken);

    public static Task WatcherAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Ticket ticket, Guid userId, bool added, CancellationToken cancellationToken) =>
        WriteAsync(connection, transaction, audit, added ? "watcher_added" : "watcher_removed", ticket, json => json.WriteString("user_id", userId), cancellationToken);

    /// <summary>The audit entry of a change that is not a plain field update (merge, watchers), with its own action.</summary>
    public static Task AuditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Guid ticketId, string action, string? oldValues, string? newValues, CancellationToken cancellationToken) =>
        AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry(Entity, ticketId.ToString(), action, oldValues, newValues), cancellationToken);

    public static void WriteGuid(Utf8JsonWriter json, string name, Guid? value)
    {
        if (value is { } id)
        {
            json.WriteString(name, id);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, string happening, Ticket ticket, Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
    {
        var payload = AuditJson.Write(json =>
        {
            json.WriteString("id", ticket.Id);
            json.WriteNumber("ticket_number", ticket.TicketNumber);
            json.WriteString("customer_id", ticket.CustomerId);
            body(json);
        });
        return Outbox.WriteAsync(connection, transaction, audit, new OutboxEvent($"{Entity}.{happening}", Entity, ticket.Id.ToString(), payload), cancellationToken);
    }
}
