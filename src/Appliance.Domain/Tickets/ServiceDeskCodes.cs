namespace Appliance.Domain.Tickets;

/// <summary>The error codes of the service desk's own refusals (docs/api/service-desk.md, docs/api/tickets.md).</summary>
public static class ServiceDeskCodes
{
    public const string TimeEntryApproved = "TIME_ENTRY_APPROVED";
    public const string TimeEntryNotApproved = "TIME_ENTRY_NOT_APPROVED";
    public const string TicketMerged = "TICKET_MERGED";
    public const string InvalidStatusTransition = "INVALID_STATUS_TRANSITION";
}
