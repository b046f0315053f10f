using System.Net.Http.Headers;
using System.Text.Json;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

/// <summary>
/// A request holds at most one pooled PostgreSQL connection at a time. One that waits for a second connection while
/// holding its first starves as soon as a burst fills the pool (every request holds one and waits for another), and
/// answers 503 after the pool timeout. On a one-connection pool that mistake fails every time, not only under load.
/// </summary>
public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task Every_module_answers_on_a_one_connection_pool()
    {
        await using var api = await ApiServer.StartAsync(maxPoolSize: 1);
        var admin = api.Client;

        var policy = await ExpectAsync(admin, HttpMethod.Post, "/api/v1/sla-policies", 201,
            SlaJson.Policy("Rund um die Uhr", hours: SlaJson.AlwaysOpen));
        var policyId = Id(policy);
        var customer = Id(await ExpectAsync(admin, HttpMethod.Post, "/api/v1/customers", 201, """{"customer_number":"K-POOL","name":"Pool GmbH"}"""));
        await ExpectAsync(admin, HttpMethod.Put, $"/api/v1/customers/{customer}/sla-policy", 200, $$"""{"sla_policy_id":"{{policyId}}"}""");
        await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/customers/{customer}/contacts", 201, """{"last_name":"Becken","email":"becken@pool.example"}""");
        await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/customers/{customer}/sites", 201, """{"name":"Zentrale"}""");
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/customers?search=Pool&include=contacts,sites", 200);

        var technician = await ExpectAsync(admin, HttpMethod.Post, "/api/v1/users", 201,
            """{"email":"pool.tech@test.example","display_name":"Pool Technik","role":"technician_l1","skills":["pumps"],"password":"a-long-unusual-passphrase"}""");
        var technicianId = Id(technician);

        // Auto-assignment, the SLA policy (not yet cached), audit and events: one transaction.
        var ticket = await ExpectAsync(admin, HttpMethod.Post, "/api/v1/tickets", 201,
            $$"""{"customer_id":"{{customer}}","title":"Pumpe läuft nicht an","description":"<p>Die Pumpe im Keller bleibt stehen.</p>","category":"pumps"}""");
        var ticketId = Id(ticket);
        Assert.Equal(technicianId, ticket.GetProperty("assigned_to").GetGuid());
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/tickets/{ticketId}?include=customer", 200);
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/tickets/{ticket.GetProperty("ticket_number").GetInt64()}", 200);
        await ExpectAsync(admin, HttpMethod.Get, "/api/v1/tickets?search=Pumpe&include=customer", 200);
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/tickets?customer_id={customer}&status=assigned&sort=-priority,created_at", 200);

        // Every change that moves the SLA clocks reads the policy while the ticket row is locked.
        await ExpectAsync(admin, HttpMethod.Patch, $"/api/v1/tickets/{ticketId}", 200, """{"status":"in_progress"}""");
        await ExpectAsync(admin, HttpMethod.Patch, $"/api/v1/tickets/{ticketId}", 200, """{"status":"waiting_customer"}""");
        await ExpectAsync(admin, HttpMethod.Patch, $"/api/v1/tickets/{ticketId}", 200, """{"status":"in_progress","priority":"high"}""");
        await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/tickets/{ticketId}/comments", 201, """{"body":"<p>Kondensator getauscht.</p>"}""");
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/tickets/{ticketId}/comments", 200);
        var entry = Id(await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/tickets/{ticketId}/time-entries", 201, """{"minutes":45,"note":"Vor Ort"}"""));
        await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/time-entries/{entry}/approve", 200, "{}");
        await ExpectAsync(admin, HttpMethod.Get, "/api/v1/time-entries", 200);
        await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/tickets/{ticketId}/watchers", 201, $$"""{"user_id":"{{technicianId}}"}""");
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/tickets/{ticketId}/watchers", 200);
        var duplicate = Id(await ExpectAsync(admin, HttpMethod.Post, "/api/v1/tickets", 201,
            $$"""{"customer_id":"{{customer}}","title":"Pumpe defekt","description":"<p>Gleiches Problem, zweite Meldung.</p>"}"""));
        await ExpectAsync(admin, HttpMethod.Post, $"/api/v1/tickets/{duplicate}/merge", 200, $$"""{"into":"{{ticketId}}"}""");
        await ExpectAsync(admin, HttpMethod.Patch, $"/api/v1/tickets/{ticketId}", 200, """{"status":"resolved"}""");
        await ExpectAsync(admin, HttpMethod.Delete, $"/api/v1/tickets/{ticketId}", 204);
        await ExpectAsync(admin, HttpMethod.Get, $"/api/v1/audit-log?entity_type=ticket&entity_id={ticketId}", 200);

        // Sign-in: password check, refresh-token rotation, revocation.
        using var login = api.NewClient();
        var tokens = await ExpectAsync(login, HttpMethod.Post, "/api/v1/auth/login", 200, """{"email":"pool.tech@test.example","password":"a-long-unusual-passphrase"}""");
        var refreshed = await ExpectAsync(login, HttpMethod.Post, "/api/v1/auth/refresh", 200, $$"""{"refresh_token":"{{tokens.GetProperty("refresh_token").GetString()}}"}""");
        login.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", refreshed.GetProperty("access_token").GetString());
        await ExpectAsync(login, HttpMethod.Get, "/api/v1/auth/me", 200);
        await ExpectAsync(login, HttpMethod.Post, "/api/v1/auth/logout", 204);

        // API keys: created once, then checked (and their last use stamped) on every request.
        var key = await ExpectAsync(admin, HttpMethod.Post, "/api/v1/api-keys", 201, """{"name":"pool","permissions":["customer:view"]}""");
        using var integration = api.NewClient();
        integration.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.GetProperty("key").GetString());
        await ExpectAsync(integration, HttpMethod.Get, $"/api/v1/customers/{customer}", 200);
    }

    [Fact]
    public async Task A_burst_four_times_the_pool_with_a_policy_not_yet_cached_creates_and_pauses_every_ticket()
    {
        await using var api = await ApiServer.StartAsync(maxPoolSize: 4);
        var admin = api.Client;
        var policyId = Id(await ExpectAsync(admin, HttpMethod.Post, "/api/v1/sla-policies", 201,
            SlaJson.Policy("Burst", hours: SlaJson.AlwaysOpen)));
        var customer = Id(await ExpectAsync(admin, HttpMethod.Post, "/api/v1/customers", 201, """{"customer_number":"K-BURST","name":"Burst AG"}"""));
        await ExpectAsync(admin, HttpMethod.Put, $"/api/v1/customers/{customer}/sla-policy", 200, $$"""{"sla_policy_id":"{{policyId}}"}""");
        for (var i = 0; i < 3; i++)
        {
            await api.CreateUserAsync(Roles.TechnicianL1, email: $"burst{i}@test.example");
        }

        await using (var skills = api.Database!.DataSource.CreateCommand("UPDATE users SET skills = '{outage}' WHERE email LIKE 'burst%'"))
        {
            Assert.Equal(3, await skills.ExecuteNonQueryAsync());
        }

        var created = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => ExpectAsync(admin, HttpMethod.Post, "/api/v1/tickets", 201,
            $$"""{"customer_id":"{{customer}}","title":"Ausfall Nummer {{i}}","description":"<p>Der Dienst antwortet nicht.</p>","category":"outage"}""")));
        Assert.All(created, t => Assert.Equal(policyId, t.GetProperty("sla_policy_id").GetGuid()));
        Assert.All(created, t => Assert.Equal("assigned", t.GetProperty("status").GetString()));

        // A new policy version: every update reads it again.
        await ExpectAsync(admin, HttpMethod.Put, $"/api/v1/sla-policies/{policyId}", 200,
            SlaJson.Policy("Burst", hours: SlaJson.AlwaysOpen, description: "geändert"));
        var paused = await Task.WhenAll(created.Select(t => ExpectAsync(admin, HttpMethod.Patch, $"/api/v1/tickets/{Id(t)}", 200, """{"status":"waiting_customer"}""")));
        Assert.All(paused, t => Assert.NotEqual(JsonValueKind.Null, t.GetProperty("sla_paused_since").ValueKind));
    }

    private static Guid Id(JsonElement body) => body.GetProperty("id").GetGuid();

    private static async Task<JsonElement> ExpectAsync(HttpClient client, HttpMethod method, string path, int status, string? body = null) =>
        (await Rest.ExpectAsync(client, method, path, status, body)).Body;
}
