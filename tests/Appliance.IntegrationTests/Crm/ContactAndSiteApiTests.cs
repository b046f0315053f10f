using System.Text.Json;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Crm;

/// <summary>Contacts and sites under their customer: create, read, change, delete, duplicates, the primary contact.</summary>
public sealed class ContactAndSiteApiTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private static string Email() => $"Person.{Guid.NewGuid():N}@Example.com";

    [Fact]
    public async Task A_contact_is_created_under_its_customer_and_read_by_its_own_id()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var email = Email();
        var created = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", $$"""
            {"first_name":"Anna","last_name":"Vogel","email":"{{email}}","phone":"+49 30 1234567","mobile":"0171 7654321","role":"IT-Leitung","notes":"bevorzugt Telefon"}
            """);
        Assert.Equal($"/api/v1/contacts/{created.Id}", created.Response.Headers.Location!.ToString());
        Assert.Equal("\"1\"", created.ETag);
        var read = await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{created.Id}");
        Assert.Equal(customer, read.Body.GetProperty("customer_id").GetGuid());
        Assert.Equal(email.ToLowerInvariant(), read.Body.GetProperty("email").GetString());
        Assert.Equal(("Anna", "Vogel", "IT-Leitung", false), (read.Body.GetProperty("first_name").GetString(), read.Body.GetProperty("last_name").GetString(), read.Body.GetProperty("role").GetString(), read.Body.GetProperty("is_primary").GetBoolean()));
        Assert.Equal(["created"], await Rest.AuditActionsAsync(_api.Client, "contact", created.Id.ToString(), "&sort=occurred_at&order=asc"));
        Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'contact.created' AND aggregate_id = @id", ("id", created.Id.ToString())));
    }

    [Fact]
    public async Task Adding_to_an_unknown_or_deleted_customer_is_404_and_writes_nothing()
    {
        var before = await Crm.FootprintAsync(_api);
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, $"/api/v1/customers/{Guid.NewGuid()}/contacts", """{"last_name":"Niemand"}""")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, $"/api/v1/customers/{Guid.NewGuid()}/sites", """{"name":"Nirgends"}""")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(before, await Crm.FootprintAsync(_api));

        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{customer}")).Status);
        before = await Crm.FootprintAsync(_api);
        var error = await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"Spät"}""")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal("Customer not found", error.GetProperty("message").GetString());
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Fact]
    public async Task Invalid_contacts_and_sites_are_422_with_field_details_and_nothing_written()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var before = await Crm.FootprintAsync(_api);
        var contact = await Rest.PostAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"first_name":"","email":"kein-mail","phone":"x"}""");
        Assert.Equal(["last_name", "email", "phone"], Rest.DetailFields(await ApiServer.AssertErrorAsync(contact.Response, 422, "VALIDATION_ERROR")));
        var site = await Rest.PostAsync(_api.Client, $"/api/v1/customers/{customer}/sites", """{"name":"X","country":"Germany"}""");
        Assert.Equal(["name", "country"], Rest.DetailFields(await ApiServer.AssertErrorAsync(site.Response, 422, "VALIDATION_ERROR")));
        var unknown = await Rest.PostAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"X","customer_id":"00000000-0000-0000-0000-000000000000"}""");
        Assert.Equal(["customer_id"], Rest.DetailFields(await ApiServer.AssertErrorAsync(unknown.Response, 400, "INVALID_INPUT")));
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Fact]
    public async Task Contact_emails_are_unique_case_insensitive_across_customers_until_deleted()
    {
        var email = Email();
        var first = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{(await Rest.CreateCustomerAsync(_api.Client)).Id}/contacts", $$"""{"last_name":"Erster","email":"{{email}}"}""");
        var otherCustomer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var before = await Crm.FootprintAsync(_api);
        var duplicate = await Rest.PostAsync(_api.Client, $"/api/v1/customers/{otherCustomer}/contacts", $$"""{"last_name":"Zweiter","email":"{{email.ToUpperInvariant()}}"}""");
        var error = await ApiServer.AssertErrorAsync(duplicate.Response, 409, "RESOURCE_ALREADY_EXISTS");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal(("email", first.Id), (detail.GetProperty("field").GetString(), detail.GetProperty("existing_id").GetGuid()));
        Assert.Equal(before, await Crm.FootprintAsync(_api));

        var second = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{otherCustomer}/contacts", """{"last_name":"Zweiter"}""");
        var patch = await Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{second.Id}", $$"""{"email":"{{email}}"}""");
        Assert.Equal(first.Id, (await ApiServer.AssertErrorAsync(patch.Response, 409, "RESOURCE_ALREADY_EXISTS")).GetProperty("details")[0].GetProperty("existing_id").GetGuid());

        Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, $"/api/v1/contacts/{first.Id}")).Status);
        Assert.Equal(200, (await Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{second.Id}", $$"""{"email":"{{email}}"}""")).Status);
        Assert.Equal(["created", "deleted"], await Rest.AuditActionsAsync(_api.Client, "contact", first.Id.ToString(), "&sort=occurred_at&order=asc"));
    }

    [Fact]
    public async Task Contacts_without_email_do_not_collide()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"Ohne"}""");
        await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"Ohne"}""");
    }

    [Fact]
    public async Task Making_a_contact_primary_clears_the_previous_primary_with_its_own_audit_row_and_event()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var first = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"Alt","is_primary":true}""");
        var second = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"Neu","is_primary":true}""");
        var old = await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{first.Id}");
        Assert.False(old.Body.GetProperty("is_primary").GetBoolean());
        Assert.Equal("\"2\"", old.ETag);
        Assert.Equal(["created", "updated"], await Rest.AuditActionsAsync(_api.Client, "contact", first.Id.ToString(), "&sort=occurred_at&order=asc"));
        Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'contact.updated' AND aggregate_id = @id AND payload->'changed_fields' = '[\"is_primary\"]'::jsonb", ("id", first.Id.ToString())));

        Assert.Equal(200, (await Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{first.Id}", """{"is_primary":true}""", "\"2\"")).Status);
        Assert.False((await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{second.Id}")).Body.GetProperty("is_primary").GetBoolean());
        var primaries = await Rest.GetAsync(_api.Client, $"/api/v1/customers/{customer}/contacts?is_primary=true");
        Assert.Equal(first.Id, Assert.Single(primaries.Body.GetProperty("data").EnumerateArray()).GetProperty("id").GetGuid());

        // A primary in another customer is not touched.
        var elsewhere = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{(await Rest.CreateCustomerAsync(_api.Client)).Id}/contacts", """{"last_name":"Woanders","is_primary":true}""");
        Assert.True((await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{first.Id}")).Body.GetProperty("is_primary").GetBoolean());
        Assert.True(elsewhere.Body.GetProperty("is_primary").GetBoolean());
    }

    [Fact]
    public async Task Contact_patch_clears_optional_fields_with_null_and_keeps_the_rest()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var contact = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", $$"""{"first_name":"Eva","last_name":"Lang","email":"{{Email()}}","phone":"030 123456"}""");
        var patched = await Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{contact.Id}", """{"email":null,"role":"Buchhaltung"}""", contact.ETag);
        Assert.Equal(JsonValueKind.Null, patched.Body.GetProperty("email").ValueKind);
        Assert.Equal(("Eva", "030 123456", "Buchhaltung"), (patched.Body.GetProperty("first_name").GetString(), patched.Body.GetProperty("phone").GetString(), patched.Body.GetProperty("role").GetString()));
        var error = await ApiServer.AssertErrorAsync((await Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{contact.Id}", """{"last_name":null}""")).Response, 422, "VALIDATION_ERROR");
        Assert.Equal(["last_name"], Rest.DetailFields(error));
    }

    [Fact]
    public async Task Site_names_are_unique_per_customer_only()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var first = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/sites", """{"name":"Hauptsitz","street":"Markt 1","postal_code":"53111","city":"Bonn"}""");
        Assert.Equal($"/api/v1/sites/{first.Id}", first.Response.Headers.Location!.ToString());
        var error = await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, $"/api/v1/customers/{customer}/sites", """{"name":"HAUPTSITZ"}""")).Response, 409, "RESOURCE_ALREADY_EXISTS");
        Assert.Equal(first.Id, error.GetProperty("details")[0].GetProperty("existing_id").GetGuid());
        await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{(await Rest.CreateCustomerAsync(_api.Client)).Id}/sites", """{"name":"Hauptsitz"}""");

        var patched = await Rest.PatchAsync(_api.Client, $"/api/v1/sites/{first.Id}", """{"city":"Köln","postal_code":null}""", first.ETag);
        Assert.Equal(("Köln", JsonValueKind.Null, "Markt 1"), (patched.Body.GetProperty("city").GetString(), patched.Body.GetProperty("postal_code").ValueKind, patched.Body.GetProperty("street").GetString()));
        Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, $"/api/v1/sites/{first.Id}", patched.ETag)).Status);
        await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/sites", """{"name":"Hauptsitz"}""");
        Assert.Equal(["created", "updated", "deleted"], await Rest.AuditActionsAsync(_api.Client, "site", first.Id.ToString(), "&sort=occurred_at&order=asc"));
    }

    [Fact]
    public async Task Include_customer_embeds_the_owner_on_reads_and_lists()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client)).Id;
        var contact = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/contacts", """{"last_name":"Mit"}""");
        await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer}/sites", """{"name":"Mitsitz"}""");
        var one = await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{contact.Id}?include=customer&fields=last_name");
        Assert.Equal(["id", "last_name", "customer"], one.Body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(customer, one.Body.GetProperty("customer").GetProperty("id").GetGuid());
        var sites = await Rest.GetAsync(_api.Client, $"/api/v1/sites?customer_id={customer}&include=customer");
        Assert.Equal(customer, sites.Body.GetProperty("data")[0].GetProperty("customer").GetProperty("id").GetGuid());
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{contact.Id}?include=sites")).Response, 400, "VALIDATION_ERROR");
    }
}
