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

    public const string InvalidStatusTransition = "INVALID_STATUS_TRANSITION";

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
            search,
            TicketAccess.ScopeCustomer(actor),
            PublicCommentsOnly: actor.IsCustomerUser);
        var sort = search is not null && !sortGiven ? TicketStore.SearchSort : query.Sort;
        return await VersionedResources.ListAsync(context, query, () => store.ListAsync(filter, sort, query.Page, cancellationToken), Shaper(store, actor), cancellationToken);
    }

    public static Task<Results<Ok<Ticket>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetTicket(
        Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return GetAsync(context, store, () => store.GetAsync(id, cancellationToken), cancellationToken);
    }

    public static Task<Results<Ok<Ticket>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetTicketByNumber(
        long number, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return GetAsync(context, store, () => store.GetByNumberAsync(number, cancellationToken), cancellationToken);
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
        if (!TicketAccess.CanCreateFor(actor, valid.CustomerId))
        {
            return ApiErrors.Result(context, StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "You can open tickets for your own company only");
        }

        var ticket = await store.CreateAsync(valid, actor.Id, VersionedResources.ChangeContext(context), cancellationToken);
        EntityTags.Write(context.Response, ticket.Version);
        return TypedResults.Created($"/api/v1/tickets/{ticket.Id}", ticket);
    }

    public static async Task<Results<Ok<Ticket>, JsonHttpResult<ErrorEnvelope>>> UpdateTicket(
        Guid id, UpdateTicketRequest request, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        if (IfMatch(context, out var badIfMatch) is not { } expected)
        {
            return badIfMatch!;
        }

        var changes = request.ToChanges();
        TicketWriteResult result;
        try
        {
            result = await store.UpdateAsync(id, expected, changes, context.Actor(), VersionedResources.ChangeContext(context), cancellationToken);
        }
        catch (TicketTransitionException refused)
        {
            var rejection = refused.Rejection;
            var allowed = rejection.Allowed.Count == 0 ? "none" : string.Join(", ", rejection.Allowed);
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, InvalidStatusTransition, rejection.Message, [
                new ErrorDetail(rejection.Field, $"{rejection.Message}; allowed next statuses: {allowed}"),
                .. rejection.Allowed.Select(status => new ErrorDetail("allowed_status", status)),
            ]);
        }

        return WriteResult(context, result.Status, result.Ticket);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteTicket(Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (IfMatch(context, out var badIfMatch) is not { } expected)
        {
            return badIfMatch!;
        }

        var status = await store.DeleteAsync(id, expected, context.Actor(), VersionedResources.ChangeContext(context), cancellationToken);
        return status switch
        {
            TicketWriteStatus.Done => TypedResults.NoContent(),
            TicketWriteStatus.Forbidden => Forbidden(context),
            _ => ApiErrors.NotFound(context, "Ticket"),
        };
    }

    public static async Task<Results<Ok<Ticket>, JsonHttpResult<ErrorEnvelope>>> MergeTicket(
        Guid id, MergeTicketRequest request, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        if (IfMatch(context, out var badIfMatch) is not { } expected)
        {
            return badIfMatch!;
        }

        if (request.Into is not { } into || into == Guid.Empty)
        {
            return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", [new ErrorDetail("into", "The id of the surviving ticket is required")]);
        }

        var result = await store.MergeAsync(id, into, expected, context.Actor(), VersionedResources.ChangeContext(context), cancellationToken);
        return WriteResult(context, result.Status, result.Merged);
    }

    public static async Task<Results<Ok<TicketWatchersResponse>, JsonHttpResult<ErrorEnvelope>>> ListWatchers(
        Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ticket = await store.GetAsync(id, cancellationToken);
        if (ticket is null || !TicketAccess.CanView(context.Actor(), ticket.CustomerId))
        {
            return ApiErrors.NotFound(context, "Ticket");
        }

        return TypedResults.Ok(new TicketWatchersResponse(await store.WatchersAsync(id, cancellationToken)));
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

        var change = await store.AddWatcherAsync(id, userId, context.Actor(), VersionedResources.ChangeContext(context), cancellationToken);
        return change.Status switch
        {
            TicketWriteStatus.Done when change.Changed => TypedResults.Created($"/api/v1/tickets/{id}/watchers/{userId}", change.Watcher!),
            TicketWriteStatus.Done => TypedResults.Ok(change.Watcher!),
            TicketWriteStatus.Forbidden => Forbidden(context),
            _ => ApiErrors.NotFound(context, "Ticket"),
        };
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> RemoveWatcher(
        Guid id, Guid userId, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var change = await store.RemoveWatcherAsync(id, userId, context.Actor(), VersionedResources.ChangeContext(context), cancellationToken);
        return change.Status switch
        {
            TicketWriteStatus.Done => TypedResults.NoContent(),
            TicketWriteStatus.Forbidden => Forbidden(context),
            _ => ApiErrors.NotFound(context, "Ticket"),
        };
    }

    private static async Task<Results<Ok<Ticket>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetAsync(
        HttpContext context, TicketStore store, Func<Task<Ticket?>> read, CancellationToken cancellationToken)
    {
        var errors = new List<ErrorDetail>();
        var representation = Representation.ParseSingle(context.Request, ApiJsonContext.Default.Ticket, Includes, errors);
        if (errors.Count > 0)
        {
            return ApiErrors.BadQuery(context, errors);
        }

        var actor = context.Actor();
        var ticket = await read();
        // Another company's ticket answers exactly like a missing one, so customer users learn nothing about it.
        if (ticket is null || !TicketAccess.CanView(actor, ticket.CustomerId))
        {
            return ApiErrors.NotFound(context, "Ticket");
        }

        EntityTags.Write(context.Response, ticket.Version);
        if (representation.IsFull)
        {
            return TypedResults.Ok(ticket);
        }

        var shape = await Shaper(store, actor)(representation, [ticket], cancellationToken);
        return TypedResults.Ok(shape(ticket));
    }

    private static Results<Ok<Ticket>, JsonHttpResult<ErrorEnvelope>> WriteResult(HttpContext context, TicketWriteStatus status, Ticket? ticket)
    {
        switch (status)
        {
            case TicketWriteStatus.Done:
                EntityTags.Write(context.Response, ticket!.Version);
                return TypedResults.Ok(ticket);
            case TicketWriteStatus.Forbidden:
                return Forbidden(context);
            default:
                return ApiErrors.NotFound(context, "Ticket");
        }
    }

    /// <summary>The versions a change may apply to, or the 400 for a malformed <c>If-Match</c>.</summary>
    private static ExpectedVersion? IfMatch(HttpContext context, out JsonHttpResult<ErrorEnvelope>? error)
    {
        var (expected, problem) = EntityTags.ReadIfMatch(context.Request);
        error = expected is null ? ApiErrors.Result(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "Malformed If-Match header", [problem!]) : null;
        return expected;
    }

    private static JsonHttpResult<ErrorEnvelope> Forbidden(HttpContext context) =>
        ApiErrors.Result(context, StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, "Technicians change only tickets assigned to them (or take an unassigned one)");

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
