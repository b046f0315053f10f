using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Tickets;

/// <summary>Tickets: the service desk queue, its workflow, search, watchers and merges.</summary>
public static class TicketsApi
{
    public const string CustomerInclude = "customer";
    public const string AssigneeInclude = "assigned_to";

    /// <summary>Where <c>include=assigned_to</c> puts the assignee (<c>assigned_to</c> itself stays the id).</summary>
    public const string AssigneeEmbed = "assignee";

    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.AnyOf("status", TicketVocabulary.Statuses, "Tickets in any of these statuses (comma-separated)"),
        QueryFilter.AnyOf("priority", TicketVocabulary.Priorities, "Tickets of any of these priorities (comma-separated)"),
        QueryFilter.Uuid("customer_id", "Tickets of this customer"),
        QueryFilter.Uuid("assigned_to", "Tickets assigned to this user; me for the caller, none for unassigned tickets", "me", "none"),
        QueryFilter.Text("category", "Tickets of this category", TicketRules.CategoryMax),
        QueryFilter.Text("tag", "Tickets carrying this tag", TicketRules.TagMax),
        QueryFilter.OneOf("source", TicketVocabulary.Sources, "Tickets opened through this channel"),
        QueryFilter.Boolean("sla_breached", "Tickets whose response or resolution SLA is (true) or is not (false) breached"),
        QueryFilter.Timestamp("created_after", "Tickets created at or after this instant"),
        QueryFilter.Timestamp("created_before", "Tickets created before this instant"),
        QueryFilter.Search("Words or a ticket number, matched against number, title, description and public comments; sorts by relevance unless sort is given"));

    internal static readonly string[] Includes = [CustomerInclude, AssigneeInclude];

    private const string What = "Ticket";

    public static IEndpointRouteBuilder MapTicketsApi(this IEndpointRouteBuilder routes)
    {
        var view = PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn);
        var group = routes.MapGroup("/api/v1/tickets").WithTags("Tickets");
        group.MapGet(string.Empty, ListTickets).WithName("ListTickets")
            .WithSummary("List tickets (filters: status and priority as comma lists, customer_id, assigned_to (uuid, me, none), category, tag, source, sla_breached, created_after, created_before, search; fields; include=customer,assigned_to). meta.total above 1,000 may lag the data by up to 10 s (longer for totals whose count takes over 0.1 s).")
            .RequireAuthorization(view);
        group.MapGet("/{id:guid}", GetTicket).WithName("GetTicket").WithSummary("One ticket with its ETag (fields; include=customer,assigned_to)").RequireAuthorization(view);
        group.MapGet("/{number:long}", GetTicketByNumber).WithName("GetTicketByNumber").WithSummary("One ticket by its ticket number").RequireAuthorization(view);
        group.MapPost(string.Empty, CreateTicket).WithName("CreateTicket").WithSummary("Open a ticket: SLA due dates, auto-assignment by skill and load").RequireAuthorization(Permissions.TicketCreate);
        group.MapPatch("/{id:guid}", UpdateTicket).WithName("UpdateTicket").WithSummary("Change a ticket (partial; If-Match; status and assignee follow the workflow)")
            .WithDescription("status moves only along the workflow (docs/api/tickets.md); any other change is 422 INVALID_STATUS_TRANSITION listing the allowed next statuses. Allowed: " + TicketWorkflow.Describe() + ". Reopening (to in_progress) counts in reopen_count and clears resolved_at and closed_at.")
            .RequireAuthorization(Permissions.TicketUpdate);
        group.MapDelete("/{id:guid}", DeleteTicket).WithName("DeleteTicket").WithSummary("Soft-delete a ticket (If-Match)").RequireAuthorization(Permissions.TicketDelete);
        group.MapPost("/{id:guid}/merge", MergeTicket).WithName("MergeTicket").WithSummary("Merge this ticket into another: comments, time and watchers move, this one is closed").RequireAuthorization(Permissions.TicketUpdate);
        group.MapGet("/{id:guid}/watchers", ListWatchers).WithName("ListTicketWatchers").WithSummary("Who watches the ticket").RequireAuthorization(Permissions.TicketViewAll);
        group.MapPost("/{id:guid}/watchers", AddWatcher).WithName("AddTicketWatcher").WithSummary("Add a watcher (idempotent)").RequireAuthorization(Permissions.TicketUpdate);
        group.MapDelete("/{id:guid}/watchers/{userId:guid}", RemoveWatcher).WithName("RemoveTicketWatcher").WithSummary("Remove a watcher (idempotent)").RequireAuthorization(Permissions.TicketUpdate);
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<Ticket>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListTickets(
        HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var actor = context.Actor();
        var sortGiven = context.Request.Query.ContainsKey("sort");
        var query = ListQuery.Parse(context.Request, Filters, [.. TicketStore.SortColumns.Keys], TicketStore.DefaultSort, ApiJsonContext.Default.Ticket, Includes);
        var search = query.Text("search", 200);
        if (search is not null && string.IsNullOrWhiteSpace(search.Trim(',', '.', '-', '"', '\'')))
        {
            query.Errors.Add(new ErrorDetail("search", "Give at least one word or number to search for"));
        }

        if (search is null && query.Sort.Any(s => s.Field == TicketStore.Relevance))
        {
            query.Errors.Add(new ErrorDetail("sort", "Sorting by relevance needs search"));
        }

        var filter = new TicketFilter(
            ListOf(query, "status", TicketVocabulary.Statuses),
            ListOf(query, "priority", TicketVocabulary.Priorities),
            query.Uuid("customer_id"),
            Assignee(query, actor),
            query.Text("category", TicketRules.CategoryMax),
            query.Text("tag", TicketRules.TagMax),
            query.OneOf("source", TicketVocabulary.Sources),
            query.Boolean("sla_breached"),
            query.Timestamp("created_after"),
            query.Timestamp("created_before"),
            search);
        var sort = search is not null && !sortGiven ? TicketStore.SearchSort : query.Sort;
        return await VersionedResources.ListAsync(context, query, () => store.ListAsync(filter, actor, sort, query.Page, cancellationToken), Shaper(store, actor), cancellationToken);
    }

    public static Task<Results<Ok<Ticket>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetTicket(
        Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var actor = context.Actor();
        return VersionedResources.GetAsync(context, What, ApiJsonContext.Default.Ticket, Includes, () => store.GetAsync(id, actor, cancellationToken), Shaper(store, actor), cancellationToken);
    }

    public static Task<Results<Ok<Ticket>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetTicketByNumber(
        long number, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var actor = context.Actor();
        return VersionedResources.GetAsync(context, What, ApiJsonContext.Default.Ticket, Includes, () => store.GetByNumberAsync(number, actor, cancellationToken), Shaper(store, actor), cancellationToken);
    }

    public static async Task<Results<Created<Ticket>, JsonHttpResult<ErrorEnvelope>>> CreateTicket(
        CreateTicketRequest request, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var actor = context.Actor();
        var customerId = request.CustomerId ?? (actor.IsCustomerUser ? actor.CustomerId : null);
        // Customer users open tickets through the portal, whatever the body says.
        var source = actor.IsCustomerUser ? "portal" : request.Source;
        var valid = TicketRules.ValidateNew(request.Title, request.Description, customerId, request.Priority, request.Category, request.Tags, source);
        var outcome = await store.CreateAsync(valid, context.Principal(), cancellationToken);
        return VersionedResources.Created(context, outcome, ticket => $"/api/v1/tickets/{ticket.Id}");
    }

    public static Task<Results<Ok<Ticket>, JsonHttpResult<ErrorEnvelope>>> UpdateTicket(
        Guid id, UpdateTicketRequest request, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var changes = request.ToChanges();
        return VersionedResources.ChangeAsync(context, expected => store.UpdateAsync(id, expected, changes, context.Principal(), cancellationToken));
    }

    public static Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteTicket(Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return VersionedResources.DeleteAsync(context, expected => store.DeleteAsync(id, expected, context.Principal(), cancellationToken));
    }

    public static async Task<Results<Ok<Ticket>, JsonHttpResult<ErrorEnvelope>>> MergeTicket(
        Guid id, MergeTicketRequest request, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        if (request.Into is not { } into || into == Guid.Empty)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("into", "The id of the surviving ticket is required")]);
        }

        return await VersionedResources.ChangeAsync(context, async expected =>
        {
            var outcome = await store.MergeAsync(id, into, expected, context.Principal(), cancellationToken);
            return outcome.Value is { } merge ? WriteOutcome.Done(merge.Merged) : outcome.Refused<Ticket>();
        });
    }

    public static async Task<Results<Ok<TicketWatchersResponse>, JsonHttpResult<ErrorEnvelope>>> ListWatchers(
        Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var watchers = await store.WatchersAsync(id, context.Actor(), cancellationToken);
        return watchers is null ? ApiErrors.NotFound(context, What) : TypedResults.Ok(new TicketWatchersResponse(watchers));
    }

    public static async Task<Results<Created<TicketWatcher>, Ok<TicketWatcher>, JsonHttpResult<ErrorEnvelope>>> AddWatcher(
        Guid id, AddWatcherRequest request, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        if (request.UserId is not { } userId || userId == Guid.Empty)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("user_id", "The watcher's user id is required")]);
        }

        var outcome = await store.AddWatcherAsync(id, userId, context.Principal(), cancellationToken);
        return outcome switch
        {
            { Value.Watcher: { } watcher, Changed: true } => TypedResults.Created($"/api/v1/tickets/{id}/watchers/{userId}", watcher),
            { Value.Watcher: { } watcher } => TypedResults.Ok(watcher),
            _ => VersionedResources.Refusal(context, outcome.Refusal!),
        };
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> RemoveWatcher(
        Guid id, Guid userId, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var outcome = await store.RemoveWatcherAsync(id, userId, context.Principal(), cancellationToken);
        return outcome.Refusal is { } refusal ? VersionedResources.Refusal(context, refusal) : TypedResults.NoContent();
    }

    /// <summary>Embeds the page's customers and assignees, each loaded once for the whole page.</summary>
    private static Shaper<Ticket> Shaper(TicketStore store, Actor actor) => async (representation, items, cancellationToken) =>
    {
        var customers = representation.Has(CustomerInclude)
            ? await store.CustomersAsync([.. items.Select(t => t.CustomerId).Distinct()], cancellationToken)
            : null;
        var users = representation.Has(AssigneeInclude)
            ? await store.UsersAsync([.. items.Where(t => t.AssignedTo is not null).Select(t => t.AssignedTo!.Value).Distinct()], cancellationToken)
            : null;
        return ticket =>
        {
            var shaped = representation.Shape(ticket, ApiJsonContext.Default.Ticket);
            if (customers is not null)
            {
                shaped.Embed(CustomerInclude, customers.GetValueOrDefault(ticket.CustomerId), ApiJsonContext.Default.TicketCustomerSummary);
            }

            if (users is not null)
            {
                var user = ticket.AssignedTo is { } assignee ? users.GetValueOrDefault(assignee) : null;
                // Customer users see who works on their ticket, not the staff's addresses.
                shaped.Embed(AssigneeEmbed, user is not null && actor.IsCustomerUser ? user with { Email = null } : user, ApiJsonContext.Default.TicketUserSummary);
            }

            return shaped;
        };
    };

    private static List<string>? ListOf(ListQuery query, string name, IReadOnlyList<string> allowed)
    {
        var text = query.Text(name, 200);
        if (text is null)
        {
            return null;
        }

        var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        var unknown = values.Where(v => !allowed.Contains(v, StringComparer.Ordinal)).ToList();
        if (values.Count == 0 || unknown.Count > 0)
        {
            query.Errors.Add(new ErrorDetail(name, $"Must be one or more (comma-separated) of: {string.Join(", ", allowed)}"));
            return null;
        }

        return values;
    }

    private static AssigneeFilter? Assignee(ListQuery query, Actor actor)
    {
        var text = query.Text("assigned_to", 64);
        switch (text)
        {
            case null:
                return null;
            case "me":
                return new AssigneeFilter(actor.Id);
            case "none":
                return AssigneeFilter.Nobody;
        }

        if (Guid.TryParse(text, out var id))
        {
            return new AssigneeFilter(id);
        }

        query.Errors.Add(new ErrorDetail("assigned_to", "Must be a user id, me or none"));
        return null;
    }
}
