using System.Text.Json;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Api;

/// <summary>The shared list piece, exercised through the customers and tickets collections.</summary>
public sealed class ListConventionTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiServer.StartAsync();
        await using var command = _api.Database!.DataSource.CreateCommand("""
            INSERT INTO customers (customer_number, name, is_active, created_at)
            SELECT 'K-' || lpad(i::text, 3, '0'), 'Kunde ' || lpad(i::text, 3, '0'), i % 5 <> 0, now() - make_interval(mins => i)
              FROM generate_series(1, 45) AS i;
            INSERT INTO tickets (title, description, status, priority, customer_id)
            SELECT 'Ticket ' || i, 'Beschreibung von Ticket ' || i,
                   (ARRAY['new','assigned','in_progress','resolved'])[1 + i % 4],
                   (ARRAY['low','medium','high','critical'])[1 + i % 4],
                   (SELECT id FROM customers ORDER BY customer_number LIMIT 1 OFFSET i % 3)
              FROM generate_series(1, 30) AS i;
            """);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Default_page_has_meta_and_links()
    {
        var body = await Rest.GetOkAsync(_api.Client, "/api/v1/customers");
        Assert.Equal(20, body.GetProperty("data").GetArrayLength());
        var meta = body.GetProperty("meta");
        Assert.Equal(1, meta.GetProperty("page").GetInt32());
        Assert.Equal(20, meta.GetProperty("limit").GetInt32());
        Assert.Equal(45, meta.GetProperty("total").GetInt64());
        Assert.Equal(3, meta.GetProperty("total_pages").GetInt32());
        var links = body.GetProperty("links");
        Assert.Equal("/api/v1/customers?page=1", links.GetProperty("self").GetString());
        Assert.Equal("/api/v1/customers?page=2", links.GetProperty("next").GetString());
        Assert.Equal(JsonValueKind.Null, links.GetProperty("prev").ValueKind);
        Assert.Equal("/api/v1/customers?page=1", links.GetProperty("first").GetString());
        Assert.Equal("/api/v1/customers?page=3", links.GetProperty("last").GetString());
    }

    [Fact]
    public async Task Last_page_has_the_remainder_and_no_next_and_links_keep_the_filters()
    {
        var body = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?limit=15&page=3&is_active=true");
        Assert.Equal(36, body.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Equal(6, body.GetProperty("data").GetArrayLength());
        var links = body.GetProperty("links");
        Assert.Equal(JsonValueKind.Null, links.GetProperty("next").ValueKind);
        Assert.Equal("/api/v1/customers?is_active=true&limit=15&page=2", links.GetProperty("prev").GetString());
    }

    [Fact]
    public async Task Following_next_links_visits_every_row_once()
    {
        var seen = new HashSet<string>();
        string? url = "/api/v1/customers?limit=7&sort=customer_number";
        var pages = 0;
        while (url is not null)
        {
            var body = await Rest.GetOkAsync(_api.Client, url);
            foreach (var row in body.GetProperty("data").EnumerateArray())
            {
                Assert.True(seen.Add(row.GetProperty("id").GetString()!));
            }

            url = body.GetProperty("links").GetProperty("next").GetString();
            pages++;
        }

        Assert.Equal(45, seen.Count);
        Assert.Equal(7, pages);
    }

    [Fact]
    public async Task Limit_100_is_allowed()
    {
        var body = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?limit=100");
        Assert.Equal(45, body.GetProperty("data").GetArrayLength());
        Assert.Equal(1, body.GetProperty("meta").GetProperty("total_pages").GetInt32());
    }

    [Theory]
    [InlineData("/api/v1/customers?limit=101", "limit")]
    [InlineData("/api/v1/customers?limit=0", "limit")]
    [InlineData("/api/v1/customers?limit=abc", "limit")]
    [InlineData("/api/v1/customers?page=0", "page")]
    [InlineData("/api/v1/customers?page=-1", "page")]
    [InlineData("/api/v1/customers?page=1&page=2", "page")]
    [InlineData("/api/v1/customers?page=4", "page")]
    [InlineData("/api/v1/customers?colour=red", "colour")]
    [InlineData("/api/v1/customers?sort=password", "sort")]
    [InlineData("/api/v1/customers?sort=name&order=sideways", "order")]
    [InlineData("/api/v1/customers?order=desc", "order")]
    [InlineData("/api/v1/customers?sort=name,name", "sort")]
    [InlineData("/api/v1/customers?is_active=maybe", "is_active")]
    [InlineData("/api/v1/tickets?status=open", "status")]
    [InlineData("/api/v1/tickets?priority=urgent", "priority")]
    [InlineData("/api/v1/tickets?customer_id=42", "customer_id")]
    [InlineData("/api/v1/tickets?sort=description", "sort")]
    public async Task Bad_list_parameters_are_400_with_the_parameter_named(string url, string field)
    {
        var response = await _api.Client.GetAsync(url);
        var error = await ApiServer.AssertErrorAsync(response, 400, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
    }

    [Fact]
    public async Task Multi_field_sort_with_order_and_minus_prefix()
    {
        var byOrder = await Rest.GetOkAsync(_api.Client, "/api/v1/tickets?sort=priority,ticket_number&order=desc,asc&limit=100");
        var byPrefix = await Rest.GetOkAsync(_api.Client, "/api/v1/tickets?sort=-priority,ticket_number&limit=100");
        var rows = byOrder.GetProperty("data").EnumerateArray().Select(t => (Priority: t.GetProperty("priority").GetString()!, Number: t.GetProperty("ticket_number").GetInt64())).ToList();
        Assert.Equal(rows, byPrefix.GetProperty("data").EnumerateArray().Select(t => (t.GetProperty("priority").GetString()!, t.GetProperty("ticket_number").GetInt64())).ToList());
        string[] rank = ["low", "medium", "high", "critical"];
        var expected = rows.OrderByDescending(r => Array.IndexOf(rank, r.Priority)).ThenBy(r => r.Number).ToList();
        Assert.Equal(expected, rows);
        Assert.Equal("critical", rows[0].Priority);
    }

    [Fact]
    public async Task Filters_combine()
    {
        var customers = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?sort=customer_number&limit=1");
        var customerId = customers.GetProperty("data")[0].GetProperty("id").GetString();
        var body = await Rest.GetOkAsync(_api.Client, $"/api/v1/tickets?status=new&customer_id={customerId}&limit=100");
        var rows = body.GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, t =>
        {
            Assert.Equal("new", t.GetProperty("status").GetString());
            Assert.Equal(customerId, t.GetProperty("customer_id").GetString());
        });
        await using var count = _api.Database!.DataSource.CreateCommand("SELECT count(*) FROM tickets WHERE status = 'new' AND customer_id = @c");
        count.Parameters.Add(new NpgsqlParameter<Guid>("c", Guid.Parse(customerId!)));
        Assert.Equal((long)(await count.ExecuteScalarAsync())!, body.GetProperty("meta").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Search_escapes_like_wildcards()
    {
        var all = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=Kunde%200");
        Assert.Equal(45, all.GetProperty("meta").GetProperty("total").GetInt64());
        var none = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=%25");
        Assert.Equal(0, none.GetProperty("meta").GetProperty("total").GetInt64());
        var one = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=K-007");
        Assert.Equal(1, one.GetProperty("meta").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Empty_result_is_page_1_of_0_not_an_error()
    {
        var body = await Rest.GetOkAsync(_api.Client, "/api/v1/customers?search=zzz-nothing");
        Assert.Equal(0, body.GetProperty("data").GetArrayLength());
        Assert.Equal(0, body.GetProperty("meta").GetProperty("total_pages").GetInt32());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("links").GetProperty("next").ValueKind);
    }
}
