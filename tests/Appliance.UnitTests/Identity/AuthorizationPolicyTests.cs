using System.Security.Claims;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Appliance.UnitTests.Identity;

/// <summary>The permission policies and the requirements' handler, without a server.</summary>
public sealed class AuthorizationPolicyTests
{
    private static CurrentUser Caller(string role, bool mfaSetupRequired = false, Guid? apiKey = null) =>
        new(Guid.NewGuid(), "x@test.example", role, Roles.PermissionsOf(role).ToHashSet(StringComparer.Ordinal), null, "jti", Guid.NewGuid(), DateTimeOffset.UtcNow.AddHours(1), mfaSetupRequired, apiKey);

    private static async Task<AuthorizationHandlerContext> DecideAsync(AuthorizationPolicy policy, CurrentUser? caller, Endpoint? endpoint)
    {
        var http = new DefaultHttpContext();
        if (endpoint is not null)
        {
            http.SetEndpoint(endpoint);
        }

        var user = caller is null ? new ClaimsPrincipal(new ClaimsIdentity()) : new ClaimsPrincipal(new CallerIdentity(caller, "Bearer"));
        var context = new AuthorizationHandlerContext(policy.Requirements, user, http);
        await new CallerRequirementsHandler().HandleAsync(context);
        foreach (var passThrough in policy.Requirements.OfType<IAuthorizationHandler>())
        {
            await passThrough.HandleAsync(context);
        }

        return context;
    }

    private static Endpoint Endpoint(params object[] metadata) => new(null, new EndpointMetadataCollection(metadata), "test");

    [Fact]
    public void Every_permission_of_the_matrix_has_a_policy_of_its_name()
    {
        var options = new AuthorizationOptions();
        options.AddPermissionPolicies();
        foreach (var permission in Permissions.All)
        {
            var policy = options.GetPolicy(permission);
            Assert.NotNull(policy);
            Assert.Equal(permission, Assert.Single(policy.Requirements.OfType<PermissionRequirement>().Single().AnyOf));
            Assert.Contains(policy.Requirements, r => r is MfaEnrolledRequirement);
        }
    }

    [Theory]
    [InlineData(Roles.TechnicianL1, Permissions.TicketCreate, true)]
    [InlineData(Roles.TechnicianL1, Permissions.UserManage, false)]
    [InlineData(Roles.CustomerAdmin, Permissions.CustomerView, false)]
    [InlineData(Roles.SystemAdmin, Permissions.ApiKeyManage, true)]
    public async Task A_permission_policy_follows_the_role_matrix(string role, string permission, bool allowed)
    {
        var decided = await DecideAsync(PermissionPolicies.AnyOf(permission), Caller(role), Endpoint());
        Assert.Equal(allowed, !decided.PendingRequirements.OfType<PermissionRequirement>().Any());
    }

    [Fact]
    public async Task Any_of_accepts_either_permission()
    {
        var view = PermissionPolicies.AnyOf(Permissions.TicketViewAll, Permissions.TicketViewOwn);
        Assert.Empty((await DecideAsync(view, Caller(Roles.CustomerAdmin), Endpoint())).PendingRequirements.OfType<PermissionRequirement>());
        Assert.Empty((await DecideAsync(view, Caller(Roles.TechnicianL1), Endpoint())).PendingRequirements.OfType<PermissionRequirement>());
    }

    [Fact]
    public async Task A_caller_confined_to_mfa_enrolment_passes_only_where_the_endpoint_allows_it()
    {
        var confined = Caller(Roles.SystemAdmin, mfaSetupRequired: true);
        Assert.Contains((await DecideAsync(PermissionPolicies.SignedIn, confined, Endpoint())).PendingRequirements, r => r is MfaEnrolledRequirement);
        Assert.DoesNotContain((await DecideAsync(PermissionPolicies.SignedIn, confined, Endpoint(AllowedDuringMfaSetup.Instance))).PendingRequirements, r => r is MfaEnrolledRequirement);
    }

    [Fact]
    public async Task Api_keys_never_meet_the_user_session_requirement()
    {
        Assert.Contains((await DecideAsync(PermissionPolicies.UserSession, Caller(Roles.SystemAdmin, apiKey: Guid.NewGuid()), Endpoint())).PendingRequirements, r => r is UserSessionRequirement);
        Assert.True((await DecideAsync(PermissionPolicies.UserSession, Caller(Roles.SystemAdmin), Endpoint())).HasSucceeded);
    }

    [Fact]
    public async Task The_fallback_needs_a_caller_on_an_endpoint_but_lets_an_unmatched_request_reach_its_404()
    {
        var options = new AuthorizationOptions();
        options.AddPermissionPolicies();
        var fallback = options.FallbackPolicy!;
        Assert.False((await DecideAsync(fallback, null, Endpoint())).HasSucceeded);
        Assert.True((await DecideAsync(fallback, null, null)).HasSucceeded);
        Assert.True((await DecideAsync(fallback, Caller(Roles.Billing), Endpoint())).HasSucceeded);
    }

    [Theory]
    [InlineData(true, false, Roles.TechnicianL1, Roles.TechnicianL1, false, true)]
    [InlineData(true, true, Roles.TechnicianL1, Roles.TechnicianL2, false, true)]
    [InlineData(true, true, Roles.CustomerAdmin, Roles.CustomerAdmin, true, true)]
    [InlineData(true, true, Roles.TechnicianL1, Roles.TechnicianL1, false, false)]
    [InlineData(false, true, Roles.TechnicianL1, Roles.TechnicianL1, false, false)]
    public void Deactivation_and_role_or_company_changes_end_access_tokens(bool activeBefore, bool activeAfter, string roleBefore, string roleAfter, bool customerChanged, bool ends)
    {
        var customer = Guid.NewGuid();
        var before = new User(Guid.NewGuid(), "u@test.example", "U", roleBefore, customer, "de", [], activeBefore, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var after = before with { IsActive = activeAfter, Role = roleAfter, CustomerId = customerChanged ? Guid.NewGuid() : customer, DisplayName = "Renamed" };
        Assert.Equal(ends, UserRules.EndsAccessTokens(before, after));
    }
}
