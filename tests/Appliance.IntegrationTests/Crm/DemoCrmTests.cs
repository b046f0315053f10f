using Appliance.Domain.Demo;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Crm;

/// <summary>The demo MSP has customers with addresses, contacts (one primary each) and sites that pass the CRM rules.</summary>
public sealed class DemoCrmTests
{
    [Fact]
    public async Task Demo_customers_have_valid_contacts_and_sites()
    {
        await using var api = await ApiServer.StartAsync();
        var result = await new DemoSeeder(api.Database!.DataSource).SeedAsync("demo.admin@demo-msp.example", "a-long-demo-password", CancellationToken.None);
        Assert.True(result.Seeded);
        Assert.Equal((5, 10, 7), (result.Customers, result.Contacts, result.Sites));

        var list = await Rest.GetAsync(api.Client, "/api/v1/customers?include=contacts,sites&limit=100");
        var customers = list.Body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(5, customers.Count);
        foreach (var customer in customers)
        {
            Assert.False(string.IsNullOrEmpty(customer.GetProperty("city").GetString()));
            var contacts = customer.GetProperty("contacts").EnumerateArray().ToList();
            Assert.Single(contacts, c => c.GetProperty("is_primary").GetBoolean());
            Assert.NotEmpty(customer.GetProperty("sites").EnumerateArray());

            // An empty PATCH re-validates the stored values with the API's rules and changes nothing.
            Assert.Equal(200, (await Rest.PatchAsync(api.Client, $"/api/v1/customers/{customer.GetProperty("id").GetGuid()}", "{}")).Status);
            foreach (var contact in contacts)
            {
                Assert.Equal(200, (await Rest.PatchAsync(api.Client, $"/api/v1/contacts/{contact.GetProperty("id").GetGuid()}", "{}")).Status);
            }

            foreach (var site in customer.GetProperty("sites").EnumerateArray())
            {
                Assert.Equal(200, (await Rest.PatchAsync(api.Client, $"/api/v1/sites/{site.GetProperty("id").GetGuid()}", "{}")).Status);
            }
        }

        Assert.Equal(0, await api.Db.CountAsync("SELECT count(*) FROM outbox_events"));
    }
}
