using Appliance.Domain.Common;

namespace Appliance.Domain.Tickets;

/// <summary>
/// A ticket as the API shows it and the audit log records it. <c>version</c> is bumped by every change (the ETag);
/// <c>sla_paused_since</c> is set while the ticket waits for the customer (the SLA clocks stand still);
/// <c>merged_into</c> names the surviving ticket when this one was merged (it is closed then).
/// </summary>
public sealed record Ticket(
    Guid Id,
    long TicketNumber,
    string Title,
    string Description,
    string Status,
    string Priority,
    string? Category,
    IReadOnlyList<string> Tags,
    Guid CustomerId,
    Guid? AssignedTo,
    Guid? CreatedBy,
    string Source,
    Guid? SlaPolicyId,
    DateTimeOffset? SlaResponseDue,
    DateTimeOffset? SlaResolutionDue,
    bool SlaBreached,
    DateTimeOffset? SlaPausedSince,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? ClosedAt,
    int ReopenCount,
    Guid? MergedInto,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersioned;

public static class TicketVocabulary
{
    public static readonly IReadOnlyList<string> Statuses = ["new", "assigned", "in_progress", "waiting_customer", "resolved", "closed"];
    public static readonly IReadOnlyList<string> Priorities = ["low", "medium", "high", "critical"];
    public static readonly IReadOnlyList<string> Sources = ["portal", "email", "phone", "api"];

    /// <summary>Roles a ticket may be assigned to: the people who work the queue.</summary>
    public static readonly IReadOnlyList<string> AssigneeRoles = ["technician_l1", "technician_l2", "service_manager"];

    /// <summary>Roles auto-assignment picks from.</summary>
    public static readonly IReadOnlyList<string> TechnicianRoles = ["technician_l1", "technician_l2"];
}
