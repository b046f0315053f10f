using System.Globalization;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Tickets;

public sealed class CreateTimeEntryRequest
{
    /// <summary>The day worked; from <c>started_at</c>, else today, when left out.</summary>
    public DateOnly? WorkDate { get; set; }

    /// <summary>Either minutes, or <c>started_at</c> and <c>ended_at</c> (all three must agree when all are given).</summary>
    public int? Minutes { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>True when left out.</summary>
    public bool? Billable { get; set; }

    /// <summary>remote (default), onsite, travel, phone, internal.</summary>
    public string? WorkType { get; set; }

    public string? Note { get; set; }

    /// <summary>Whose time: the caller when left out; service managers and admins may name another member of staff.</summary>
    public Guid? UserId { get; set; }
}

public sealed class UpdateTimeEntryRequest : PatchRequest
{
    public DateOnly? WorkDate { get; set { field = value; Mark(nameof(WorkDate)); } }

    public int? Minutes { get; set { field = value; Mark(nameof(Minutes)); } }

    public DateTimeOffset? StartedAt { get; set { field = value; Mark(nameof(StartedAt)); } }

    public DateTimeOffset? EndedAt { get; set { field = value; Mark(nameof(EndedAt)); } }

    public bool? Billable { get; set { field = value; Mark(nameof(Billable)); } }

    public string? WorkType { get; set { field = value; Mark(nameof(WorkType)); } }

    public string? Note { get; set { field = value; Mark(nameof(Note)); } }

    public TimeEntryPatch ToPatch() => new(
        Field(nameof(WorkDate), WorkDate),
        Field(nameof(Minutes), Minutes),
        Field(nameof(StartedAt), StartedAt),
        Field(nameof(EndedAt), EndedAt),
        Field(nameof(Billable), Billable),
        Field(nameof(WorkType), WorkType),
        Field(nameof(Note), Note));
}

/// <summary>
/// Time on tickets, for staff only (customer users get 403). Technicians book and change their own entries until they
/// are approved; service managers and admins book for anyone and change any unapproved entry; approved entries are
/// locked (409 <c>TIME_ENTRY_APPROVED</c>) until unapproved. Billing and service managers approve and unapprove.
/// </summary>
public static class TimeEntriesApi
{
    internal static readonly QueryFilterCollection TicketFilters = new(
        QueryFilter.Uuid("user_id", "Time booked by this user"),
        QueryFilter.Boolean("billable", "Billable (true) or non-billable (false) time"),
        QueryFilter.Boolean("approved", "Approved (true) or not yet approved (false) time"),
        QueryFilter.Date("date_from", "Work done on or after this day"),
        QueryFilter.Date("date_to", "Work done on or before this day"));

    internal static readonly QueryFilterCollection Filters = TicketFilters.With(QueryFilter.Uuid("ticket_id", "Time booked on this ticket"));

    public static IEndpointRouteBuilder MapTimeEntriesApi(this IEndpointRouteBuilder routes)
    {
        var nested = routes.MapGroup("/api/v1/tickets/{ticketId:guid}/time-entries").WithTags("Time entries");
        nested.MapGet(string.Empty, ListTicketTimeEntries).WithName("ListTicketTimeEntries")
            .WithSummary("A ticket's time entries by work date (filters: user_id, billable, approved, date_from, date_to; fields)").RequireAuthorization(Permissions.TicketViewAll);
        nested.MapPost(string.Empty, CreateTimeEntry).WithName("CreateTimeEntry")
            .WithSummary("Book time on a ticket: minutes or start/end, work type, billable, note").RequireAuthorization(Permissions.TicketUpdate);

        var group = routes.MapGroup("/api/v1/time-entries").WithTags("Time entries");
        group.MapGet(string.Empty, ListTimeEntries).WithName("ListTimeEntries")
            .WithSummary("Timesheets across tickets (filters: ticket_id, user_id, billable, approved, date_from, date_to; fields)").RequireAuthorization(Permissions.TicketViewAll);
        group.MapGet("/{id:guid}", GetTimeEntry).WithName("GetTimeEntry").WithSummary("One time entry, with its ETag").RequireAuthorization(Permissions.TicketViewAll);
        group.MapPatch("/{id:guid}", UpdateTimeEntry).WithName("UpdateTimeEntry")
            .WithSummary("Change a time entry (own until approved; managers any unapproved; If-Match)").RequireAuthorization(Permissions.TicketUpdate);
        group.MapDelete("/{id:guid}", DeleteTimeEntry).WithName("DeleteTimeEntry")
            .WithSummary("Soft-delete a time entry (own until approved; managers any unapproved; If-Match)").RequireAuthorization(Permissions.TicketUpdate);
        group.MapPost("/{id:guid}/approve", ApproveTimeEntry).WithName("ApproveTimeEntry")
            .WithSummary("Approve a time entry for billing; it is locked from then on (If-Match)").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.BillingApprove, Permissions.TicketViewAll));
        group.MapPost("/{id:guid}/unapprove", UnapproveTimeEntry).WithName("UnapproveTimeEntry")
            .WithSummary("Take back an approval so the entry can be corrected (If-Match)").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.BillingApprove, Permissions.TicketViewAll));
        return routes;
    }

    public static Task<Results<Ok<ListResponse<TimeEntry>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListTicketTimeEntries(
        Guid ticketId, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = Query(context, TicketFilters);
        var filter = Filter(query, ticketId);
        return VersionedResources.ListAsync(
            context,
            query,
            async () => await store.TicketExistsAsync(ticketId, cancellationToken) ? await store.ListAsync(filter, query.Sort, query.Page, cancellationToken) : null,
            VersionedResources.Fields(ApiJsonContext.Default.TimeEntry),
            "Ticket",
            cancellationToken);
    }

    public static Task<Results<Ok<ListResponse<TimeEntry>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListTimeEntries(
        HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = Query(context, Filters);
        var filter = Filter(query, query.Uuid("ticket_id"));
        return VersionedResources.ListAsync(context, query, () => store.ListAsync(filter, query.Sort, query.Page, cancellationToken), VersionedResources.Fields(ApiJsonContext.Default.TimeEntry), cancellationToken);
    }

    public static async Task<Results<Created<TimeEntry>, JsonHttpResult<ErrorEnvelope>>> CreateTimeEntry(
        Guid ticketId, CreateTimeEntryRequest request, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var valid = TimeEntryRules.Validate(request.WorkDate, request.Minutes, request.StartedAt, request.EndedAt, request.Billable, request.WorkType, request.Note, store.Today);
        var outcome = await store.CreateAsync(ticketId, request.UserId, valid, context.Principal(), cancellationToken);
        return VersionedResources.Created(context, outcome, entry => $"/api/v1/time-entries/{entry.Id}");
    }

    public static Task<Results<Ok<TimeEntry>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetTimeEntry(
        Guid id, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return VersionedResources.GetAsync(
            context, "Time entry", ApiJsonContext.Default.TimeEntry, [], () => store.GetAsync(id, cancellationToken), VersionedResources.Fields(ApiJsonContext.Default.TimeEntry), cancellationToken);
    }

    public static Task<Results<Ok<TimeEntry>, JsonHttpResult<ErrorEnvelope>>> UpdateTimeEntry(
        Guid id, UpdateTimeEntryRequest request, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var patch = request.ToPatch();
        return VersionedResources.ChangeAsync(context, expected => store.UpdateAsync(id, expected, patch, context.Principal(), cancellationToken));
    }

    public static Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteTimeEntry(Guid id, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return VersionedResources.DeleteAsync(context, expected => store.DeleteAsync(id, expected, context.Principal(), cancellationToken));
    }

    public static Task<Results<Ok<TimeEntry>, JsonHttpResult<ErrorEnvelope>>> ApproveTimeEntry(Guid id, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken) =>
        SetApprovalAsync(id, approve: true, context, store, cancellationToken);

    public static Task<Results<Ok<TimeEntry>, JsonHttpResult<ErrorEnvelope>>> UnapproveTimeEntry(Guid id, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken) =>
        SetApprovalAsync(id, approve: false, context, store, cancellationToken);

    private static Task<Results<Ok<TimeEntry>, JsonHttpResult<ErrorEnvelope>>> SetApprovalAsync(Guid id, bool approve, HttpContext context, TimeEntryStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return VersionedResources.ChangeAsync(context, expected => store.SetApprovalAsync(id, approve, expected, context.Principal(), cancellationToken));
    }

    private static ListQuery Query(HttpContext context, QueryFilterCollection filters) =>
        ListQuery.Parse(context.Request, filters, [.. TimeEntryStore.SortColumns.Keys], TimeEntryStore.DefaultSort, ApiJsonContext.Default.TimeEntry);

    private static TimeEntryFilter Filter(ListQuery query, Guid? ticketId)
    {
        var from = Date(query, "date_from");
        var to = Date(query, "date_to");
        if (from is not null && to is not null && from > to)
        {
            query.Errors.Add(new ErrorDetail("date_to", "Must not be before date_from"));
        }

        return new TimeEntryFilter(ticketId, query.Uuid("user_id"), query.Boolean("billable"), query.Boolean("approved"), from, to);
    }

    private static DateOnly? Date(ListQuery query, string name)
    {
        var text = query.Text(name, 10);
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        query.Errors.Add(new ErrorDetail(name, "Must be a date like 2026-11-30"));
        return null;
    }
}
