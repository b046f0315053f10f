using Appliance.Api.Http;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Identity;

public sealed class CreateApiKeyRequest
{
    public string? Name { get; set; }

    public List<string>? Permissions { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <param name="Key">The full key, shown this once; only its prefix and a hash of its secret are kept.</param>
/// <param name="ApiKey">The stored key as lists show it.</param>
public sealed record CreatedApiKeyResponse(string Key, ApiKey ApiKey);

/// <summary>
/// API keys for integrations (system admins): created with a subset of the creator's permissions, shown once, listed
/// with their prefix, revoked. Managing keys needs a signed-in admin; a key cannot manage keys.
/// </summary>
public static class ApiKeysApi
{
    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.OneOf("status", ApiKeyStore.Statuses, "Keys in this state"),
        QueryFilter.Search("Words matched against the key's name and prefix"));

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/api-keys").WithTags("API keys");
        group.MapGet(string.Empty, ListApiKeys).WithName("ListApiKeys").WithSummary("List API keys (filters: status, search)").RequireAuthorization(Permissions.ApiKeyManage).RequireUserSession();
        group.MapGet("/{id:guid}", GetApiKey).WithName("GetApiKey").WithSummary("One API key (never its secret)").RequireAuthorization(Permissions.ApiKeyManage).RequireUserSession();
        group.MapPost(string.Empty, CreateApiKey).WithName("CreateApiKey").WithSummary("Create an API key; the answer shows the key once").RequireAuthorization(Permissions.ApiKeyManage).RequireUserSession();
        group.MapDelete("/{id:guid}", RevokeApiKey).WithName("RevokeApiKey").WithSummary("Revoke an API key (204 also when it already was)").RequireAuthorization(Permissions.ApiKeyManage).RequireUserSession();
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<ApiKey>>, JsonHttpResult<ErrorEnvelope>>> ListApiKeys(HttpContext context, ApiKeyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. ApiKeyStore.SortColumns.Keys], ApiKeyStore.DefaultSort);
        var filter = new ApiKeyFilter(query.OneOf("status", ApiKeyStore.Statuses), query.Text("search"));
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await store.ListAsync(filter, query.Sort, query.Page, cancellationToken);
        var response = query.ToResponse(context.Request, rows, k => k);
        return response is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<ApiKey>, JsonHttpResult<ErrorEnvelope>>> GetApiKey(Guid id, HttpContext context, ApiKeyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = await store.GetAsync(id, cancellationToken);
        return key is null ? ApiErrors.NotFound(context, "API key") : TypedResults.Ok(key);
    }

    public static async Task<Results<Created<CreatedApiKeyResponse>, JsonHttpResult<ErrorEnvelope>>> CreateApiKey(CreateApiKeyRequest request, HttpContext context, ApiKeyStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        var current = context.CurrentUser();
        var valid = ApiKeyRules.ValidateNew(request.Name, request.Permissions, request.ExpiresAt, current.Permissions, time.GetUtcNow());
        var outcome = await store.CreateAsync(valid, context.Principal(), cancellationToken);
        return outcome.Value is { } created
            ? TypedResults.Created($"/api/v1/api-keys/{created.Key.Id}", new CreatedApiKeyResponse(created.Secret, created.Key))
            : VersionedResources.Refusal(context, outcome.Refusal!);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> RevokeApiKey(Guid id, HttpContext context, ApiKeyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var outcome = await store.RevokeAsync(id, context.Principal(), cancellationToken);
        return outcome.Refusal is { } refusal ? VersionedResources.Refusal(context, refusal) : TypedResults.NoContent();
    }
}
