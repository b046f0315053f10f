using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Crm;

/// <summary>The list conventions on the CRM collections: filters, multi-field sort, sparse fields, include, paging.</summary>
public sealed class CrmListTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiServer.StartAsync();
        // 30 customers: every third English, every fifth inactive, created one day apart; two contacts and one site each.
        await using var command = _api.Database!.DataSource.CreateCommand("""
            INSERT INTO customers (customer_number, name, language, is_active, city, created_at, updated_at)
            SELECT 'L-' || lpad(i::text, 3, '0'), 'Firma ' || chr(64 + (i % 26) + 1) || ' ' || lpad(i::text, 3, '0'),
                   CASE WHEN i % 3 = 0 THEN 'en' ELSE 'de' END, i % 5 <> 0, 'Stadt ' || (i % 4),
                   timestamptz '2025-01-01 00:00:00+00' + make_interval(days => i), timestamptz '2025-06-01 00:00:00+00' - make_interval(days => i)
              FROM generate_series(1, 30) AS i;
            INSERT INTO contacts (customer_id, first_name, last_name, email, is_primary)
            SELECT c.id, 'Vorname' || n, 'Nachname ' || c.customer_number, lower(c.customer_number) || '.' || n || '@example.com', n = 1
              FROM customers c CROSS JOIN generate_series(1, 2) AS n;
            INSERT INTO sites (customer_id, name, city, country)
            SELECT id, 'Sitz ' || customer_number, 'Ort ' || customer_number, CASE WHEN language = 'en' THEN 'GB' ELSE 'DE' END FROM customers;
            """);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData("/api/v1/customers?is_active=false", 6)]
    [InlineData("/api/v1/customers?language=en", 10)]
    [InlineData("/api/v1/customers?language=en&is_active=false", 2)]
    [InlineData("/api/v1/customers?search=firma%20b", 2)]
    [InlineData("/api/v1/customers?search=L-00", 9)]
    [InlineData("/api/v1/customers?search=L-1", 0)]
    [InlineData("/api/v1/customers?created_after=2025-01-21", 11)]
    [InlineData("/api/v1/customers?created_after=2025-01-11&created_before=2025-01-21", 10)]
    [InlineData("/api/v1/customers?created_before=2025-01-05T12:00:00%2B02:00", 4)]
    [InlineData("/api/v1/contacts?search=vorname1", 30)]
    [InlineData("/api/v1/contacts?search=l-007.2%40", 1)]
    [InlineData("/api/v1/contacts?search=Nachname%20L-01", 20)]
    [InlineData("/api/v1/contacts?is_primary=true", 30)]
    [InlineData("/api/v1/sites?country=gb", 10)]
    [InlineData("/api/v1/sites?search=ort%20l-03", 1)]
    public async Task Filters_count_what_they_match(string url, long expected) =>
        Assert.Equal(expected, Rest.Total(await Rest.GetOkAsync(_api.Client, url)));

    [Fact]
    public async Task The_number_search_matches_from_its_start_the_name_anywhere()
    {
        var byNumber = Rest.Data(await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=L-012"));
        Assert.Equal("L-012", Assert.Single(byNumber).GetProperty("customer_number").GetString());
        Assert.Equal(0, Rest.Total(await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=-012")));
        Assert.Equal(1, Rest.Total(await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=012")));
    }

    [Fact]
    public async Task Multi_field_sort_orders_by_each_key_in_turn()
    {
        var rows = Rest.Data(await Rest.GetOkAsync(_api.Client, "/api/v1/customers?sort=-name,customer_number&limit=100"));
        Assert.Equal(rows.Select(r => r.GetProperty("name").GetString()).Order(StringComparer.OrdinalIgnoreCase).Reverse(), rows.Select(r => r.GetProperty("name").GetString()));
        var byUpdated = Rest.Data(await Rest.GetOkAsync(_api.Client, "/api/v1/customers?sort=updated_at&order=asc&limit=3"));
        Assert.Equal(["L-030", "L-029", "L-028"], byUpdated.Select(r => r.GetProperty("customer_number").GetString()));
        var contacts = Rest.Data(await Rest.GetOkAsync(_api.Client, "/api/v1/contacts?sort=last_name,first_name&order=desc,asc&limit=4"));
        Assert.Equal(["l-030.1@example.com", "l-030.2@example.com", "l-029.1@example.com", "l-029.2@example.com"], contacts.Select(c => c.GetProperty("email").GetString()));
        var sites = Rest.Data(await Rest.GetOkAsync(_api.Client, "/api/v1/sites?sort=city&limit=1"));
        Assert.Equal("Ort L-001", sites[0].GetProperty("city").GetString());
    }

    [Fact]
    public async Task Sparse_fields_keep_only_the_named_fields_and_id_and_links_keep_them()
    {
        var body = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?fields=name,customer_number&sort=customer_number&limit=10&page=2");
        var rows = Rest.Data(body);
        Assert.Equal(10, rows.Count);
        Assert.All(rows, r => Assert.Equal(["id", "customer_number", "name"], r.EnumerateObject().Select(p => p.Name)));
        Assert.Equal("L-011", rows[0].GetProperty("customer_number").GetString());
        Assert.Equal(30, Rest.Total(body));
        var links = body.GetProperty("links");
        Assert.Equal("/api/v1/customers?fields=name%2Ccustomer_number&limit=10&sort=customer_number&page=3", links.GetProperty("next").GetString());
        Assert.Equal("/api/v1/customers?fields=name%2Ccustomer_number&limit=10&sort=customer_number&page=1", links.GetProperty("prev").GetString());

        var one = await Rest.GetOkAsync(_api.Client, $"/api/v1/customers/{rows[0].GetProperty("id").GetGuid()}?fields=city");
        Assert.Equal(["id", "city"], one.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Include_embeds_contacts_and_sites_of_each_customer()
    {
        var body = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?include=contacts,sites&fields=customer_number&sort=customer_number&limit=3");
        foreach (var row in Rest.Data(body))
        {
            var number = row.GetProperty("customer_number").GetString()!;
            Assert.Equal(["id", "customer_number", "contacts", "sites"], row.EnumerateObject().Select(p => p.Name));
            var contacts = row.GetProperty("contacts").EnumerateArray().ToList();
            Assert.Equal(2, contacts.Count);
            Assert.True(contacts[0].GetProperty("is_primary").GetBoolean());
            Assert.All(contacts, c => Assert.Equal(row.GetProperty("id").GetGuid(), c.GetProperty("customer_id").GetGuid()));
            Assert.Equal("Sitz " + number, Assert.Single(row.GetProperty("sites").EnumerateArray()).GetProperty("name").GetString());
        }

        var id = Rest.Data(body)[0].GetProperty("id").GetGuid();
        var one = await Rest.GetOkAsync(_api.Client, $"/api/v1/customers/{id}?include=sites");
        Assert.Equal(1, one.GetProperty("sites").GetArrayLength());
        Assert.False(one.TryGetProperty("contacts", out _));
        Assert.True(one.TryGetProperty("vat_id", out _));
    }

    [Fact]
    public async Task Nested_lists_show_one_customers_children_with_the_list_shape()
    {
        var customer = Rest.Data(await Rest.GetOkAsync(_api.Client, "/api/v1/customers?sort=customer_number&limit=1"))[0].GetProperty("id").GetGuid();
        var contacts = await Rest.GetOkAsync(_api.Client, $"/api/v1/customers/{customer}/contacts?limit=1");
        Assert.Equal((2, 2), (Rest.Total(contacts), contacts.GetProperty("meta").GetProperty("total_pages").GetInt32()));
        Assert.Equal($"/api/v1/customers/{customer}/contacts?limit=1&page=2", contacts.GetProperty("links").GetProperty("next").GetString());
        var sites = await Rest.GetOkAsync(_api.Client, $"/api/v1/customers/{customer}/sites");
        Assert.Equal(1, Rest.Total(sites));
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/customers/{Guid.NewGuid()}/sites")).Response, 404, "RESOURCE_NOT_FOUND");
    }

    [Theory]
    [InlineData("/api/v1/customers?fields=name,password", "fields")]
    [InlineData("/api/v1/customers?fields=", "fields")]
    [InlineData("/api/v1/customers?include=tickets", "include")]
    [InlineData("/api/v1/customers?sort=vat_id", "sort")]
    [InlineData("/api/v1/customers?language=fr", "language")]
    [InlineData("/api/v1/customers?created_after=gestern", "created_after")]
    [InlineData("/api/v1/customers?status=open", "status")]
    [InlineData("/api/v1/customers?page=3&limit=20", "page")]
    [InlineData("/api/v1/contacts?customer_id=nope", "customer_id")]
    [InlineData("/api/v1/contacts?sort=phone", "sort")]
    [InlineData("/api/v1/contacts?fields=email,secret", "fields")]
    [InlineData("/api/v1/contacts?include=contacts", "include")]
    [InlineData("/api/v1/sites?country=Deutschland", "country")]
    [InlineData("/api/v1/sites?country=D1", "country")]
    [InlineData("/api/v1/sites?page=3", "page")]
    public async Task Bad_list_parameters_are_400_naming_the_parameter(string url, string field)
    {
        var error = await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, url)).Response, 400, "VALIDATION_ERROR");
        Assert.Contains(field, Rest.DetailFields(error));
    }

    [Fact]
    public async Task An_unknown_field_message_names_the_field()
    {
        var error = await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, "/api/v1/customers?fields=name,passwort")).Response, 400, "VALIDATION_ERROR");
        Assert.Contains("'passwort'", error.GetProperty("details")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
