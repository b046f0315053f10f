using System.Collections.Frozen;

namespace Appliance.Domain.Tickets;

/// <summary>The timestamps and assignment a status change leaves on a ticket.</summary>
public sealed record TicketLifecycle(
    string Status,
    Guid? AssignedTo,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? ClosedAt,
    int ReopenCount);

/// <summary>Why a requested change is not allowed, in the words the client sees, plus what would be allowed.</summary>
public sealed record WorkflowRejection(string Field, string Message, IReadOnlyList<string> Allowed);

/// <summary>
/// The ticket status workflow (docs/api/tickets.md): which status may follow which, and what a change does to the
/// timestamps and the assignment. Pure: the caller passes the current state and the time.
/// </summary>
public static class TicketWorkflow
{
    public const string New = "new";
    public const string Assigned = "assigned";
    public const string InProgress = "in_progress";
    public const string WaitingCustomer = "waiting_customer";
    public const string Resolved = "resolved";
    public const string Closed = "closed";

    // The table docs/api/tickets.md shows (and the PATCH description in OpenAPI prints from AllowedFrom). Work moves
    // forward new → assigned → in_progress ⇄ waiting_customer → resolved → closed, with the shortcuts a service desk
    // takes: a technician starts, asks the customer or solves straight from the queue; a ticket nobody worked on
    // (spam, duplicate, withdrawn) is closed from new or assigned; work that started ends as resolved, so the
    // resolution is recorded and counted against the SLA, and only then closed. Reopening (resolved or closed back to
    // in_progress) is the only way out of the end states; "new" is reachable only by taking the assignee away from an
    // assigned ticket, so a ticket that was worked on never looks untouched.
    private static readonly FrozenDictionary<string, string[]> Transitions = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [New] = [Assigned, InProgress, WaitingCustomer, Resolved, Closed],
        [Assigned] = [New, InProgress, WaitingCustomer, Resolved, Closed],
        [InProgress] = [Assigned, WaitingCustomer, Resolved],
        [WaitingCustomer] = [InProgress, Resolved],
        [Resolved] = [InProgress, Closed],
        [Closed] = [InProgress],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Statuses in which the ticket counts as open work (the queue, auto-assignment load, SLA breach checks).</summary>
    public static readonly IReadOnlyList<string> OpenStatuses = [New, Assigned, InProgress, WaitingCustomer];

    public static bool IsOpen(string status) => status is New or Assigned or InProgress or WaitingCustomer;

    public static IReadOnlyList<string> AllowedFrom(string status) =>
        Transitions.TryGetValue(status, out var next) ? next : [];

    public static bool CanMove(string from, string to) => AllowedFrom(from).Contains(to, StringComparer.Ordinal);

    /// <summary>The whole table as text, one "from → to, to" line per status (for the API description).</summary>
    public static string Describe() =>
        string.Join("; ", Transitions.OrderBy(t => Array.IndexOf(Order, t.Key)).Select(t => $"{t.Key} → {string.Join(", ", t.Value)}"));

    private static readonly string[] Order = [New, Assigned, InProgress, WaitingCustomer, Resolved, Closed];

    /// <summary>
    /// Applies a change of status and/or assignee. <paramref name="newStatus"/> null keeps the status (but an assignee
    /// change may still move new↔assigned); <paramref name="assigneeGiven"/> says whether the assignee is part of the change.
    /// </summary>
    public static (TicketLifecycle? Result, WorkflowRejection? Rejection) Apply(
        TicketLifecycle current, string? newStatus, bool assigneeGiven, Guid? newAssignee, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        var assignee = assigneeGiven ? newAssignee : current.AssignedTo;
        var status = newStatus ?? current.Status;

        if (newStatus is null && assigneeGiven)
        {
            // Assigning an untouched ticket puts it in the assignee's queue; taking the assignee away puts it back.
            if (current.Status == New && assignee is not null)
            {
                status = Assigned;
            }
            else if (current.Status == Assigned && assignee is null)
            {
                status = New;
            }
        }

        if (!Transitions.ContainsKey(status))
        {
            return (null, new WorkflowRejection("status", $"Unknown status '{status}'", AllowedFrom(current.Status)));
        }

        if (status != current.Status && !CanMove(current.Status, status))
        {
            return (null, new WorkflowRejection(
                "status",
                $"A ticket cannot move from '{current.Status}' to '{status}'",
                AllowedFrom(current.Status)));
        }

        if (status == Assigned && assignee is null)
        {
            return (null, new WorkflowRejection("assigned_to", "An assigned ticket needs an assignee", AllowedFrom(current.Status)));
        }

        if (status == New && assignee is not null)
        {
            return (null, new WorkflowRejection("assigned_to", "A new ticket has no assignee; use 'assigned'", AllowedFrom(current.Status)));
        }

        if (status == current.Status)
        {
            return (current with { AssignedTo = assignee }, null);
        }

        var reopened = current.Status is Resolved or Closed;
        var result = new TicketLifecycle(
            status,
            assignee,
            status switch
            {
                Resolved => now,
                Closed => current.ResolvedAt ?? now,
                _ => reopened ? null : current.ResolvedAt,
            },
            status == Closed ? now : null,
            current.ReopenCount + (reopened ? 1 : 0));
        return (result, null);
    }
}
