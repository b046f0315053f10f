using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Crm;

/// <summary>The role matrix on every CRM endpoint: who may read, change and delete customers, contacts and sites.</summary>
public sealed class CrmAccessTests : IAsyncLifetime
{
    private ApiServer _api = null!;
    private Guid _customer;
    private Guid _contact;
    private Guid _site;

    public async Task InitializeAsync()
    {
        _api = await ApiServer.StartAsync();
        _customer = (await Crm.CreateAsync(_api.Client, "/api/v1/customers", """{"name":"Zugriff GmbH"}""")).Id;
        _contact = (await Crm.CreateAsync(_api.Client, $"/api/v1/customers/{_customer}/contacts", """{"last_name":"Zugriff"}""")).Id;
        _site = (await Crm.CreateAsync(_api.Client, $"/api/v1/customers/{_customer}/sites", """{"name":"Zugriffssitz"}""")).Id;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private string Url(string template) => template.Replace("{c}", _customer.ToString(), StringComparison.Ordinal)
        .Replace("{p}", _contact.ToString(), StringComparison.Ordinal).Replace("{s}", _site.ToString(), StringComparison.Ordinal);

    public static TheoryData<string, string, string> Forbidden() => new()
    {
        { Roles.CustomerAdmin, "GET", "/api/v1/customers/{c}" },
        { Roles.CustomerAdmin, "GET", "/api/v1/customers/{c}/contacts" },
        { Roles.CustomerAdmin, "GET", "/api/v1/contacts" },
        { Roles.CustomerAdmin, "GET", "/api/v1/sites/{s}" },
        { Roles.TechnicianL1, "POST", "/api/v1/customers" },
        { Roles.TechnicianL2, "PATCH", "/api/v1/customers/{c}" },
        { Roles.TechnicianL2, "DELETE", "/api/v1/customers/{c}" },
        { Roles.TechnicianL1, "POST", "/api/v1/customers/{c}/contacts" },
        { Roles.TechnicianL1, "PATCH", "/api/v1/contacts/{p}" },
        { Roles.TechnicianL2, "DELETE", "/api/v1/sites/{s}" },
        { Roles.Billing, "PATCH", "/api/v1/customers/{c}" },
        { Roles.Billing, "DELETE", "/api/v1/contacts/{p}" },
        { Roles.Billing, "POST", "/api/v1/customers/{c}/sites" },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public async Task Forbidden_calls_are_403_and_write_nothing(string role, string method, string template)
    {
        var user = await _api.CreateUserAsync(role, role == Roles.CustomerAdmin ? _customer : null);
        using var client = _api.ClientFor(user);
        var before = await Crm.FootprintAsync(_api);
        var answer = await Crm.SendAsync(client, new HttpMethod(method), Url(template), method is "POST" or "PATCH" ? """{"name":"Hack","last_name":"Hack"}""" : null);
        var error = await ApiServer.AssertErrorAsync(answer.Response, 403, "PERMISSION_DENIED");
        Assert.Contains(role, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Theory]
    [InlineData(Roles.TechnicianL1)]
    [InlineData(Roles.TechnicianL2)]
    [InlineData(Roles.Billing)]
    [InlineData(Roles.ServiceManager)]
    public async Task Staff_with_customer_view_read_every_crm_resource(string role)
    {
        using var client = _api.ClientFor(await _api.CreateUserAsync(role));
        foreach (var url in new[] { "/api/v1/customers", "/api/v1/customers/{c}", "/api/v1/customers/{c}/contacts", "/api/v1/customers/{c}/sites", "/api/v1/contacts", "/api/v1/contacts/{p}", "/api/v1/sites", "/api/v1/sites/{s}" })
        {
            Assert.Equal(200, (await Crm.GetAsync(client, Url(url))).Status);
        }
    }

    [Fact]
    public async Task A_service_manager_creates_changes_and_deletes_and_is_the_audited_actor()
    {
        var manager = await _api.CreateUserAsync(Roles.ServiceManager);
        using var client = _api.ClientFor(manager);
        var customer = await Crm.CreateAsync(client, "/api/v1/customers", """{"name":"Manager GmbH"}""");
        var contact = await Crm.CreateAsync(client, $"/api/v1/customers/{customer.Id}/contacts", """{"last_name":"Manager"}""");
        Assert.Equal(200, (await Crm.PatchAsync(client, $"/api/v1/contacts/{contact.Id}", """{"role":"Chefin"}""")).Status);
        Assert.Equal(200, (await Crm.PatchAsync(client, $"/api/v1/customers/{customer.Id}", """{"notes":"geprüft"}""")).Status);
        Assert.Equal(204, (await Crm.DeleteAsync(client, $"/api/v1/customers/{customer.Id}")).Status);
        Assert.Equal(6, await Crm.CountAsync(_api, "SELECT count(*) FROM audit_log WHERE actor_id = @a AND entity_type IN ('customer', 'contact')", ("a", manager.Id.ToString())));
        Assert.Equal(6, await Crm.CountAsync(_api, "SELECT count(*) FROM outbox_events WHERE actor_id = @a", ("a", manager.Id.ToString())));
    }

    [Fact]
    public async Task Without_a_token_every_crm_endpoint_is_401()
    {
        foreach (var url in new[] { "/api/v1/customers", "/api/v1/contacts/{p}", "/api/v1/sites" })
        {
            await ApiServer.AssertErrorAsync((await Crm.GetAsync(_api.Anonymous, Url(url))).Response, 401, "AUTHENTICATION_REQUIRED");
        }
    }
}
