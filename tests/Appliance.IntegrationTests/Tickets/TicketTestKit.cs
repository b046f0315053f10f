using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>The API on a private database plus what ticket tests keep needing: customers, SLA policies, staff, tickets.</summary>
public sealed class TicketTestKit : IAsyncDisposable
{
    private TicketTestKit(ApiServer api) => Api = api;

    public ApiServer Api { get; }

    public NpgsqlDataSource Db => Api.Db;

    /// <summary>Signed in as a system admin.</summary>
    public HttpClient Admin => Api.Client;

    public static async Task<TicketTestKit> StartAsync() => new(await ApiServer.StartAsync());

    public ValueTask DisposeAsync() => Api.DisposeAsync();

    public Task<Guid> CustomerAsync(string name, Guid? slaPolicyId = null) => Db.CustomerAsync(name, slaPolicyId);

    /// <inheritdoc cref="Seed.AlwaysOpenPolicyAsync"/>
    public Task<Guid> AlwaysOpenPolicyAsync() => Db.AlwaysOpenPolicyAsync();

    /// <summary>A member of staff with skills (technicians) or a customer user (with <paramref name="customerId"/>).</summary>
    public async Task<User> UserAsync(string role, Guid? customerId = null, params string[] skills)
    {
        var user = await Api.CreateUserAsync(role, customerId);
        if (skills.Length > 0)
        {
            await Db.ExecuteAsync("UPDATE users SET skills = @skills WHERE id = @id", ("skills", skills), ("id", user.Id));
        }

        return user;
    }

    public HttpClient ClientFor(User user) => Api.ClientFor(user);

    public static StringContent Json(JsonObject body) => ApiServer.Json(body.ToJsonString());

    public static JsonObject NewTicket(Guid? customerId, string title = "Drucker im Büro druckt nicht", string? category = null, string? priority = null, string description = "<p>Der Drucker zeigt einen Papierstau an.</p>")
    {
        var body = new JsonObject { ["title"] = title, ["description"] = description };
        if (customerId is { } id)
        {
            body["customer_id"] = id.ToString();
        }

        if (category is not null)
        {
            body["category"] = category;
        }

        if (priority is not null)
        {
            body["priority"] = priority;
        }

        return body;
    }

    /// <summary>Creates a ticket and returns its representation (asserting 201).</summary>
    public static async Task<JsonElement> PostTicketAsync(HttpClient client, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.PostAsync("/api/v1/tickets", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"create answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<JsonElement> CreateTicketAsync(Guid customerId, string title = "Drucker im Büro druckt nicht", string? category = null, string? priority = null) =>
        PostTicketAsync(Admin, NewTicket(customerId, title, category, priority));

    public static Task<HttpResponseMessage> PatchAsync(HttpClient client, Guid id, JsonObject body, string? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Rest.RequestAsync(client, HttpMethod.Patch, $"/api/v1/tickets/{id}", Json(body), ifMatch);
    }

    /// <summary>PATCH that must succeed; returns the new representation.</summary>
    public static async Task<JsonElement> PatchOkAsync(HttpClient client, Guid id, JsonObject body)
    {
        var response = await PatchAsync(client, id, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PATCH {body.ToJsonString()} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Every outbox event of a ticket, oldest first: (event type, payload).</summary>
    public async Task<List<(string Type, JsonElement Payload)>> EventsAsync(Guid ticketId)
    {
        await using var command = Db.CreateCommand("SELECT event_type, payload::text FROM outbox_events WHERE aggregate_type = 'ticket' AND aggregate_id = @id ORDER BY id");
        command.Parameters.AddWithValue("id", ticketId.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<(string, JsonElement)>();
        while (await reader.ReadAsync())
        {
            events.Add((reader.GetString(0), JsonDocument.Parse(reader.GetString(1)).RootElement.Clone()));
        }

        return events;
    }

    /// <summary>Rows of every table a ticket request could write to, for "nothing was written" checks.</summary>
    public Task<long> WrittenRowsAsync() => Db.CountAsync("""
        SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM outbox_events)
             + (SELECT count(*) FROM ticket_sla_pauses) + (SELECT count(*) FROM ticket_watchers)
             + (SELECT coalesce(sum(version), 0) FROM tickets) + (SELECT coalesce(sum(open_tickets), 0) FROM technician_load)
        """);

    /// <summary>A comment written straight to the table (the comment endpoints belong to another module).</summary>
    public async Task<Guid> CommentAsync(Guid ticketId, Guid? authorId, string body, bool isInternal)
    {
        await using var command = Db.CreateCommand("INSERT INTO ticket_comments (ticket_id, author_id, body, is_internal) VALUES (@t, @a, @b, @i) RETURNING id");
        command.Parameters.AddWithValue("t", ticketId);
        command.Parameters.AddWithValue("a", (object?)authorId ?? DBNull.Value);
        command.Parameters.AddWithValue("b", body);
        command.Parameters.AddWithValue("i", isInternal);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public static string ETagOf(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("no ETag");
    }

    public static EntityTagHeaderValue Tag(int version) => new($"\"{version}\"");
}

/// <summary>One API and database shared by the tests of a class (they run one after another).</summary>
public sealed class TicketKitFixture : IAsyncLifetime
{
    public TicketTestKit Kit { get; private set; } = null!;

    public async Task InitializeAsync() => Kit = await TicketTestKit.StartAsync();

    public async Task DisposeAsync() => await Kit.DisposeAsync();
}
