using System.Text.RegularExpressions;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Api;
using Appliance.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;

namespace Appliance.IntegrationTests.Identity;

/// <summary>One API for the whole access table (every case works on records of its own).</summary>
public sealed class AccessMatrixFixture : IAsyncLifetime
{
    public ApiServer Api { get; private set; } = null!;

    public async Task InitializeAsync() => Api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await Api.DisposeAsync();
}

/// <summary>
/// <see cref="AccessMatrix"/> against the real API: every route for every role, on fresh records. Allowed roles get the
/// route's answer; every other role gets 403 PERMISSION_DENIED naming the role, and nothing in the database changes.
/// </summary>
public sealed class AccessMatrixTests(AccessMatrixFixture fixture) : IClassFixture<AccessMatrixFixture>
{
    private readonly ApiServer _api = fixture.Api;

    [Theory]
    [MemberData(nameof(AccessMatrix.Cases), MemberType = typeof(AccessMatrix))]
    public async Task Each_role_gets_what_the_access_table_says(string route, string role)
    {
        var access = AccessMatrix.Find(route);
        var customer = await _api.Db.CustomerAsync("Zugriff");
        var caller = await _api.CreateUserAsync(role, role == Roles.CustomerAdmin ? customer : null);
        var url = await FillAsync(access.Route, customer, caller);
        var body = access.Body is null ? null : await FillAsync(access.Body, customer, caller);
        using var client = _api.ClientFor(caller);

        var before = await FootprintAsync();
        var answer = await Rest.SendAsync(client, new HttpMethod(access.Method), url, body);
        if (access.Allowed.Contains(role))
        {
            Assert.True(answer.Status == access.Status, $"{access.Method} {url} as {role}: expected {access.Status}, got {answer.Status} {answer.Body}");
            return;
        }

        var error = await ApiServer.AssertErrorAsync(answer.Response, 403, "PERMISSION_DENIED");
        if (access.RefusedByHandler?.Contains(role) != true)
        {
            Assert.Contains(role, error.GetProperty("message").GetString(), StringComparison.Ordinal);

            // The permission is checked before the body is read: an empty one is refused the same way, not as invalid.
            if (body is not null)
            {
                await ApiServer.AssertErrorAsync((await Rest.SendAsync(client, new HttpMethod(access.Method), url, "{}")).Response, 403, "PERMISSION_DENIED");
            }
        }

        Assert.Equal(before, await FootprintAsync());
    }

    [Fact]
    public void The_table_names_every_role_it_allows_and_each_route_once()
    {
        Assert.All(AccessMatrix.Routes, r => Assert.All(r.Allowed.Concat(r.RefusedByHandler ?? []), role => Assert.True(Roles.IsKnown(role), $"{r}: unknown role {role}")));
        Assert.All(AccessMatrix.Routes, r => Assert.Empty(r.Allowed.Intersect(r.RefusedByHandler ?? [])));
        Assert.Equal(AccessMatrix.Routes.Count, AccessMatrix.Routes.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void Every_route_guarded_by_a_permission_is_a_row_or_says_where_it_is_tested()
    {
        static string Shape(string route) => Regex.Replace(route, "{[^}]+}", "{}").TrimEnd('/');
        var guarded = OpenApiTests.MappedEndpoints(_api)
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is { } policy && Permissions.All.Contains(policy))
                || e.Metadata.GetOrderedMetadata<AuthorizationPolicy>().SelectMany(p => p.Requirements).OfType<PermissionRequirement>().Any())
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(method => Shape($"{method} {e.RoutePattern.RawText}")))
            .ToHashSet(StringComparer.Ordinal);
        var listed = AccessMatrix.Routes.Select(r => r.Key).Concat(AccessMatrix.TestedElsewhere.Keys).Select(Shape).ToHashSet(StringComparer.Ordinal);
        var missing = guarded.Except(listed).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "guarded, yet neither a row nor tested elsewhere: " + string.Join(", ", missing));
        var gone = listed.Except(guarded).Order(StringComparer.Ordinal).ToList();
        Assert.True(gone.Count == 0, "listed, yet no such guarded route: " + string.Join(", ", gone));
    }

    /// <summary>The placeholders of <paramref name="template"/>, each with a record made for this case only.</summary>
    private async Task<string> FillAsync(string template, Guid customer, User caller)
    {
        var technician = caller.Role is Roles.TechnicianL1 or Roles.TechnicianL2;
        var text = template.Replace("{customer}", customer.ToString(), StringComparison.Ordinal)
            .Replace("{unique}", Guid.NewGuid().ToString("N")[..12], StringComparison.Ordinal);
        if (text.Contains("{contact}", StringComparison.Ordinal))
        {
            text = text.Replace("{contact}", (await _api.Db.ContactAsync(customer)).ToString(), StringComparison.Ordinal);
        }

        if (text.Contains("{site}", StringComparison.Ordinal))
        {
            text = text.Replace("{site}", (await _api.Db.SiteAsync(customer)).ToString(), StringComparison.Ordinal);
        }

        if (text.Contains("{ticket}", StringComparison.Ordinal) || text.Contains("{entry}", StringComparison.Ordinal))
        {
            // Technicians may change only the tickets assigned to them: that resource rule is not what this table is about.
            var ticket = technician
                ? await _api.Db.TicketAsync(customer, "assigned", caller.Id)
                : await _api.Db.TicketAsync(customer);
            text = text.Replace("{ticket}", ticket.ToString(), StringComparison.Ordinal);
            if (text.Contains("{entry}", StringComparison.Ordinal))
            {
                var entry = await _api.Db.TimeEntryAsync(ticket, technician ? caller.Id : _api.AdminId);
                text = text.Replace("{entry}", entry.ToString(), StringComparison.Ordinal);
            }
        }

        if (text.Contains("{default-policy}", StringComparison.Ordinal))
        {
            var standard = await _api.Db.ScalarAsync<Guid>("SELECT id FROM sla_policies WHERE is_default");
            text = text.Replace("{default-policy}", standard.ToString(), StringComparison.Ordinal);
        }

        if (text.Contains("{policy}", StringComparison.Ordinal))
        {
            text = text.Replace("{policy}", (await _api.Db.AlwaysOpenPolicyAsync()).ToString(), StringComparison.Ordinal);
        }

        if (text.Contains("{user}", StringComparison.Ordinal))
        {
            text = text.Replace("{user}", (await _api.CreateUserAsync(Roles.TechnicianL2)).Id.ToString(), StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>A digest of every row of every table: equal before and after means the request wrote nothing.</summary>
    private async Task<string> FootprintAsync()
    {
        var tables = await _api.Db.StringsAsync("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1");
        var digest = string.Join(" UNION ALL ", tables.Select(t => $"SELECT '{t}' || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM \"{t}\" x"));
        return string.Join('\n', await _api.Db.StringsAsync(digest));
    }
}
