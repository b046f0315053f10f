using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>PATCH: the status workflow over HTTP, assignment rules, ETags, SLA pauses, events and audit rows.</summary>
public sealed class TicketWorkflowApiTests(TicketKitFixture fixture) : IClassFixture<TicketKitFixture>, IAsyncLifetime
{
    private readonly TicketTestKit _kit = fixture.Kit;
    private Guid _customer;
    private User _tech = null!;

    public async Task InitializeAsync()
    {
        _customer = await _kit.CustomerAsync("Kanzlei Weber", await _kit.AlwaysOpenPolicyAsync());
        _tech = await _kit.UserAsync(Roles.TechnicianL2);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A ticket brought into <paramref name="status"/> along allowed steps (assigned to the technician unless new).</summary>
    private async Task<Guid> TicketInAsync(string status)
    {
        var id = (await _kit.CreateTicketAsync(_customer)).GetProperty("id").GetGuid();
        var path = status switch
        {
            "new" => [],
            "assigned" => ["assigned"],
            "in_progress" => ["assigned", "in_progress"],
            "waiting_customer" => ["assigned", "waiting_customer"],
            "resolved" => ["assigned", "resolved"],
            "closed" => new[] { "assigned", "closed" },
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
        foreach (var step in path)
        {
            var body = new JsonObject { ["status"] = step };
            if (step == "assigned")
            {
                body["assigned_to"] = _tech.Id.ToString();
            }

            await TicketTestKit.PatchOkAsync(_kit.Admin, id, body);
        }

        return id;
    }

    public static TheoryData<string, string> AllowedTransitions()
    {
        var data = new TheoryData<string, string>();
        foreach (var from in TicketVocabulary.Statuses)
        {
            foreach (var to in TicketWorkflow.AllowedFrom(from))
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllowedTransitions))]
    public async Task Every_allowed_transition_succeeds_over_http_with_its_timestamps_and_events(string from, string to)
    {
        var id = await TicketInAsync(from);
        var body = new JsonObject { ["status"] = to };
        if (to == "new")
        {
            body["assigned_to"] = null;
        }
        else if (to == "assigned")
        {
            body["assigned_to"] = _tech.Id.ToString();
        }

        var before = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        var eventsBefore = (await _kit.EventsAsync(id)).Count;
        var after = await TicketTestKit.PatchOkAsync(_kit.Admin, id, body);
        Assert.Equal(to, after.GetProperty("status").GetString());
        Assert.Equal(before.GetProperty("version").GetInt32() + 1, after.GetProperty("version").GetInt32());
        Assert.Equal(to is "resolved" or "closed", after.GetProperty("resolved_at").ValueKind != JsonValueKind.Null);
        Assert.Equal(to == "closed", after.GetProperty("closed_at").ValueKind != JsonValueKind.Null);
        var reopened = from is "resolved" or "closed";
        Assert.Equal(before.GetProperty("reopen_count").GetInt32() + (reopened ? 1 : 0), after.GetProperty("reopen_count").GetInt32());

        var last = (await _kit.EventsAsync(id)).Skip(eventsBefore).ToList();
        Assert.Equal("ticket.updated", last[0].Type);
        var statusChanged = Assert.Single(last, e => e.Type == "ticket.status_changed");
        Assert.Equal(from, statusChanged.Payload.GetProperty("old_status").GetString());
        Assert.Equal(to, statusChanged.Payload.GetProperty("new_status").GetString());
    }

    [Theory]
    [InlineData("new", "waiting_customer", false)]
    [InlineData("in_progress", "new", true)]
    [InlineData("waiting_customer", "assigned", true)]
    [InlineData("resolved", "waiting_customer", true)]
    [InlineData("resolved", "assigned", true)]
    [InlineData("closed", "resolved", true)]
    [InlineData("closed", "new", true)]
    [InlineData("closed", "waiting_customer", true)]
    [InlineData("in_progress", "closed", true)]
    [InlineData("waiting_customer", "closed", true)]
    public async Task A_forbidden_transition_is_422_listing_the_allowed_statuses_and_writes_nothing(string from, string to, bool forbidden)
    {
        var id = await TicketInAsync(from);
        if (!forbidden)
        {
            // A sanity anchor for the table: this pair is allowed.
            await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = to });
            return;
        }

        var written = await _kit.WrittenRowsAsync();
        var response = await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["status"] = to });
        var error = await ApiServer.AssertErrorAsync(response, 422, "INVALID_STATUS_TRANSITION");
        var details = error.GetProperty("details").EnumerateArray().ToList();
        Assert.Equal("status", details[0].GetProperty("field").GetString());
        Assert.Contains($"'{from}'", details[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        var allowed = details.Where(d => d.GetProperty("field").GetString() == "allowed_status").Select(d => d.GetProperty("message").GetString()!).ToList();
        Assert.Equal(TicketWorkflow.AllowedFrom(from), allowed);
        Assert.Equal(written, await _kit.WrittenRowsAsync());
    }

    [Fact]
    public async Task Assigning_moves_new_to_assigned_and_unassigning_moves_it_back_with_assigned_events()
    {
        var id = await TicketInAsync("new");
        var assigned = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["assigned_to"] = _tech.Id.ToString() });
        Assert.Equal("assigned", assigned.GetProperty("status").GetString());
        var back = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["assigned_to"] = null });
        Assert.Equal("new", back.GetProperty("status").GetString());
        var assignedEvents = (await _kit.EventsAsync(id)).Where(e => e.Type == "ticket.assigned").ToList();
        Assert.Equal(2, assignedEvents.Count);
        Assert.Equal(_tech.Id, assignedEvents[0].Payload.GetProperty("new_assigned_to").GetGuid());
        Assert.Equal(JsonValueKind.Null, assignedEvents[0].Payload.GetProperty("old_assigned_to").ValueKind);
        Assert.False(assignedEvents[0].Payload.GetProperty("automatic").GetBoolean());
        Assert.Equal(_tech.Id, assignedEvents[1].Payload.GetProperty("old_assigned_to").GetGuid());
    }

    [Fact]
    public async Task Only_active_technicians_and_managers_can_be_assignees()
    {
        var id = await TicketInAsync("new");
        var billing = await _kit.UserAsync(Roles.Billing);
        var customerUser = await _kit.UserAsync(Roles.CustomerAdmin, _customer);
        var gone = await _kit.UserAsync(Roles.TechnicianL1);
        await _kit.Db.ExecuteAsync("UPDATE users SET is_active = false WHERE id = @id", ("id", gone.Id));
        var written = await _kit.WrittenRowsAsync();
        foreach (var who in new[] { billing.Id, customerUser.Id, gone.Id, Guid.NewGuid() })
        {
            var response = await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["assigned_to"] = who.ToString() });
            var error = await ApiServer.AssertErrorAsync(response, 422, "VALIDATION_ERROR");
            Assert.Equal("assigned_to", error.GetProperty("details")[0].GetProperty("field").GetString());
        }

        Assert.Equal(written, await _kit.WrittenRowsAsync());
        var manager = await _kit.UserAsync(Roles.ServiceManager);
        Assert.Equal(manager.Id, (await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["assigned_to"] = manager.Id.ToString() })).GetProperty("assigned_to").GetGuid());
    }

    [Fact]
    public async Task Reopening_clears_resolved_and_closed_and_counts()
    {
        var id = await TicketInAsync("closed");
        var reopened = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "in_progress" });
        Assert.Equal(JsonValueKind.Null, reopened.GetProperty("resolved_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, reopened.GetProperty("closed_at").ValueKind);
        Assert.Equal(1, reopened.GetProperty("reopen_count").GetInt32());
        await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "resolved" });
        var again = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "in_progress" });
        Assert.Equal(2, again.GetProperty("reopen_count").GetInt32());
    }

    [Fact]
    public async Task Technicians_change_only_their_own_tickets_and_may_take_an_unassigned_one()
    {
        var other = await _kit.UserAsync(Roles.TechnicianL1);
        using var client = _kit.ClientFor(other);
        var foreign = await TicketInAsync("in_progress");
        var written = await _kit.WrittenRowsAsync();
        var response = await TicketTestKit.PatchAsync(client, foreign, new JsonObject { ["title"] = "Übernommen" });
        await ApiServer.AssertErrorAsync(response, 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync(await TicketTestKit.PatchAsync(client, foreign, new JsonObject { ["assigned_to"] = other.Id.ToString() }), 403, "PERMISSION_DENIED");
        Assert.Equal(written, await _kit.WrittenRowsAsync());

        var open = await TicketInAsync("new");
        await ApiServer.AssertErrorAsync(await TicketTestKit.PatchAsync(client, open, new JsonObject { ["title"] = "Nur ansehen" }), 403, "PERMISSION_DENIED");
        var taken = await TicketTestKit.PatchOkAsync(client, open, new JsonObject { ["assigned_to"] = other.Id.ToString() });
        Assert.Equal("assigned", taken.GetProperty("status").GetString());
        var worked = await TicketTestKit.PatchOkAsync(client, open, new JsonObject { ["status"] = "in_progress", ["title"] = "Drucker wird repariert" });
        Assert.Equal("Drucker wird repariert", worked.GetProperty("title").GetString());
    }

    [Fact]
    public async Task If_match_guards_against_lost_updates_and_a_race_of_two_patches_has_one_winner()
    {
        var id = await TicketInAsync("new");
        var read = await _kit.Admin.GetAsync($"/api/v1/tickets/{id}");
        var tag = TicketTestKit.ETagOf(read);
        Assert.Equal("\"1\"", tag);

        var ok = await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["title"] = "Erste Änderung" }, tag);
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal("\"2\"", TicketTestKit.ETagOf(ok));

        var written = await _kit.WrittenRowsAsync();
        var stale = await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["title"] = "Verlorene Änderung" }, tag);
        var error = await ApiServer.AssertErrorAsync(stale, 412, "PRECONDITION_FAILED");
        Assert.Equal("If-Match", error.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(written, await _kit.WrittenRowsAsync());
        await ApiServer.AssertErrorAsync(await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["title"] = "x y z" }, "not-a-tag"), 400, "INVALID_INPUT");
        Assert.Equal(200, (int)(await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["priority"] = "low" }, "*")).StatusCode);

        // Two writers holding the same tag: exactly one wins, the other learns it lost.
        var current = TicketTestKit.ETagOf(await _kit.Admin.GetAsync($"/api/v1/tickets/{id}"));
        var race = await Task.WhenAll(
            TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["title"] = "Gewinner A" }, current),
            TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["title"] = "Gewinner B" }, current));
        Assert.Equal([200, 412], race.Select(r => (int)r.StatusCode).Order());
        var winner = await ApiServer.ReadJsonAsync(race.Single(r => (int)r.StatusCode == 200));
        var final = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        Assert.Equal(winner.GetProperty("title").GetString(), final.GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_update_writes_one_audit_row_with_old_and_new_values_and_its_events_and_an_empty_change_writes_nothing()
    {
        var id = await TicketInAsync("new");
        var written = await _kit.WrittenRowsAsync();
        var same = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["title"] = "Drucker im Büro druckt nicht" });
        Assert.Equal(1, same.GetProperty("version").GetInt32());
        Assert.Equal(written, await _kit.WrittenRowsAsync());

        await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject
        {
            ["title"] = "Drucker druckt wieder nicht",
            ["priority"] = "critical",
            ["assigned_to"] = _tech.Id.ToString(),
            ["tags"] = new JsonArray("Hardware", "vip"),
            ["category"] = "printing",
        });
        Assert.Equal(["created", "updated"], await _kit.Db.AuditActionsAsync("ticket", id));
        var audit = await _kit.Db.ScalarAsync<string>("SELECT old_values::text || '|' || new_values::text FROM audit_log WHERE entity_id = @id AND action = 'updated'", ("id", id.ToString()));
        Assert.Contains("\"priority\": \"medium\"", audit, StringComparison.Ordinal);
        Assert.Contains("\"priority\": \"critical\"", audit, StringComparison.Ordinal);
        var events = (await _kit.EventsAsync(id)).Select(e => e.Type).ToList();
        Assert.Equal(["ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned", "ticket.priority_changed"], events);
        var updated = (await _kit.EventsAsync(id))[1].Payload;
        Assert.Equal(
            ["assigned_to", "category", "priority", "sla_resolution_due", "sla_response_due", "status", "tags", "title"],
            updated.GetProperty("changed_fields").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));
        var priority = (await _kit.EventsAsync(id))[4].Payload;
        Assert.Equal("medium", priority.GetProperty("old_priority").GetString());
        Assert.Equal("critical", priority.GetProperty("new_priority").GetString());
        var ticket = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        Assert.Equal(["hardware", "vip"], ticket.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Theory]
    [InlineData("""{"title":"ab"}""", "title")]
    [InlineData("""{"title":null}""", "title")]
    [InlineData("""{"priority":"urgent"}""", "priority")]
    [InlineData("""{"status":"done"}""", "status")]
    [InlineData("""{"status":null}""", "status")]
    [InlineData("""{"description":"kurz"}""", "description")]
    [InlineData("""{"tags":null}""", "tags")]
    [InlineData("""{"category":"0123456789012345678901234567890123456789012345678901234567890"}""", "category")]
    public async Task Bad_changes_are_422_with_the_field_and_nothing_is_written(string body, string field)
    {
        var id = await TicketInAsync("new");
        var written = await _kit.WrittenRowsAsync();
        var error = await ApiServer.AssertErrorAsync(await _kit.Admin.PatchAsync($"/api/v1/tickets/{id}", ApiServer.Json(body)), 422, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
        Assert.Equal(written, await _kit.WrittenRowsAsync());
    }

    [Fact]
    public async Task Unknown_and_deleted_tickets_are_404()
    {
        await ApiServer.AssertErrorAsync(await TicketTestKit.PatchAsync(_kit.Admin, Guid.NewGuid(), new JsonObject { ["title"] = "Neu" }), 404, "RESOURCE_NOT_FOUND");
        var id = await TicketInAsync("new");
        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{id}")).StatusCode);
        await ApiServer.AssertErrorAsync(await TicketTestKit.PatchAsync(_kit.Admin, id, new JsonObject { ["title"] = "Neu" }), 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Waiting_for_the_customer_pauses_the_sla_and_resuming_moves_the_due_dates_by_the_pause()
    {
        var id = await TicketInAsync("in_progress");
        var before = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        var paused = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "waiting_customer" });
        var pausedSince = paused.GetProperty("sla_paused_since").GetDateTimeOffset();
        Assert.Equal(before.GetProperty("sla_resolution_due").GetDateTimeOffset(), paused.GetProperty("sla_resolution_due").GetDateTimeOffset());
        Assert.Equal(1, await _kit.Db.CountAsync("SELECT count(*) FROM ticket_sla_pauses WHERE ticket_id = @id AND resumed_at IS NULL", ("id", id)));

        await Task.Delay(1500);
        var resumed = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "in_progress" });
        Assert.Equal(JsonValueKind.Null, resumed.GetProperty("sla_paused_since").ValueKind);
        var resumedAt = await _kit.Db.ScalarAsync<DateTime>("SELECT resumed_at FROM ticket_sla_pauses WHERE ticket_id = @id", ("id", id));
        var pause = new DateTimeOffset(resumedAt, TimeSpan.Zero) - pausedSince;
        // The pause is measured on the wall clock, which NTP may slew (by up to 0.05 %) while Task.Delay runs on the
        // monotonic one: a CI machine measured 1.49976 s for a 1.5 s delay.
        Assert.True(pause >= TimeSpan.FromSeconds(1.45), $"pause was {pause}");
        // 24x7 calendar: business time is wall time, so both due dates move by exactly the pause.
        Assert.Equal(before.GetProperty("sla_resolution_due").GetDateTimeOffset() + pause, resumed.GetProperty("sla_resolution_due").GetDateTimeOffset());
        Assert.Equal(before.GetProperty("sla_response_due").GetDateTimeOffset() + pause, resumed.GetProperty("sla_response_due").GetDateTimeOffset());

        // Resolving straight from waiting closes the pause too.
        await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "waiting_customer" });
        var resolved = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = "resolved" });
        Assert.Equal(JsonValueKind.Null, resolved.GetProperty("sla_paused_since").ValueKind);
        Assert.Equal(0, await _kit.Db.CountAsync("SELECT count(*) FROM ticket_sla_pauses WHERE ticket_id = @id AND resumed_at IS NULL", ("id", id)));
        Assert.Equal(2, await _kit.Db.CountAsync("SELECT count(*) FROM ticket_sla_pauses WHERE ticket_id = @id", ("id", id)));
    }

    [Fact]
    public async Task A_priority_change_recomputes_the_due_dates_and_an_overrun_target_breaches_at_once()
    {
        var id = await TicketInAsync("in_progress");
        var created = (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}")).GetProperty("created_at").GetDateTimeOffset();
        var low = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["priority"] = "low" });
        Assert.Equal(created.AddMinutes(480), low.GetProperty("sla_response_due").GetDateTimeOffset());
        Assert.Equal(created.AddMinutes(2880), low.GetProperty("sla_resolution_due").GetDateTimeOffset());
        Assert.False(low.GetProperty("sla_breached").GetBoolean());

        // Pretend the ticket is five hours old: critical (4 h to resolve) is overrun the moment it is chosen.
        await _kit.Db.ExecuteAsync("UPDATE tickets SET created_at = created_at - interval '5 hours' WHERE id = @id", ("id", id));
        var critical = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["priority"] = "critical" });
        Assert.Equal(created.AddHours(-5).AddMinutes(240), critical.GetProperty("sla_resolution_due").GetDateTimeOffset());
        Assert.True(critical.GetProperty("sla_breached").GetBoolean());
        var lowered = await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["priority"] = "low" });
        Assert.True(lowered.GetProperty("sla_breached").GetBoolean(), "a breach is sticky");
    }

    [Fact]
    public async Task The_first_public_staff_reply_sets_first_response_and_customer_or_internal_comments_do_not()
    {
        var id = await TicketInAsync("assigned");
        var customerUser = await _kit.UserAsync(Roles.CustomerAdmin, _customer);
        await _kit.CommentAsync(id, customerUser.Id, "<p>Gibt es schon Neuigkeiten?</p>", isInternal: false);
        await _kit.CommentAsync(id, _tech.Id, "<p>Intern: Treiber prüfen</p>", isInternal: true);
        await _kit.CommentAsync(id, null, "<p>Automatische Nachricht</p>", isInternal: false);
        var ticket = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        Assert.Equal(JsonValueKind.Null, ticket.GetProperty("first_response_at").ValueKind);

        var reply = await _kit.CommentAsync(id, _tech.Id, "<p>Wir kümmern uns darum.</p>", isInternal: false);
        var replyAt = await _kit.Db.ScalarAsync<DateTime>("SELECT created_at FROM ticket_comments WHERE id = @id", ("id", reply));
        ticket = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
        Assert.Equal(new DateTimeOffset(replyAt, TimeSpan.Zero), ticket.GetProperty("first_response_at").GetDateTimeOffset());
        await _kit.CommentAsync(id, _kit.Api.AdminId, "<p>Zweite Antwort</p>", isInternal: false);
        Assert.Equal(ticket.GetProperty("first_response_at").GetDateTimeOffset(), (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}")).GetProperty("first_response_at").GetDateTimeOffset());
    }
}
