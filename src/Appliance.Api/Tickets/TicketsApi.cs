using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Tickets;

/// <summary>Tickets: the service desk queue.</summary>
public static class TicketsApi
{
    private static readonly string[] Filters = ["status", "priority", "customer_id", "assigned_to"];

    public static IEndpointRouteBuilder MapTicketsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/tickets").WithTags("Tickets");
        group.MapGet(string.Empty, ListTickets).WithName("ListTickets").WithSummary("List tickets (filters: status, priority, customer_id, assigned_to)").RequirePermission(Permissions.TicketViewAll, Permissions.TicketViewOwn);
        group.MapGet("/{id:guid}", GetTicket).WithName("GetTicket").WithSummary("One ticket").RequirePermission(Permissions.TicketViewAll, Permissions.TicketViewOwn);
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<Ticket>>, JsonHttpResult<ErrorEnvelope>>> ListTickets(
        HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. TicketStore.SortColumns.Keys], TicketStore.DefaultSort);
        var filter = new TicketFilter(
            query.OneOf("status", TicketVocabulary.Statuses),
            query.OneOf("priority", TicketVocabulary.Priorities),
            query.Uuid("customer_id"),
            query.Uuid("assigned_to"),
            CustomerScope(context));
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await store.ListAsync(filter, query.Sort, query.Page, cancellationToken);
        var response = query.ToResponse(context.Request, rows, t => t);
        return response is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<Ticket>, JsonHttpResult<ErrorEnvelope>>> GetTicket(
        Guid id, HttpContext context, TicketStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ticket = await store.GetAsync(id, cancellationToken);
        var scope = CustomerScope(context);
        return ticket is null || (scope is not null && ticket.CustomerId != scope) ? ApiErrors.NotFound(context, "Ticket") : TypedResults.Ok(ticket);
    }

    /// <summary>Callers without <c>ticket:view:all</c> see their own company's tickets only (customer users).</summary>
    private static Guid? CustomerScope(HttpContext context)
    {
        var user = context.CurrentUser();
        return user.Can(Permissions.TicketViewAll) ? null : user.CustomerId ?? Guid.Empty;
    }
}
