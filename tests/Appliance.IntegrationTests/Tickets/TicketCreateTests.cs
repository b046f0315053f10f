using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>Opening tickets: numbers, SLA due dates, auto-assignment, validation, roles, audit and events.</summary>
public sealed class TicketCreateTests(TicketKitFixture fixture) : IClassFixture<TicketKitFixture>, IAsyncLifetime
{
    private readonly TicketTestKit _kit = fixture.Kit;
    private Guid _policy;
    private Guid _customer;

    public async Task InitializeAsync()
    {
        _policy = await _kit.AlwaysOpenPolicyAsync();
        _customer = await _kit.CustomerAsync("Bäckerei Schmidt", _policy);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_new_ticket_gets_201_location_etag_the_next_number_and_due_dates_from_the_customers_policy()
    {
        var before = DateTimeOffset.UtcNow;
        var response = await _kit.Admin.PostAsync("/api/v1/tickets", TicketTestKit.Json(TicketTestKit.NewTicket(_customer, priority: "high")));
        Assert.Equal(201, (int)response.StatusCode);
        var ticket = await ApiServer.ReadJsonAsync(response);
        var id = ticket.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/tickets/{id}", response.Headers.Location!.ToString());
        Assert.Equal("\"1\"", TicketTestKit.ETagOf(response));
        Assert.Equal(1, ticket.GetProperty("version").GetInt32());
        Assert.Equal("new", ticket.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, ticket.GetProperty("assigned_to").ValueKind);
        Assert.Equal("portal", ticket.GetProperty("source").GetString());
        Assert.Equal(_kit.Api.AdminId, ticket.GetProperty("created_by").GetGuid());
        Assert.Equal(_policy, ticket.GetProperty("sla_policy_id").GetGuid());
        var created = ticket.GetProperty("created_at").GetDateTimeOffset();
        Assert.InRange(created, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        // 24x7 policy, high: response 120 min, resolution 480 min of business time = wall time.
        Assert.Equal(created.AddMinutes(120), ticket.GetProperty("sla_response_due").GetDateTimeOffset());
        Assert.Equal(created.AddMinutes(480), ticket.GetProperty("sla_resolution_due").GetDateTimeOffset());
        Assert.False(ticket.GetProperty("sla_breached").GetBoolean());

        var stored = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        Assert.Equal(ticket.GetRawText(), stored.GetRawText());
    }

    [Fact]
    public async Task Without_a_customer_policy_the_default_policy_applies_in_business_hours()
    {
        var customer = await _kit.CustomerAsync("Ohne Vertrag");
        var ticket = await _kit.CreateTicketAsync(customer, priority: "critical");
        var standard = await _kit.Db.ScalarAsync<Guid>("SELECT id FROM sla_policies WHERE is_default");
        Assert.Equal(standard, ticket.GetProperty("sla_policy_id").GetGuid());
        var due = ticket.GetProperty("sla_response_due").GetDateTimeOffset();
        // The standard calendar is Mon-Fri 08:00-17:00 Europe/Berlin: the due date lies inside those hours.
        var local = TimeZoneInfo.ConvertTime(due, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.InRange(local.DayOfWeek, DayOfWeek.Monday, DayOfWeek.Friday);
        Assert.InRange(local.TimeOfDay, TimeSpan.FromHours(8), TimeSpan.FromHours(17));
        Assert.True(due > ticket.GetProperty("created_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Ticket_numbers_are_sequential_and_never_repeat_after_deletes_and_failed_creates()
    {
        var first = (await _kit.CreateTicketAsync(_customer)).GetProperty("ticket_number").GetInt64();
        var second = await _kit.CreateTicketAsync(_customer);
        Assert.Equal(first + 1, second.GetProperty("ticket_number").GetInt64());

        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{second.GetProperty("id").GetGuid()}")).StatusCode);
        // An unknown customer fails inside the transaction, after the number may have been drawn: rolled back, not reused.
        var failed = await _kit.Admin.PostAsync("/api/v1/tickets", TicketTestKit.Json(TicketTestKit.NewTicket(Guid.NewGuid())));
        await ApiServer.AssertErrorAsync(failed, 422, "VALIDATION_ERROR");
        // A transaction rolled back by hand after drawing a number does not give it back either.
        await using (var connection = await _kit.Db.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var insert = new Npgsql.NpgsqlCommand("INSERT INTO tickets (title, description, customer_id) VALUES ('Rollback', 'wird zurückgerollt', @c)", connection, transaction);
            insert.Parameters.AddWithValue("c", _customer);
            await insert.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }

        var third = (await _kit.CreateTicketAsync(_customer)).GetProperty("ticket_number").GetInt64();
        Assert.True(third > first + 1, $"number {third} was handed out before");
        Assert.Equal(0, await _kit.Db.CountAsync("SELECT count(*) - count(DISTINCT ticket_number) FROM tickets"));
        Assert.Equal(0, await _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE ticket_number = @n AND deleted_at IS NULL", ("n", second.GetProperty("ticket_number").GetInt64())));
    }

    [Fact]
    public async Task Auto_assignment_picks_the_least_loaded_active_skilled_technician_and_falls_back_to_new()
    {
        var busy = await _kit.UserAsync(Roles.TechnicianL1, null, "backup");
        var idle = await _kit.UserAsync(Roles.TechnicianL2, null, "backup", "network");
        var unskilled = await _kit.UserAsync(Roles.TechnicianL1, null, "m365");
        var inactive = await _kit.UserAsync(Roles.TechnicianL1, null, "backup");
        await _kit.Db.ExecuteAsync("UPDATE users SET is_active = false WHERE id = @id", ("id", inactive.Id));
        var manager = await _kit.UserAsync(Roles.ServiceManager, null, "backup");

        // Two open tickets for "busy", one for "idle" (assigned by hand), one closed ticket for "idle" that does not count.
        foreach (var (tech, status) in new[] { (busy, "in_progress"), (busy, "assigned"), (idle, "assigned"), (idle, "closed") })
        {
            var t = await _kit.CreateTicketAsync(_customer);
            var id = t.GetProperty("id").GetGuid();
            await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["assigned_to"] = tech.Id.ToString() });
            if (status != "assigned")
            {
                await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = status });
            }
        }

        Assert.Equal(2, await _kit.Db.CountAsync("SELECT open_tickets FROM technician_load WHERE user_id = @u", ("u", busy.Id)));
        Assert.Equal(1, await _kit.Db.CountAsync("SELECT open_tickets FROM technician_load WHERE user_id = @u", ("u", idle.Id)));

        var assigned = await _kit.CreateTicketAsync(_customer, category: "Backup");
        Assert.Equal(idle.Id, assigned.GetProperty("assigned_to").GetGuid());
        Assert.Equal("assigned", assigned.GetProperty("status").GetString());
        var events = await _kit.EventsAsync(assigned.GetProperty("id").GetGuid());
        Assert.Equal(["ticket.created", "ticket.assigned"], events.Select(e => e.Type));
        Assert.True(events[1].Payload.GetProperty("automatic").GetBoolean());
        Assert.Equal(idle.Id, events[1].Payload.GetProperty("new_assigned_to").GetGuid());

        // Now both hold two: the tie goes to the longer-serving technician ("busy" was created first).
        var next = await _kit.CreateTicketAsync(_customer, category: "backup");
        Assert.Equal(busy.Id, next.GetProperty("assigned_to").GetGuid());

        // Nobody skilled (the m365 technician is, but "erp" matches no one; the manager's skills do not count).
        var nobody = await _kit.CreateTicketAsync(_customer, category: "erp");
        Assert.Equal("new", nobody.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, nobody.GetProperty("assigned_to").ValueKind);
        Assert.Equal(["ticket.created"], (await _kit.EventsAsync(nobody.GetProperty("id").GetGuid())).Select(e => e.Type));
        var noCategory = await _kit.CreateTicketAsync(_customer);
        Assert.Equal("new", noCategory.GetProperty("status").GetString());
        Assert.NotEqual(unskilled.Id, (await _kit.CreateTicketAsync(_customer, category: "backup")).GetProperty("assigned_to").GetGuid());
        Assert.Equal(0, await _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE assigned_to IN (@a, @b)", ("a", inactive.Id), ("b", manager.Id)));
    }

    [Fact]
    public async Task Concurrent_creates_spread_over_the_skilled_technicians_without_deadlocks_and_the_load_stays_exact()
    {
        var techs = new List<User>();
        for (var i = 0; i < 4; i++)
        {
            techs.Add(await _kit.UserAsync(Roles.TechnicianL1, null, "telephony"));
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ =>
            _kit.Admin.PostAsync("/api/v1/tickets", TicketTestKit.Json(TicketTestKit.NewTicket(_customer, category: "telephony")))));
        Assert.All(responses, r => Assert.Equal(201, (int)r.StatusCode));
        var perTech = await Task.WhenAll(techs.Select(t => _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE assigned_to = @u", ("u", t.Id))));
        Assert.Equal(40, perTech.Sum());
        // How evenly a burst spreads depends on scheduling (creates decide on counts that others are about to raise),
        // so it only has to reach everyone; the rule then levels: the next creates, one at a time, go to the least
        // loaded until all hold the same.
        Assert.All(perTech, n => Assert.True(n > 0, $"a skilled technician got nothing from the burst: {string.Join(", ", perTech)}"));
        var behind = perTech.Sum(n => perTech.Max() - n);
        for (var i = 0; i < behind; i++)
        {
            await _kit.CreateTicketAsync(_customer, category: "telephony");
        }

        var levelled = await Task.WhenAll(techs.Select(t => _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE assigned_to = @u", ("u", t.Id))));
        Assert.All(levelled, n => Assert.Equal(perTech.Max(), n));
        Assert.Equal(0, await _kit.Db.CountAsync("""
            SELECT count(*) FROM technician_load l
             WHERE open_tickets <> (SELECT count(*) FROM tickets t WHERE t.assigned_to = l.user_id AND t.deleted_at IS NULL
                                      AND t.status IN ('new', 'assigned', 'in_progress', 'waiting_customer'))
            """));
    }

    [Fact]
    public async Task When_every_skilled_technician_is_being_assigned_the_create_waits_for_one_and_a_missing_load_row_is_repaired()
    {
        var only = await _kit.UserAsync(Roles.TechnicianL2, null, "firewall");

        // Another create holds the only skilled technician's load row: this one does not skip to "unassigned" but
        // queues behind it, and both tickets end up counted.
        await using (var holder = await _kit.Db.OpenConnectionAsync())
        await using (var transaction = await holder.BeginTransactionAsync())
        {
            await using (var hold = new NpgsqlCommand("SELECT 1 FROM technician_load WHERE user_id = @u FOR UPDATE", holder, transaction))
            {
                hold.Parameters.AddWithValue("u", only.Id);
                await hold.ExecuteScalarAsync();
            }

            var waiting = _kit.Admin.PostAsync("/api/v1/tickets", TicketTestKit.Json(TicketTestKit.NewTicket(_customer, category: "firewall")));
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted, "the create should wait for the technician's load row");
            await transaction.CommitAsync();
            var response = await waiting;
            Assert.Equal(201, (int)response.StatusCode);
            Assert.Equal(only.Id, (await ApiServer.ReadJsonAsync(response)).GetProperty("assigned_to").GetGuid());
        }

        Assert.Equal(1, await _kit.Db.CountAsync("SELECT open_tickets FROM technician_load WHERE user_id = @u", ("u", only.Id)));

        // A load row that went missing is created again and the technician keeps getting tickets.
        await _kit.Db.ExecuteAsync("DELETE FROM technician_load WHERE user_id = @u", ("u", only.Id));
        var ticket = await _kit.CreateTicketAsync(_customer, category: "firewall");
        Assert.Equal(only.Id, ticket.GetProperty("assigned_to").GetGuid());
        Assert.Equal(1, await _kit.Db.CountAsync("SELECT open_tickets FROM technician_load WHERE user_id = @u", ("u", only.Id)));
    }

    [Fact]
    public async Task Create_writes_the_audit_row_and_ticket_created_event_in_its_transaction()
    {
        var ticket = await _kit.CreateTicketAsync(_customer, title: "Audit und Ereignis");
        var id = ticket.GetProperty("id").GetGuid();
        Assert.Equal(["created"], await _kit.Db.AuditActionsAsync("ticket", id));
        var events = await _kit.EventsAsync(id);
        var created = Assert.Single(events);
        Assert.Equal("ticket.created", created.Type);
        Assert.Equal("Audit und Ereignis", created.Payload.GetProperty("data").GetProperty("title").GetString());
        Assert.Equal(1, await _kit.Db.CountAsync(
            "SELECT count(*) FROM audit_log WHERE entity_id = @id AND actor_type = 'user' AND actor_id = @actor AND new_values->>'title' = 'Audit und Ereignis' AND request_id IS NOT NULL",
            ("id", id.ToString()), ("actor", _kit.Api.AdminId.ToString())));
    }

    public static TheoryData<string, string> BadInput() => new()
    {
        { """{"title":"ab","description":"lang genug beschrieben","customer_id":"CUSTOMER"}""", "title" },
        { """{"description":"lang genug beschrieben","customer_id":"CUSTOMER"}""", "title" },
        { """{"title":"Drucker","description":"kurz","customer_id":"CUSTOMER"}""", "description" },
        { """{"title":"Drucker","description":"<p><script>alert(1)</script></p>","customer_id":"CUSTOMER"}""", "description" },
        { """{"title":"Drucker","description":"lang genug beschrieben","customer_id":"CUSTOMER","priority":"urgent"}""", "priority" },
        { """{"title":"Drucker","description":"lang genug beschrieben","customer_id":"CUSTOMER","source":"fax"}""", "source" },
        { """{"title":"Drucker","description":"lang genug beschrieben","customer_id":"CUSTOMER","tags":["ok","not ok"]}""", "tags" },
        { """{"title":"Drucker","description":"lang genug beschrieben"}""", "customer_id" },
        { """{"title":"Drucker","description":"lang genug beschrieben","customer_id":"UNKNOWN"}""", "customer_id" },
        { """{"title":"Drucker","description":"lang genug beschrieben","customer_id":"DELETED"}""", "customer_id" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_is_422_with_the_field_and_nothing_is_written(string template, string field)
    {
        var deleted = await _kit.CustomerAsync("Gelöscht");
        await _kit.Db.ExecuteAsync("UPDATE customers SET deleted_at = now() WHERE id = @id", ("id", deleted));
        var body = template.Replace("CUSTOMER", _customer.ToString(), StringComparison.Ordinal)
            .Replace("UNKNOWN", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("DELETED", deleted.ToString(), StringComparison.Ordinal);
        var written = await _kit.WrittenRowsAsync();
        var error = await ApiServer.AssertErrorAsync(await _kit.Admin.PostAsync("/api/v1/tickets", ApiServer.Json(body)), 422, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
        Assert.Equal(written, await _kit.WrittenRowsAsync());
    }

    [Theory]
    [InlineData("""{"title":"Drucker","description":"lang genug beschrieben","customer_id":42}""", 400, "INVALID_INPUT")]
    [InlineData("""{"title":"Drucker","description":"lang genug beschrieben","colour":"red"}""", 400, "INVALID_INPUT")]
    [InlineData("""{"title":""", 400, "INVALID_INPUT")]
    public async Task Malformed_bodies_are_400_and_nothing_is_written(string body, int status, string code)
    {
        var written = await _kit.WrittenRowsAsync();
        await ApiServer.AssertErrorAsync(await _kit.Admin.PostAsync("/api/v1/tickets", ApiServer.Json(body)), status, code);
        Assert.Equal(written, await _kit.WrittenRowsAsync());
    }

    [Fact]
    public async Task The_description_is_sanitised_before_it_is_stored()
    {
        var body = TicketTestKit.NewTicket(_customer, description: "<p onclick=\"x()\">Hallo <b>Welt</b><script>alert(1)</script>, bitte prüfen</p>");
        var ticket = await TicketTestKit.PostTicketAsync(_kit.Admin, body);
        Assert.Equal("<p>Hallo Welt, bitte prüfen</p>", ticket.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Customer_admins_create_only_for_their_company_and_always_through_the_portal()
    {
        var other = await _kit.CustomerAsync("Andere Firma", _policy);
        var admin = await _kit.UserAsync(Roles.CustomerAdmin, _customer);
        using var client = _kit.ClientFor(admin);

        var own = TicketTestKit.NewTicket(null);
        own["source"] = "phone";
        var ticket = await TicketTestKit.PostTicketAsync(client, own);
        Assert.Equal(_customer, ticket.GetProperty("customer_id").GetGuid());
        Assert.Equal("portal", ticket.GetProperty("source").GetString());

        var written = await _kit.WrittenRowsAsync();
        var foreign = await client.PostAsync("/api/v1/tickets", TicketTestKit.Json(TicketTestKit.NewTicket(other)));
        await ApiServer.AssertErrorAsync(foreign, 403, "PERMISSION_DENIED");
        Assert.Equal(written, await _kit.WrittenRowsAsync());
    }

    [Theory]
    [InlineData(Roles.ServiceManager)]
    [InlineData(Roles.TechnicianL1)]
    [InlineData(Roles.TechnicianL2)]
    public async Task Staff_roles_create_tickets_for_any_customer_with_the_source_they_give(string role)
    {
        var user = await _kit.UserAsync(role);
        using var client = _kit.ClientFor(user);
        var body = TicketTestKit.NewTicket(_customer);
        body["source"] = "phone";
        var ticket = await TicketTestKit.PostTicketAsync(client, body);
        Assert.Equal("phone", ticket.GetProperty("source").GetString());
        Assert.Equal(user.Id, ticket.GetProperty("created_by").GetGuid());
    }
}
