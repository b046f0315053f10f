namespace Appliance.Domain.Tickets;

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
    string Source,
    DateTimeOffset? SlaResponseDue,
    DateTimeOffset? SlaResolutionDue,
    bool SlaBreached,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? ClosedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public static class TicketVocabulary
{
    public static readonly IReadOnlyList<string> Statuses = ["new", "assigned", "in_progress", "waiting_customer", "resolved", "closed"];
    public static readonly IReadOnlyList<string> Priorities = ["low", "medium", "high", "critical"];
    public static readonly IReadOnlyList<string> Sources = ["portal", "email", "phone", "api"];
}
