using System.Net;
using System.Text.Json;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

/// <summary>
/// Input a black-box review sent (issue 11, section 9): NUL characters in query parameters and body strings (PostgreSQL
/// refused them with 22021, answered 500), duplicate JSON keys (the last one won) and numbers sent as strings (accepted).
/// Each is a 400 <c>INVALID_INPUT</c> naming the field, and writes nothing.
/// </summary>
public sealed class InputHardeningTests : IAsyncLifetime
{
    private ApiServer _api = null!;
    private Guid _customer;
    private Guid _ticket;

    public async Task InitializeAsync()
    {
        _api = await ApiServer.StartAsync();
        _customer = (await Rest.CreateAsync(_api.Client, "/api/v1/customers", """{"name":"Nul GmbH"}""")).Id;
        _ticket = (await Rest.CreateAsync(_api.Client, "/api/v1/tickets", $$"""{"customer_id":"{{_customer}}","title":"Drucker","description":"<p>Der Drucker ist kaputt.</p>"}""")).Id;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public static TheoryData<string, string> NulQueries => new()
    {
        { "/api/v1/customers?search=a%00b", "search" },
        { "/api/v1/contacts?search=%00", "search" },
        { "/api/v1/sites?search=x%00", "search" },
        { "/api/v1/users?search=%00", "search" },
        { "/api/v1/api-keys?search=%00", "search" },
        { "/api/v1/sla-policies?search=%00", "search" },
        { "/api/v1/tickets?search=Drucker%00", "search" },
        { "/api/v1/tickets?category=%00", "category" },
        { "/api/v1/tickets?tag=a%00", "tag" },
        { "/api/v1/audit-log?entity_id=%00", "entity_id" },
        { "/api/v1/audit-log?entity_type=%00", "entity_type" },
        { "/api/v1/audit-log?action=%00", "action" },
        { "/api/v1/audit-log?actor_id=%00", "actor_id" },
        { "/api/v1/time-entries?date_from=%00", "date_from" },
        { "/api/v1/customers?sea%00rch=x", "sea%00rch" },
    };

    [Theory]
    [MemberData(nameof(NulQueries))]
    public async Task A_nul_in_any_query_parameter_is_400_naming_it(string url, string field)
    {
        // Several times: the database must never see it (and its connection never get out of step).
        for (var i = 0; i < 4; i++)
        {
            using var response = await _api.Client.GetAsync(url);
            var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
            Assert.Equal(field, Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("field").GetString());
        }

        using var after = await _api.Client.GetAsync("/api/v1/audit-log?entity_type=customer");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_nul_in_a_path_segment_is_400()
    {
        using var response = await _api.Client.GetAsync("/api/v1/tickets/12%0034");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    public static TheoryData<string, string, string> NulBodies => new()
    {
        { "POST", "/api/v1/customers", """{"name":"Acme\u0000 AG"}""" },
        { "POST", "/api/v1/customers", """{"name":"Acme AG","notes":"x\u0000"}""" },
        { "POST", "/api/v1/customers/{customer}/contacts", """{"first_name":"A\u0000","last_name":"B"}""" },
        { "POST", "/api/v1/customers/{customer}/contacts", """{"last_name":"\u0000"}""" },
        { "POST", "/api/v1/tickets", """{"customer_id":"{customer}","title":"T","description":"<p>Beschreibung des Problems.</p>","category":"net\u0000"}""" },
        { "POST", "/api/v1/tickets", """{"customer_id":"{customer}","title":"T","description":"<p>Beschreibung des Problems.</p>","tags":["ok","b\u0000d"]}""" },
        { "PATCH", "/api/v1/tickets/{ticket}", """{"category":"\u0000"}""" },
        { "POST", "/api/v1/tickets/{ticket}/time-entries", """{"minutes":15,"note":"n\u0000"}""" },
        { "POST", "/api/v1/api-keys", """{"name":"k\u0000","permissions":["customer:view"]}""" },
    };

    [Theory]
    [MemberData(nameof(NulBodies))]
    public async Task A_nul_in_any_body_string_is_400_naming_the_field(string method, string path, string body)
    {
        path = path.Replace("{customer}", _customer.ToString(), StringComparison.Ordinal).Replace("{ticket}", _ticket.ToString(), StringComparison.Ordinal);
        body = body.Replace("{customer}", _customer.ToString(), StringComparison.Ordinal);
        var field = JsonDocument.Parse(body).RootElement.EnumerateObject().First(p => p.Value.GetRawText().Contains("\\u0000", StringComparison.Ordinal)).Name;
        var before = await _api.Db.CountAsync("SELECT count(*) FROM audit_log");
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = ApiServer.Json(body) };
            using var response = await _api.Client.SendAsync(request);
            var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
            var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
            Assert.StartsWith(field, detail.GetProperty("field").GetString(), StringComparison.Ordinal);
            Assert.Contains("NUL", detail.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, await _api.Db.CountAsync("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public async Task A_nul_in_the_login_email_is_400_for_anonymous_callers()
    {
        using var response = await _api.Anonymous.PostAsync("/api/v1/auth/login", ApiServer.Json("""{"email":"admin\u0000@x.example","password":"whatever-it-is"}"""));
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        Assert.Equal("email", Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_key_given_twice_is_400_naming_it_and_creates_nothing()
    {
        var other = (await Rest.CreateAsync(_api.Client, "/api/v1/customers", """{"name":"Zweite GmbH"}""")).Id;
        var before = await _api.Db.CountAsync("SELECT count(*) FROM tickets");
        using var response = await _api.Client.PostAsync("/api/v1/tickets", ApiServer.Json(
            $$"""{"customer_id":"{{_customer}}","title":"Doppelt","description":"<p>Beschreibung des Problems.</p>","customer_id":"{{other}}"}"""));
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        Assert.Equal("customer_id", Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("field").GetString());
        Assert.Equal(before, await _api.Db.CountAsync("SELECT count(*) FROM tickets"));

        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/tickets/{_ticket}") { Content = ApiServer.Json("""{"priority":"low","priority":"critical"}""") };
        using var patched = await _api.Client.SendAsync(patch);
        var patchError = await ApiServer.AssertErrorAsync(patched, 400, "INVALID_INPUT");
        Assert.Equal("priority", Assert.Single(patchError.GetProperty("details").EnumerateArray()).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/api/v1/tickets/{ticket}/time-entries", """{"minutes":"15"}""", "minutes")]
    [InlineData("/api/v1/tickets/{ticket}/time-entries", """{"minutes":15,"billable":"true"}""", "billable")]
    [InlineData("/api/v1/customers", """{"name":"Zahl AG","is_active":"false"}""", "is_active")]
    public async Task A_number_or_boolean_sent_as_a_string_is_400_naming_the_field(string path, string body, string field)
    {
        path = path.Replace("{ticket}", _ticket.ToString(), StringComparison.Ordinal);
        var before = await _api.Db.CountAsync("SELECT count(*) FROM audit_log");
        using var response = await _api.Client.PostAsync(path, ApiServer.Json(body));
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal(field, detail.GetProperty("field").GetString());
        Assert.Equal("Value has the wrong type", detail.GetProperty("message").GetString());
        Assert.Equal(before, await _api.Db.CountAsync("SELECT count(*) FROM audit_log"));
    }
}
