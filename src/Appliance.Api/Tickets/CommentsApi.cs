using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Tickets;

public sealed class CreateCommentRequest
{
    /// <summary>Rich text; sanitised to p, br, strong, em, ul, ol, li (no attributes).</summary>
    public string? Body { get; set; }

    /// <summary>Staff only; false (public, the customer sees it) when left out.</summary>
    public bool? IsInternal { get; set; }
}

/// <summary>Only the body changes; whether a comment is internal is fixed when it is written.</summary>
public sealed class UpdateCommentRequest
{
    public string? Body { get; set; }
}

/// <summary>
/// Comments on tickets. Everyone who may see a ticket reads and writes its comments; customer users see and write public
/// comments only (asking to write an internal one is 403), and what they may not see is 404. Authors change their own
/// comment within 15 minutes, service managers and admins any comment (moderation); deletes are soft.
/// </summary>
public static class CommentsApi
{
    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.Boolean("is_internal", "Only internal notes (true) or only public comments (false)"),
        QueryFilter.Uuid("author_id", "Comments by this user"));

    public static IEndpointRouteBuilder MapCommentsApi(this IEndpointRouteBuilder routes)
    {
        var nested = routes.MapGroup("/api/v1/tickets/{ticketId:guid}/comments").WithTags("Comments");
        nested.MapGet(string.Empty, ListTicketComments).WithName("ListTicketComments")
            .WithSummary("A ticket's comments, oldest first (filters: is_internal, author_id; fields); customer users see public ones only")
            .RequireAuthorization(PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn));
        nested.MapPost(string.Empty, CreateComment).WithName("CreateComment")
            .WithSummary("Comment on a ticket; the first public reply by staff is the ticket's first response")
            .RequireAuthorization(PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn));

        var group = routes.MapGroup("/api/v1/comments").WithTags("Comments");
        group.MapGet("/{id:guid}", GetComment).WithName("GetComment").WithSummary("One comment, with its ETag").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn));
        group.MapPatch("/{id:guid}", UpdateComment).WithName("UpdateComment")
            .WithSummary("Change a comment's body (author within 15 minutes, or a service manager or admin; If-Match)").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn));
        group.MapDelete("/{id:guid}", DeleteComment).WithName("DeleteComment")
            .WithSummary("Soft-delete a comment (author within 15 minutes, or a service manager or admin; If-Match)").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn));
        return routes;
    }

    public static Task<Results<Ok<ListResponse<TicketComment>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListTicketComments(
        Guid ticketId, HttpContext context, CommentStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. CommentStore.SortColumns.Keys], CommentStore.DefaultSort, ApiJsonContext.Default.TicketComment);
        var filter = new CommentFilter(query.Boolean("is_internal"), query.Uuid("author_id"));
        return VersionedResources.ListAsync(
            context, query, () => store.ListAsync(ticketId, context.Actor(), filter, query.Sort, query.Page, cancellationToken), VersionedResources.Fields(ApiJsonContext.Default.TicketComment), "Ticket", cancellationToken);
    }

    public static async Task<Results<Created<TicketComment>, JsonHttpResult<ErrorEnvelope>>> CreateComment(
        Guid ticketId, CreateCommentRequest request, HttpContext context, CommentStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var body = TicketRules.ValidateCommentBody(request.Body);
        var outcome = await store.CreateAsync(ticketId, body, request.IsInternal ?? false, context.Principal(), cancellationToken);
        return VersionedResources.Created(context, outcome, comment => $"/api/v1/comments/{comment.Id}");
    }

    public static Task<Results<Ok<TicketComment>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetComment(
        Guid id, HttpContext context, CommentStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return VersionedResources.GetAsync(
            context, "Comment", ApiJsonContext.Default.TicketComment, [], () => store.GetAsync(id, context.Actor(), cancellationToken), VersionedResources.Fields(ApiJsonContext.Default.TicketComment), cancellationToken);
    }

    public static Task<Results<Ok<TicketComment>, JsonHttpResult<ErrorEnvelope>>> UpdateComment(
        Guid id, UpdateCommentRequest request, HttpContext context, CommentStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var body = TicketRules.ValidateCommentBody(request.Body);
        return VersionedResources.ChangeAsync(context, expected => store.UpdateAsync(id, expected, body, context.Principal(), cancellationToken));
    }

    public static Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteComment(Guid id, HttpContext context, CommentStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return VersionedResources.DeleteAsync(context, expected => store.DeleteAsync(id, expected, context.Principal(), cancellationToken));
    }
}
