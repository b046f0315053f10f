using System.Globalization;
using Appliance.Api.Http;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Identity;

/// <summary>The audit trail, read-only (the table itself refuses changes).</summary>
public static class AuditApi
{
    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.Text("entity_type", "Entries about this kind of record (ticket, customer, user, ...)"),
        QueryFilter.Text("entity_id", "Entries about this record"),
        QueryFilter.Text("action", "Entries of this action (created, updated, deleted, login, ...)"),
        QueryFilter.Text("actor_id", "Entries by this actor (a user or API key id)"),
        QueryFilter.Timestamp("from", "Entries at or after this instant"),
        QueryFilter.Timestamp("to", "Entries before this instant"));

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/audit-log", ListAuditLog).WithTags("Audit").WithName("ListAuditLog")
            .WithSummary("Audit entries (filters: entity_type, entity_id, action, actor_id, from, to)").RequireAuthorization(Permissions.AuditView);
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<AuditRecord>>, JsonHttpResult<ErrorEnvelope>>> ListAuditLog(HttpContext context, AuditLog audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(audit);
        var query = ListQuery.Parse(context.Request, Filters, [.. AuditLog.SortColumns.Keys], AuditLog.DefaultSort);
        var filter = new AuditFilter(query.Text("entity_type"), query.Text("entity_id"), query.Text("action"), query.Text("actor_id"), Time(query, "from"), Time(query, "to"));
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await audit.ListAsync(filter, query.Sort, query.Page, cancellationToken);
        var response = query.ToResponse(context.Request, rows, r => r);
        return response is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(response);
    }

    private static DateTimeOffset? Time(ListQuery query, string name)
    {
        var text = query.Text(name, 40);
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value.ToUniversalTime();
        }

        query.Errors.Add(new ErrorDetail(name, "Must be an ISO 8601 date or timestamp"));
        return null;
    }
}
