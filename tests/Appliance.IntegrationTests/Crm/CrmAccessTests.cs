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
        _customer = (await Rest.CreateAsync(_api.Client, "/api/v1/customers", """{"name":"Zugriff GmbH"}""")).Id;
        _contact = (await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{_customer}/contacts", """{"last_name":"Zugriff"}""")).Id;
        _site = (await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{_customer}/sites", """{"name":"Zugriffssitz"}""")).Id;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private string Url(string template) => template.Replace("{c}", _customer.ToString(), StringComparison.Ordinal)
        .Replace("{p}", _contact.ToString(), StringComparison.Ordinal).Replace("{s}", _site.ToString(), StringComparison.Ordinal);

    [Fact]
    public async Task A_service_manager_creates_changes_and_deletes_and_is_the_audited_actor()
    {
        var manager = await _api.CreateUserAsync(Roles.ServiceManager);
        using var client = _api.ClientFor(manager);
        var customer = await Rest.CreateAsync(client, "/api/v1/customers", """{"name":"Manager GmbH"}""");
        var contact = await Rest.CreateAsync(client, $"/api/v1/customers/{customer.Id}/contacts", """{"last_name":"Manager"}""");
        Assert.Equal(200, (await Rest.PatchAsync(client, $"/api/v1/contacts/{contact.Id}", """{"role":"Chefin"}""")).Status);
        Assert.Equal(200, (await Rest.PatchAsync(client, $"/api/v1/customers/{customer.Id}", """{"notes":"geprüft"}""")).Status);
        Assert.Equal(204, (await Rest.DeleteAsync(client, $"/api/v1/customers/{customer.Id}")).Status);
        Assert.Equal(6, await _api.Db.CountAsync("SELECT count(*) FROM audit_log WHERE actor_id = @a AND entity_type IN ('customer', 'contact')", ("a", manager.Id.ToString())));
        Assert.Equal(6, await _api.Db.CountAsync("SELECT count(*) FROM outbox_events WHERE actor_id = @a", ("a", manager.Id.ToString())));
    }

    [Fact]
    public async Task Without_a_token_every_crm_endpoint_is_401()
    {
        foreach (var url in new[] { "/api/v1/customers", "/api/v1/contacts/{p}", "/api/v1/sites" })
        {
            await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Anonymous, Url(url))).Response, 401, "AUTHENTICATION_REQUIRED");
        }
    }
}
