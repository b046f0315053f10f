using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>Listing, filters, sorting, sparse fields, includes, full-text search and company scoping.</summary>
public sealed class TicketListSearchTests(TicketSearchFixture fixture) : IClassFixture<TicketSearchFixture>
{
    private readonly TicketTestKit _kit = fixture.Kit;
    private readonly Guid _companyA = fixture.CompanyA;
    private readonly Guid _companyB = fixture.CompanyB;
    private readonly User _tech = fixture.Tech;
    private readonly User _customerAdminA = fixture.CustomerAdminA;
    private readonly Dictionary<string, Guid> _tickets = fixture.Tickets;

    private async Task<List<string>> KeysAsync(HttpClient client, string query)
    {
        var body = await Rest.GetOkAsync(client, "/api/v1/tickets?limit=100&" + query);
        var byId = _tickets.ToDictionary(kv => kv.Value, kv => kv.Key);
        var keys = body.GetProperty("data").EnumerateArray().Select(t => byId[t.GetProperty("id").GetGuid()]).ToList();
        Assert.Equal(keys.Count, body.GetProperty("meta").GetProperty("total").GetInt64());
        return keys;
    }

    private Task<List<string>> KeysAsync(string query) => KeysAsync(_kit.Admin, query);

    [Fact]
    public async Task Each_filter_narrows_the_list_and_they_combine()
    {
        Assert.Equal(6, (await KeysAsync(string.Empty)).Count);
        Assert.Equal(["server-b"], await KeysAsync("status=in_progress"));
        Assert.Equal(["drucker-title", "server-b"], (await KeysAsync("status=assigned,in_progress")).Order());
        Assert.Equal(["printers-en", "server-b"], (await KeysAsync("priority=critical")).Order());
        Assert.Equal(["drucker-description", "drucker-title", "internal-a"], (await KeysAsync("priority=high,low&customer_id=" + _companyA)).Order());
        Assert.Equal(["drucker-title"], await KeysAsync("assigned_to=" + _tech.Id));
        Assert.Equal(5, (await KeysAsync("assigned_to=none")).Count);
        Assert.Equal(["drucker-title"], await KeysAsync(_kit.ClientFor(_tech), "assigned_to=me"));
        Assert.Equal(["drucker-title", "printers-en"], (await KeysAsync("category=Printing")).Order());
        Assert.Equal(["comment-only", "printers-en"], (await KeysAsync("tag=VIP")).Order());
        Assert.Equal(["drucker-title", "server-b"], (await KeysAsync("source=phone")).Order());
        Assert.Equal(["server-b"], await KeysAsync("sla_breached=true"));
        Assert.Equal(["internal-a"], await KeysAsync("created_before=2026-02-01"));
        Assert.Equal(5, (await KeysAsync("created_after=2026-02-01T00:00:00Z")).Count);
        Assert.Equal(["printers-en"], await KeysAsync("priority=critical&category=printing&tag=vip&source=api&customer_id=" + _companyB));
    }

    [Fact]
    public async Task Sorting_takes_several_fields_and_the_due_dates()
    {
        var byPriority = await KeysAsync("sort=-priority,title");
        Assert.Equal(["printers-en", "server-b", "drucker-title", "comment-only", "drucker-description", "internal-a"], byPriority);
        var byDue = await KeysAsync("sort=sla_resolution_due&order=asc");
        Assert.Equal("internal-a", byDue[0]);
        var byNumber = await KeysAsync("sort=ticket_number&order=desc");
        Assert.Equal("internal-a", byNumber[0]);
        Assert.Equal("drucker-title", byNumber[^1]);
    }

    [Theory]
    [InlineData("colour=red", "colour")]
    [InlineData("status=open", "status")]
    [InlineData("status=new,closed,open", "status")]
    [InlineData("priority=urgent", "priority")]
    [InlineData("assigned_to=someone", "assigned_to")]
    [InlineData("customer_id=42", "customer_id")]
    [InlineData("created_after=yesterday", "created_after")]
    [InlineData("sla_breached=maybe", "sla_breached")]
    [InlineData("source=fax", "source")]
    [InlineData("sort=description", "sort")]
    [InlineData("sort=relevance", "sort")]
    [InlineData("fields=id,colour", "fields")]
    [InlineData("include=contacts", "include")]
    [InlineData("page=99", "page")]
    [InlineData("search=%20--%20", "search")]
    public async Task Bad_list_parameters_are_400_naming_the_parameter(string query, string field)
    {
        var error = await ApiServer.AssertErrorAsync(await _kit.Admin.GetAsync("/api/v1/tickets?" + query), 400, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
    }

    [Fact]
    public async Task Sparse_fields_and_includes_shape_lists_and_single_tickets()
    {
        var list = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets?fields=title,status&include=customer,assigned_to&assigned_to={_tech.Id}");
        var item = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(["id", "title", "status", "customer", "assignee"], item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(_companyA, item.GetProperty("customer").GetProperty("id").GetGuid());
        Assert.StartsWith("Autohaus Müller", item.GetProperty("customer").GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal(_tech.Id, item.GetProperty("assignee").GetProperty("id").GetGuid());
        Assert.Equal(_tech.Email, item.GetProperty("assignee").GetProperty("email").GetString());

        var response = await _kit.Admin.GetAsync($"/api/v1/tickets/{_tickets["drucker-title"]}?fields=ticket_number&include=assigned_to");
        var single = await ApiServer.ReadJsonAsync(response);
        Assert.Equal(["id", "ticket_number", "assignee"], single.EnumerateObject().Select(p => p.Name));
        Assert.NotNull(response.Headers.ETag);
        var unassigned = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{_tickets["server-b"]}?include=assigned_to");
        Assert.Equal(JsonValueKind.Null, unassigned.GetProperty("assignee").ValueKind);
        await ApiServer.AssertErrorAsync(await _kit.Admin.GetAsync($"/api/v1/tickets/{_tickets["server-b"]}?colour=red"), 400, "VALIDATION_ERROR");

        var number = single.GetProperty("ticket_number").GetInt64();
        var byNumber = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{number}");
        Assert.Equal(_tickets["drucker-title"], byNumber.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Search_stems_german_and_english_words()
    {
        Assert.Contains("drucker-description", await KeysAsync("search=Drucker"));
        Assert.Contains("printers-en", await KeysAsync("search=printing"));
        Assert.Contains("printers-en", await KeysAsync("search=printer"));
        Assert.Equal(["server-b"], await KeysAsync("search=Dateiservers"));
        Assert.Equal(["drucker-title"], await KeysAsync("search=E4711"));
        Assert.Empty(await KeysAsync("search=Kühlschrank"));
        // Every word must match: both words are in one ticket only.
        Assert.Equal(["drucker-description"], await KeysAsync("search=Drucker%20Scanner"));
    }

    [Fact]
    public async Task Search_finds_ticket_numbers()
    {
        var number = (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{_tickets["server-b"]}")).GetProperty("ticket_number").GetInt64();
        Assert.Equal(["server-b"], await KeysAsync($"search={number}"));
    }

    [Fact]
    public async Task Search_ranks_title_over_description_over_comments_and_combines_with_filters()
    {
        Assert.Equal(["drucker-title", "drucker-description", "comment-only"], await KeysAsync("search=drucker"));
        Assert.Equal(["drucker-description", "comment-only"], await KeysAsync("search=drucker&priority=low,medium"));
        Assert.Equal(["drucker-title"], await KeysAsync("search=drucker&assigned_to=" + _tech.Id));
        Assert.Equal(["comment-only", "drucker-description", "drucker-title"], (await KeysAsync("search=drucker&sort=title")));
        Assert.Equal(["drucker-title", "drucker-description", "comment-only"], await KeysAsync("search=drucker&sort=-relevance"));
    }

    [Fact]
    public async Task Search_covers_comments_but_customer_users_never_match_internal_ones()
    {
        Assert.Equal(["internal-a", "server-b"], (await KeysAsync("search=Zebra")).Order());
        using var customer = _kit.ClientFor(_customerAdminA);
        // The internal note of their own ticket and the other company's public comment are both out of reach.
        Assert.Empty(await KeysAsync(customer, "search=Zebra"));
        Assert.Empty(await KeysAsync(customer, "search=Tresorcode"));
        Assert.Equal(["comment-only"], await KeysAsync(customer, "search=gereinigt"));
    }

    [Fact]
    public async Task A_customer_admin_never_sees_another_companys_ticket_by_list_id_number_search_or_include()
    {
        using var customer = _kit.ClientFor(_customerAdminA);
        var own = await KeysAsync(customer, string.Empty);
        Assert.Equal(["comment-only", "drucker-description", "drucker-title", "internal-a"], own.Order());
        Assert.Empty(await KeysAsync(customer, "customer_id=" + _companyB));
        Assert.Empty(await KeysAsync(customer, "search=printers"));
        Assert.Empty(await KeysAsync(customer, "search=Dateiserver"));
        Assert.Empty(await KeysAsync(customer, "priority=critical"));

        await ApiServer.AssertErrorAsync(await customer.GetAsync($"/api/v1/tickets/{_tickets["server-b"]}"), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await customer.GetAsync($"/api/v1/tickets/{_tickets["server-b"]}?include=customer"), 404, "RESOURCE_NOT_FOUND");
        var number = (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{_tickets["server-b"]}")).GetProperty("ticket_number").GetInt64();
        await ApiServer.AssertErrorAsync(await customer.GetAsync($"/api/v1/tickets/{number}"), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await customer.GetAsync($"/api/v1/tickets/{_tickets["server-b"]}/watchers"), 403, "PERMISSION_DENIED");

        var included = await Rest.GetOkAsync(customer, "/api/v1/tickets?include=customer,assigned_to&limit=100");
        Assert.All(included.GetProperty("data").EnumerateArray(), t => Assert.Equal(_companyA, t.GetProperty("customer").GetProperty("id").GetGuid()));
        var assignee = included.GetProperty("data").EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == _tickets["drucker-title"]).GetProperty("assignee");
        Assert.Equal(JsonValueKind.Null, assignee.GetProperty("email").ValueKind);
        Assert.Equal(200, (int)(await customer.GetAsync($"/api/v1/tickets/{_tickets["drucker-title"]}")).StatusCode);
    }

    [Fact]
    public async Task Deleted_tickets_vanish_from_list_get_and_search()
    {
        var id = (await TicketTestKit.PostTicketAsync(_kit.Admin, TicketTestKit.NewTicket(_companyA, "Einmaliges Wort Quastenflosser", description: "<p>Ein Quastenflosser im Aquarium.</p>"))).GetProperty("id");
        _tickets["doomed"] = id.GetGuid();
        Assert.Equal(["doomed"], await KeysAsync("search=Quastenflosser"));
        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{id.GetGuid()}")).StatusCode);
        Assert.Empty(await KeysAsync("search=Quastenflosser"));
        Assert.DoesNotContain("doomed", await KeysAsync(string.Empty));
        await ApiServer.AssertErrorAsync(await _kit.Admin.GetAsync($"/api/v1/tickets/{id.GetGuid()}"), 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Pages_report_the_exact_total_and_links()
    {
        var page = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?limit=4&page=2&sort=ticket_number");
        Assert.Equal(6, page.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Equal(2, page.GetProperty("meta").GetProperty("total_pages").GetInt32());
        Assert.Equal(2, page.GetProperty("data").GetArrayLength());
        var first = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?limit=4&page=1&sort=ticket_number");
        Assert.Equal(6, first.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.EndsWith("page=2", first.GetProperty("links").GetProperty("next").GetString(), StringComparison.Ordinal);
    }
}

/// <summary>Six tickets of two companies with comments (one internal), an assignee, a breach and an old one.</summary>
public sealed class TicketSearchFixture : IAsyncLifetime
{
    private TicketTestKit _kit = null!;

    public TicketTestKit Kit => _kit;

    public Guid CompanyA { get; private set; }

    public Guid CompanyB { get; private set; }

    public User Tech { get; private set; } = null!;

    public User CustomerAdminA { get; private set; } = null!;

    public Dictionary<string, Guid> Tickets { get; } = [];

    public async Task InitializeAsync()
    {
        _kit = await TicketTestKit.StartAsync();
        var policy = await _kit.AlwaysOpenPolicyAsync();
        var _companyA = CompanyA = await _kit.CustomerAsync("Autohaus Müller", policy);
        var _companyB = CompanyB = await _kit.CustomerAsync("Northwind Logistics", policy);
        // No skills: nothing is auto-assigned, the assignment below is the only one.
        var _tech = Tech = await _kit.UserAsync(Roles.TechnicianL1);
        CustomerAdminA = await _kit.UserAsync(Roles.CustomerAdmin, CompanyA);
        var _tickets = Tickets;

        await AddAsync("drucker-title", _companyA, "Drucker im Empfang defekt", "<p>Papierstau seit heute Morgen, Fehlercode E4711.</p>", "high", "printing", ["hardware"], "phone");
        await AddAsync("drucker-description", _companyA, "Arbeitsplatz 3 gestört", "<p>Beide Druckers zeigen Fehler, auch der Scanner.</p>", "low", null, [], "email");
        await AddAsync("comment-only", _companyA, "Allgemeine Wartung", "<p>Monatliche Wartung der Geräte.</p>", "medium", null, ["vip"], "portal");
        await AddAsync("printers-en", _companyB, "Printers offline in warehouse", "<p>All printers in the warehouse went offline.</p>", "critical", "printing", ["vip"], "api");
        await AddAsync("server-b", _companyB, "Server antwortet nicht", "<p>Der Dateiserver ist nicht erreichbar.</p>", "critical", "server", [], "phone");
        await AddAsync("internal-a", _companyA, "Lizenzverlängerung", "<p>Die Lizenzen laufen bald aus.</p>", "low", null, [], "email");

        await _kit.CommentAsync(_tickets["comment-only"], _tech.Id, "<p>Beim Termin auch den Drucker gereinigt.</p>", isInternal: false);
        await _kit.CommentAsync(_tickets["internal-a"], _tech.Id, "<p>Geheimnotiz Tresorcode Zebra</p>", isInternal: true);
        await _kit.CommentAsync(_tickets["server-b"], _tech.Id, "<p>Zebra-Switch im Rack getauscht.</p>", isInternal: false);

        await TicketTestKit.PatchOkAsync(_kit.Admin, _tickets["drucker-title"], new JsonObject { ["assigned_to"] = _tech.Id.ToString() });
        await TicketTestKit.PatchOkAsync(_kit.Admin, _tickets["server-b"], new JsonObject { ["status"] = "in_progress" });
        await _kit.Db.ExecuteAsync("UPDATE tickets SET sla_breached = true WHERE id = @id", ("id", _tickets["server-b"]));
        await _kit.Db.ExecuteAsync(
            "UPDATE tickets SET created_at = '2026-01-15T10:00:00Z', sla_response_due = '2026-01-15T18:00:00Z', sla_resolution_due = '2026-01-17T10:00:00Z' WHERE id = @id",
            ("id", _tickets["internal-a"]));
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private async Task AddAsync(string key, Guid customer, string title, string description, string priority, string? category, string[] tags, string source)
    {
        var body = TicketTestKit.NewTicket(customer, title, category, priority, description);
        body["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]);
        body["source"] = source;
        Tickets[key] = (await TicketTestKit.PostTicketAsync(_kit.Admin, body)).GetProperty("id").GetGuid();
    }
}
