using Appliance.Api.Http;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Identity;

public sealed class CreateUserRequest
{
    public string? Email { get; set; }

    public string? DisplayName { get; set; }

    public string? Role { get; set; }

    public Guid? CustomerId { get; set; }

    public string? Language { get; set; }

    public List<string>? Skills { get; set; }

    public string? Password { get; set; }
}

public sealed class UpdateUserRequest
{
    public string? DisplayName { get; set; }

    public string? Role { get; set; }

    public Guid? CustomerId { get; set; }

    /// <summary>True when the body names <c>customer_id</c> (null then clears it).</summary>
    public bool? ClearCustomer { get; set; }

    public string? Language { get; set; }

    public List<string>? Skills { get; set; }

    public bool? IsActive { get; set; }
}

/// <summary>User administration (system admins; service managers may look).</summary>
public static class UsersApi
{
    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.OneOf("role", Roles.All, "Users with this role"),
        QueryFilter.Boolean("is_active", "Active (true) or deactivated (false) users"),
        QueryFilter.Search("Words matched against the user's name and email"));

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/users").WithTags("Users");
        group.MapGet(string.Empty, ListUsers).WithName("ListUsers").WithSummary("List users (filters: role, is_active, search)").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.UserView, Permissions.UserManage));
        group.MapGet("/{id:guid}", GetUser).WithName("GetUser").WithSummary("One user").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.UserView, Permissions.UserManage));
        group.MapPost(string.Empty, CreateUser).WithName("CreateUser").WithSummary("Create a user").RequireAuthorization(Permissions.UserManage);
        group.MapPatch("/{id:guid}", UpdateUser).WithName("UpdateUser").WithSummary("Change a user's name, role, language, skills or active flag").RequireAuthorization(Permissions.UserManage);
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<User>>, JsonHttpResult<ErrorEnvelope>>> ListUsers(HttpContext context, UserStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. UserStore.SortColumns.Keys], UserStore.DefaultSort);
        var filter = new UserFilter(query.OneOf("role", Roles.All), query.Boolean("is_active"), query.Text("search"));
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await store.ListAsync(filter, query.Sort, query.Page, cancellationToken);
        var response = query.ToResponse(context.Request, rows, u => u);
        return response is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<User>, JsonHttpResult<ErrorEnvelope>>> GetUser(Guid id, HttpContext context, UserStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var user = await store.GetAsync(id, cancellationToken);
        return user is null ? ApiErrors.NotFound(context, "User") : TypedResults.Ok(user);
    }

    public static async Task<Results<Created<User>, JsonHttpResult<ErrorEnvelope>>> CreateUser(CreateUserRequest request, HttpContext context, UserStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var valid = UserRules.ValidateNew(request.Email, request.DisplayName, request.Role, request.CustomerId, request.Language, request.Skills, request.Password);
        var outcome = await store.CreateAsync(valid, context.Principal(), cancellationToken);
        return outcome.Value is { } user ? TypedResults.Created($"/api/v1/users/{user.Id}", user) : VersionedResources.Refusal(context, outcome.Refusal!);
    }

    public static async Task<Results<Ok<User>, JsonHttpResult<ErrorEnvelope>>> UpdateUser(
        Guid id, UpdateUserRequest request, HttpContext context, UserStore store, TokenRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(revocation);
        var changes = new UserChanges(request.DisplayName, request.Role, request.CustomerId, request.CustomerId is not null || request.ClearCustomer == true, request.Language, request.Skills, request.IsActive);
        var before = await store.GetAsync(id, cancellationToken);
        var outcome = await store.UpdateAsync(id, changes, context.Principal(), cancellationToken);
        if (outcome.Value is not { } user)
        {
            return VersionedResources.Refusal(context, outcome.Refusal!);
        }

        if (before is not null && UserRules.EndsAccessTokens(before, user))
        {
            // Access tokens carry the role and company; they must not outlive a change of either, or a deactivation.
            await revocation.EndUserTokensAsync(id, cancellationToken);
        }

        return TypedResults.Ok(user);
    }
}
