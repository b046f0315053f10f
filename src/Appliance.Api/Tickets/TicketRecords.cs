using System.Text.Json.Serialization.Metadata;
using Appliance.Api.Http;
using Appliance.Domain.Common;
using Appliance.Domain.Tickets;
using Appliance.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Tickets;

/// <summary>What the comment and time-entry endpoints share: reading one record, lists of a ticket, and write outcomes.</summary>
internal static class TicketRecords
{
    public const string TimeEntryApproved = "TIME_ENTRY_APPROVED";
    public const string TimeEntryNotApproved = "TIME_ENTRY_NOT_APPROVED";
    public const string TicketMerged = "TICKET_MERGED";

    /// <summary>Sparse fields only: these records embed nothing.</summary>
    public static Shaper<T> Fields<T>(JsonTypeInfo<T> typeInfo) =>
        (representation, _, _) => Task.FromResult<Func<T, Shaped>>(item => representation.Shape(item, typeInfo));

    /// <summary>One record with its ETag (<c>fields</c> honoured); 404 when <paramref name="read"/> finds nothing visible.</summary>
    public static async Task<Results<Ok<T>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetAsync<T>(
        HttpContext context, string what, JsonTypeInfo<T> typeInfo, Func<Task<T?>> read)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(context);
        var errors = new List<ErrorDetail>();
        var representation = Representation.ParseSingle(context.Request, typeInfo, [], errors);
        if (errors.Count > 0)
        {
            return ApiErrors.BadQuery(context, errors);
        }

        if (await read() is not { } record)
        {
            return ApiErrors.NotFound(context, what);
        }

        EntityTags.Write(context.Response, record.Version);
        return representation.IsFull ? TypedResults.Ok(record) : TypedResults.Ok(representation.Shape(record, typeInfo));
    }

    /// <summary>A list under <c>/tickets/{id}/…</c>; <paramref name="read"/> gives null when the ticket is not there for the caller (404).</summary>
    public static async Task<Results<Ok<ListResponse<T>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListOfTicketAsync<T>(
        HttpContext context, ListQuery query, JsonTypeInfo<T> typeInfo, Func<Task<Paged<T>?>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(read);
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await read();
        if (rows is null)
        {
            return ApiErrors.NotFound(context, "Ticket");
        }

        return await VersionedResources.ListAsync(context, query, () => Task.FromResult(rows), Fields(typeInfo), cancellationToken);
    }

    /// <summary>A change under the caller's If-Match (400 when malformed): 200 with the record and its new ETag, or the refusal.</summary>
    public static async Task<Results<Ok<T>, JsonHttpResult<ErrorEnvelope>>> ChangeAsync<T>(HttpContext context, string what, Func<ExpectedVersion, Task<RecordWrite<T>>> change)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(context);
        var (expected, error) = EntityTags.ReadIfMatch(context.Request);
        if (expected is null)
        {
            return MalformedIfMatch(context, error!);
        }

        var write = await change(expected);
        if (write.Value is not { } record)
        {
            return Refusal(context, write, what);
        }

        EntityTags.Write(context.Response, record.Version);
        return TypedResults.Ok(record);
    }

    /// <summary>A delete under the caller's If-Match: 204, or the refusal.</summary>
    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteAsync<T>(HttpContext context, string what, Func<ExpectedVersion, Task<RecordWrite<T>>> delete)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(delete);
        ArgumentNullException.ThrowIfNull(context);
        var (expected, error) = EntityTags.ReadIfMatch(context.Request);
        if (expected is null)
        {
            return MalformedIfMatch(context, error!);
        }

        var write = await delete(expected);
        return write.Value is null ? Refusal(context, write, what) : TypedResults.NoContent();
    }

    /// <summary>The error answer of a refused write: 404, 403, or 409 with the state that refused it.</summary>
    public static JsonHttpResult<ErrorEnvelope> Refusal<T>(HttpContext context, RecordWrite<T> write, string what)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(write);
        var message = write.Message ?? write.Status.ToString();
        return write.Status switch
        {
            RecordWriteStatus.Forbidden => Forbidden(context, message),
            RecordWriteStatus.Approved => ApiErrors.Result(context, StatusCodes.Status409Conflict, TimeEntryApproved, message),
            RecordWriteStatus.NotApproved => ApiErrors.Result(context, StatusCodes.Status409Conflict, TimeEntryNotApproved, message),
            RecordWriteStatus.TicketMerged => ApiErrors.Result(context, StatusCodes.Status409Conflict, TicketMerged, message),
            _ => ApiErrors.NotFound(context, what),
        };
    }

    public static JsonHttpResult<ErrorEnvelope> Forbidden(HttpContext context, string message, IReadOnlyList<ErrorDetail>? details = null) =>
        ApiErrors.Result(context, StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, message, details);

    /// <summary>201 with the Location and ETag of the new record, or the refusal.</summary>
    public static Results<Created<T>, JsonHttpResult<ErrorEnvelope>> Created<T>(HttpContext context, RecordWrite<T> write, string what, Func<T, string> location)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(location);
        return write.Value is { } record
            ? VersionedResources.Created(context, location(record), record)
            : Refusal(context, write, what);
    }

    private static JsonHttpResult<ErrorEnvelope> MalformedIfMatch(HttpContext context, ErrorDetail error) =>
        ApiErrors.Result(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "Malformed If-Match header", [error]);
}
