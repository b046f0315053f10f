using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Common;
using Appliance.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Http;

/// <summary>Builds the shaped form of a page of items, loading what <c>include</c> asks for once for the whole page.</summary>
public delegate Task<Func<T, Shaped>> Shaper<T>(Representation representation, IReadOnlyList<T> items, CancellationToken cancellationToken);

/// <summary>
/// The one HTTP adapter of every versioned resource: <c>ETag</c> on every single-resource answer, <c>If-Match</c> on
/// every change, sparse fields and includes on reads, and a store's <see cref="WriteOutcome{T}"/> as its answer
/// (docs/api/conventions.md). Modules keep their own named handlers (typed for the request delegate generator) and
/// call these; the stores decide, from the principal, what the caller may see and do.
/// </summary>
public static class VersionedResources
{
    /// <summary>Sparse fields only, for records that embed nothing.</summary>
    public static Shaper<T> Fields<T>(JsonTypeInfo<T> typeInfo) =>
        (representation, _, _) => Task.FromResult<Func<T, Shaped>>(item => representation.Shape(item, typeInfo));

    public static Task<Results<Ok<ListResponse<T>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListAsync<T>(
        HttpContext context, ListQuery query, Func<Task<Paged<T>>> read, Shaper<T> shaper, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        return ListAsync<T>(context, query, async () => await read(), shaper, "Resource", cancellationToken);
    }

    /// <summary>A list under a parent (<c>/tickets/{id}/comments</c>): <paramref name="read"/> gives null when the parent is not there for the caller (404).</summary>
    public static async Task<Results<Ok<ListResponse<T>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListAsync<T>(
        HttpContext context, ListQuery query, Func<Task<Paged<T>?>> read, Shaper<T> shaper, string parent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(shaper);
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        if (await read() is not { } rows)
        {
            return ApiErrors.NotFound(context, parent);
        }

        if (query.Representation.IsFull)
        {
            var plain = query.ToResponse(context.Request, rows, item => item);
            return plain is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(plain);
        }

        var shape = await shaper(query.Representation, rows.Items, cancellationToken);
        var shaped = query.ToResponse(context.Request, rows, shape);
        return shaped is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(shaped);
    }

    /// <summary>One record with its ETag (<c>fields</c>, <c>include</c>); 404 when <paramref name="read"/> finds nothing the caller may see.</summary>
    public static async Task<Results<Ok<T>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetAsync<T>(
        HttpContext context, string what, JsonTypeInfo<T> typeInfo, IReadOnlyCollection<string> includes, Func<Task<T?>> read, Shaper<T> shaper, CancellationToken cancellationToken)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(shaper);
        var errors = new List<ErrorDetail>();
        var representation = Representation.ParseSingle(context.Request, typeInfo, includes, errors);
        if (errors.Count > 0)
        {
            return ApiErrors.BadQuery(context, errors);
        }

        if (await read() is not { } entity)
        {
            return ApiErrors.NotFound(context, what);
        }

        EntityTags.Write(context.Response, entity.Version);
        if (representation.IsFull)
        {
            return TypedResults.Ok(entity);
        }

        var shape = await shaper(representation, [entity], cancellationToken);
        return TypedResults.Ok(shape(entity));
    }

    /// <summary>201 with the Location and ETag of the new record, or the refusal.</summary>
    public static Results<Created<T>, JsonHttpResult<ErrorEnvelope>> Created<T>(HttpContext context, WriteOutcome<T> outcome, Func<T, string> location)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(location);
        if (outcome.Value is not { } created)
        {
            return Refusal(context, outcome.Refusal!);
        }

        EntityTags.Write(context.Response, created.Version);
        return TypedResults.Created(location(created), created);
    }

    /// <summary>A change under the caller's If-Match (400 when malformed): 200 with the record and its new ETag, or the refusal.</summary>
    public static async Task<Results<Ok<T>, JsonHttpResult<ErrorEnvelope>>> ChangeAsync<T>(HttpContext context, Func<ExpectedVersion, Task<WriteOutcome<T>>> change)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(change);
        if (IfMatch(context, out var malformed) is not { } expected)
        {
            return malformed!;
        }

        var outcome = await change(expected);
        return Ok(context, outcome);
    }

    /// <summary>200 with the record and its ETag, or the refusal.</summary>
    public static Results<Ok<T>, JsonHttpResult<ErrorEnvelope>> Ok<T>(HttpContext context, WriteOutcome<T> outcome)
        where T : class, IVersioned
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Value is not { } record)
        {
            return Refusal(context, outcome.Refusal!);
        }

        EntityTags.Write(context.Response, record.Version);
        return TypedResults.Ok(record);
    }

    /// <summary>A delete under the caller's If-Match: 204, or the refusal.</summary>
    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteAsync<T>(HttpContext context, Func<ExpectedVersion, Task<WriteOutcome<T>>> delete)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(delete);
        if (IfMatch(context, out var malformed) is not { } expected)
        {
            return malformed!;
        }

        var outcome = await delete(expected);
        return outcome.Refusal is { } refusal ? Refusal(context, refusal) : TypedResults.NoContent();
    }

    /// <summary>
    /// The error answer of a refused write: 404, 403, 409 (<c>RESOURCE_ALREADY_EXISTS</c>, <c>RESOURCE_CONFLICT</c> or
    /// the module's own code), 412 with the current ETag, or 422 with the rule that refused it.
    /// </summary>
    public static JsonHttpResult<ErrorEnvelope> Refusal(HttpContext context, WriteRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(refusal);
        var details = refusal.Details.Select(e => new ErrorDetail(e.Field, e.Message, e.ExistingId)).ToList();
        switch (refusal.Status)
        {
            case WriteStatus.NotFound:
                return ApiErrors.Result(context, StatusCodes.Status404NotFound, ErrorCodes.ResourceNotFound, refusal.Message, details);
            case WriteStatus.Forbidden:
                return ApiErrors.Result(context, StatusCodes.Status403Forbidden, ErrorCodes.PermissionDenied, refusal.Message, details);
            case WriteStatus.Conflict:
                return ApiErrors.Result(context, StatusCodes.Status409Conflict, refusal.Code ?? ErrorCodes.ResourceConflict, refusal.Message, details);
            case WriteStatus.PreconditionFailed:
                var current = refusal.CurrentVersion ?? 0;
                // The current tag lets a client tell "changed since" from "wrong tag" without another round trip.
                EntityTags.Write(context.Response, current);
                return ApiErrors.Result(context, StatusCodes.Status412PreconditionFailed, ErrorCodes.PreconditionFailed, refusal.Message, [EntityTags.CurrentVersionDetail(current)]);
            case WriteStatus.Rejected:
                return ApiErrors.Result(context, StatusCodes.Status422UnprocessableEntity, refusal.Code ?? ErrorCodes.ValidationError, refusal.Message, details);
            default:
                throw new InvalidOperationException($"A write that was done has no refusal ({refusal.Status})");
        }
    }

    /// <summary>The versions a change may apply to, or the 400 for a malformed <c>If-Match</c>.</summary>
    private static ExpectedVersion? IfMatch(HttpContext context, out JsonHttpResult<ErrorEnvelope>? malformed)
    {
        var (expected, problem) = EntityTags.ReadIfMatch(context.Request);
        malformed = expected is null
            ? ApiErrors.Result(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "Malformed If-Match header", [problem!])
            : null;
        return expected;
    }
}
