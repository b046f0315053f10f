using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Appliance.Api.Identity;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Http;

/// <summary>Builds the shaped form of a page of items, loading what <c>include</c> asks for once for the whole page.</summary>
public delegate Task<Func<T, JsonObject>> Shaper<T>(Representation representation, IReadOnlyList<T> items, CancellationToken cancellationToken);

/// <summary>
/// The HTTP side of a <see cref="VersionedStore{T,TData}"/>: <c>ETag</c> on every single-resource answer, <c>If-Match</c>
/// on every change, sparse fields and includes on reads, the caller as the audit actor. Modules keep their own
/// handlers (named, typed for the request delegate generator) and call these.
/// </summary>
public static class VersionedResources
{
    /// <summary>The signed-in caller, where the request came from, and its id: who the audit row and event name.</summary>
    public static AuditContext ChangeContext(HttpContext context) =>
        AuthApi.Audit(context, AuditActor.User(context.CurrentUser().Id));

    public static async Task<Results<Ok<ListResponse<T>>, Ok<ListResponse<JsonObject>>, JsonHttpResult<ErrorEnvelope>>> ListAsync<T>(
        HttpContext context, ListQuery query, Func<Task<Paged<T>>> read, Shaper<T> shaper, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(shaper);
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await read();
        if (query.Representation.IsFull)
        {
            var plain = query.ToResponse(context.Request, rows, item => item);
            return plain is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(plain);
        }

        var shape = await shaper(query.Representation, rows.Items, cancellationToken);
        var shaped = query.ToResponse(context.Request, rows, shape);
        return shaped is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(shaped);
    }

    public static async Task<Results<Ok<T>, Ok<JsonObject>, JsonHttpResult<ErrorEnvelope>>> GetAsync<T, TData>(
        HttpContext context, VersionedStore<T, TData> store, Guid id, string what, JsonTypeInfo<T> typeInfo, IReadOnlyCollection<string> includes, Shaper<T> shaper, CancellationToken cancellationToken)
        where T : class, IVersioned
        where TData : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(shaper);
        var errors = new List<ErrorDetail>();
        var representation = Representation.ParseSingle(context.Request, typeInfo, includes, errors);
        if (errors.Count > 0)
        {
            return ApiErrors.BadQuery(context, errors);
        }

        var entity = await store.GetAsync(id, cancellationToken);
        if (entity is null)
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

    public static Created<T> Created<T>(HttpContext context, string location, T entity)
        where T : IVersioned
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(entity);
        EntityTags.Write(context.Response, entity.Version);
        return TypedResults.Created(location, entity);
    }

    public static async Task<Results<Ok<T>, JsonHttpResult<ErrorEnvelope>>> UpdateAsync<T, TData>(
        HttpContext context, VersionedStore<T, TData> store, Guid id, string what, Func<T, TData> change, CancellationToken cancellationToken)
        where T : class, IVersioned
        where TData : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var (expected, error) = EntityTags.ReadIfMatch(context.Request);
        if (expected is null)
        {
            return MalformedIfMatch(context, error!);
        }

        var updated = await store.UpdateAsync(id, expected, change, ChangeContext(context), cancellationToken);
        if (updated is null)
        {
            return ApiErrors.NotFound(context, what);
        }

        EntityTags.Write(context.Response, updated.Version);
        return TypedResults.Ok(updated);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteAsync<T, TData>(
        HttpContext context, VersionedStore<T, TData> store, Guid id, string what, CancellationToken cancellationToken)
        where T : class, IVersioned
        where TData : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var (expected, error) = EntityTags.ReadIfMatch(context.Request);
        if (expected is null)
        {
            return MalformedIfMatch(context, error!);
        }

        return await store.DeleteAsync(id, expected, ChangeContext(context), cancellationToken) ? TypedResults.NoContent() : ApiErrors.NotFound(context, what);
    }

    private static JsonHttpResult<ErrorEnvelope> MalformedIfMatch(HttpContext context, ErrorDetail error) =>
        ApiErrors.Result(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "Malformed If-Match header", [error]);
}
