using System.Text.Json;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>
/// The ticket events besides <c>ticket.created/updated/deleted</c> (which <see cref="ChangeLog"/> writes): each a small
/// JSON object naming the ticket and what changed. They are added to the batch that writes the change, so the change,
/// its audit row and its events reach PostgreSQL in one round trip and commit together.
/// </summary>
internal static class TicketEvents
{
    public const string Entity = "ticket";

    public static void StatusChanged(NpgsqlBatch batch, AuditContext audit, Ticket ticket, string oldStatus) =>
        Add(batch, audit, "status_changed", ticket, json =>
        {
            json.WriteString("old_status", oldStatus);
            json.WriteString("new_status", ticket.Status);
        });

    public static void Assigned(NpgsqlBatch batch, AuditContext audit, Ticket ticket, Guid? oldAssignee, bool automatic) =>
        Add(batch, audit, "assigned", ticket, json =>
        {
            WriteGuid(json, "old_assigned_to", oldAssignee);
            WriteGuid(json, "new_assigned_to", ticket.AssignedTo);
            json.WriteBoolean("automatic", automatic);
        });

    public static void PriorityChanged(NpgsqlBatch batch, AuditContext audit, Ticket ticket, string oldPriority) =>
        Add(batch, audit, "priority_changed", ticket, json =>
        {
            json.WriteString("old_priority", oldPriority);
            json.WriteString("new_priority", ticket.Priority);
        });

    public static void Merged(NpgsqlBatch batch, AuditContext audit, Ticket merged, Ticket survivor, MergeCounts moved) =>
        Add(batch, audit, "merged", merged, json =>
        {
            json.WriteString("into", survivor.Id);
            json.WriteNumber("into_ticket_number", survivor.TicketNumber);
            WriteCounts(json, moved);
        });

    public static void Watcher(NpgsqlBatch batch, AuditContext audit, Ticket ticket, Guid userId, bool added) =>
        Add(batch, audit, added ? "watcher_added" : "watcher_removed", ticket, json => json.WriteString("user_id", userId));

    /// <summary>The audit entry of a change that is not a plain field update (merge, watchers), with its own action.</summary>
    public static void Audit(NpgsqlBatch batch, AuditContext audit, Guid ticketId, string action, string? oldValues, string? newValues) =>
        batch.BatchCommands.Add(AuditLog.Command(audit, new AuditEntry(Entity, ticketId.ToString(), action, oldValues, newValues)));

    public static void WriteCounts(Utf8JsonWriter json, MergeCounts moved)
    {
        json.WriteNumber("moved_comments", moved.Comments);
        json.WriteNumber("moved_time_entries", moved.TimeEntries);
        json.WriteNumber("moved_watchers", moved.Watchers);
    }

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

    private static void Add(NpgsqlBatch batch, AuditContext audit, string happening, Ticket ticket, Action<Utf8JsonWriter> body)
    {
        var payload = AuditJson.Write(json =>
        {
            json.WriteString("id", ticket.Id);
            json.WriteNumber("ticket_number", ticket.TicketNumber);
            json.WriteString("customer_id", ticket.CustomerId);
            body(json);
        });
        batch.BatchCommands.Add(Outbox.Command(audit, new OutboxEvent($"{Entity}.{happening}", Entity, ticket.Id.ToString(), payload)));
    }
}
