using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>Soft delete, watchers and merging tickets.</summary>
public sealed class TicketMergeWatchersDeleteTests(TicketKitFixture fixture) : IClassFixture<TicketKitFixture>, IAsyncLifetime
{
    private readonly TicketTestKit _kit = fixture.Kit;
    private Guid _customer;
    private User _tech = null!;

    public async Task InitializeAsync()
    {
        _customer = await _kit.CustomerAsync("Praxis Dr. Keller", await _kit.AlwaysOpenPolicyAsync());
        _tech = await _kit.UserAsync(Roles.TechnicianL2);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<Guid> TicketAsync(string title = "Drucker im Büro druckt nicht") =>
        (await _kit.CreateTicketAsync(_customer, title)).GetProperty("id").GetGuid();

    private static Task<HttpResponseMessage> MergeAsync(HttpClient client, Guid id, Guid into, string? ifMatch = null) =>
        Rest.RequestAsync(client, HttpMethod.Post, $"/api/v1/tickets/{id}/merge", TicketTestKit.Json(new JsonObject { ["into"] = into.ToString() }), ifMatch);

    [Theory]
    [InlineData(Roles.SystemAdmin)]
    [InlineData(Roles.ServiceManager)]
    public async Task Managers_and_admins_soft_delete_with_an_event_and_the_number_stays_used(string role)
    {
        var user = role == Roles.SystemAdmin ? null : await _kit.UserAsync(role);
        using var client = user is null ? null : _kit.ClientFor(user);
        var id = await TicketAsync();
        await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["assigned_to"] = _tech.Id.ToString() });
        var load = await _kit.Db.CountAsync("SELECT open_tickets FROM technician_load WHERE user_id = @u", ("u", _tech.Id));
        var response = await (client ?? _kit.Admin).DeleteAsync($"/api/v1/tickets/{id}");
        Assert.Equal(204, (int)response.StatusCode);
        Assert.Equal(1, await _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE id = @id AND deleted_at IS NOT NULL AND deleted_by = @by", ("id", id), ("by", user?.Id ?? _kit.Api.AdminId)));
        Assert.Equal(load - 1, await _kit.Db.CountAsync("SELECT open_tickets FROM technician_load WHERE user_id = @u", ("u", _tech.Id)));
        Assert.Equal("ticket.deleted", (await _kit.EventsAsync(id))[^1].Type);
        Assert.Equal("deleted", (await _kit.Db.AuditActionsAsync("ticket", id))[^1]);
        await ApiServer.AssertErrorAsync(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{id}"), 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Delete_honours_if_match()
    {
        var id = await TicketAsync();
        using var stale = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/tickets/{id}");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"7\"");
        await ApiServer.AssertErrorAsync(await _kit.Admin.SendAsync(stale), 412, "PRECONDITION_FAILED");
        using var current = new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/tickets/{id}");
        current.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        Assert.Equal(204, (int)(await _kit.Admin.SendAsync(current)).StatusCode);
    }

    [Fact]
    public async Task Watchers_are_added_idempotently_listed_and_removed_with_events()
    {
        var id = await TicketAsync();
        var manager = await _kit.UserAsync(Roles.ServiceManager);
        var first = await _kit.Admin.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = _tech.Id.ToString() }));
        Assert.Equal(201, (int)first.StatusCode);
        Assert.Equal(_tech.Id, (await ApiServer.ReadJsonAsync(first)).GetProperty("user_id").GetGuid());
        var again = await _kit.Admin.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = _tech.Id.ToString() }));
        Assert.Equal(200, (int)again.StatusCode);
        Assert.Equal(201, (int)(await _kit.Admin.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = manager.Id.ToString() }))).StatusCode);

        var list = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}/watchers");
        Assert.Equal([_tech.Id, manager.Id], list.GetProperty("data").EnumerateArray().Select(w => w.GetProperty("user_id").GetGuid()));
        Assert.Equal(_tech.Email, list.GetProperty("data")[0].GetProperty("email").GetString());

        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{id}/watchers/{_tech.Id}")).StatusCode);
        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{id}/watchers/{_tech.Id}")).StatusCode);
        list = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}/watchers");
        Assert.Equal([manager.Id], list.GetProperty("data").EnumerateArray().Select(w => w.GetProperty("user_id").GetGuid()));

        var events = (await _kit.EventsAsync(id)).Select(e => e.Type).ToList();
        Assert.Equal(["ticket.created", "ticket.watcher_added", "ticket.watcher_added", "ticket.watcher_removed"], events);
        Assert.Equal(["created", "watcher_added", "watcher_added", "watcher_removed"], await _kit.Db.AuditActionsAsync("ticket", id));
    }

    [Fact]
    public async Task Watchers_are_active_staff_and_technicians_add_only_themselves_to_tickets_not_theirs()
    {
        var id = await TicketAsync();
        var customerUser = await _kit.UserAsync(Roles.CustomerAdmin, _customer);
        var gone = await _kit.UserAsync(Roles.TechnicianL1);
        await _kit.Db.ExecuteAsync("UPDATE users SET is_active = false WHERE id = @id", ("id", gone.Id));
        var other = await _kit.UserAsync(Roles.TechnicianL1);
        var written = await _kit.WrittenRowsAsync();
        foreach (var who in new[] { customerUser.Id, gone.Id, Guid.NewGuid() })
        {
            var error = await ApiServer.AssertErrorAsync(
                await _kit.Admin.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = who.ToString() })), 422, "VALIDATION_ERROR");
            Assert.Equal("user_id", error.GetProperty("details")[0].GetProperty("field").GetString());
        }

        await ApiServer.AssertErrorAsync(await _kit.Admin.PostAsync($"/api/v1/tickets/{id}/watchers", ApiServer.Json("{}")), 422, "VALIDATION_ERROR");
        using var technician = _kit.ClientFor(other);
        await ApiServer.AssertErrorAsync(
            await technician.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = _tech.Id.ToString() })), 403, "PERMISSION_DENIED");
        Assert.Equal(written, await _kit.WrittenRowsAsync());
        Assert.Equal(201, (int)(await technician.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = other.Id.ToString() }))).StatusCode);
        await ApiServer.AssertErrorAsync(await _kit.Admin.PostAsync($"/api/v1/tickets/{Guid.NewGuid()}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = _tech.Id.ToString() })), 404, "RESOURCE_NOT_FOUND");
        using var customer = _kit.ClientFor(customerUser);
        await ApiServer.AssertErrorAsync(await customer.PostAsync($"/api/v1/tickets/{id}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = customerUser.Id.ToString() })), 403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task Merge_moves_comments_time_and_watchers_and_closes_the_merged_ticket_with_a_link()
    {
        var survivor = await TicketAsync("Drucker defekt (Hauptticket)");
        var merged = await TicketAsync("Drucker defekt (Duplikat)");
        var manager = await _kit.UserAsync(Roles.ServiceManager);
        await _kit.CommentAsync(survivor, _tech.Id, "<p>Erster Kommentar am Hauptticket</p>", false);
        var movedComment = await _kit.CommentAsync(merged, _tech.Id, "<p>Kommentar am Duplikat</p>", false);
        var movedNote = await _kit.CommentAsync(merged, _tech.Id, "<p>Interne Notiz am Duplikat</p>", true);
        await _kit.Db.ExecuteAsync("INSERT INTO time_entries (ticket_id, user_id, work_date, minutes, work_type) VALUES (@t, @u, current_date, 30, 'remote')", ("t", merged), ("u", _tech.Id));
        foreach (var (ticket, user) in new[] { (survivor, _tech.Id), (merged, _tech.Id), (merged, manager.Id) })
        {
            Assert.True((await _kit.Admin.PostAsync($"/api/v1/tickets/{ticket}/watchers", TicketTestKit.Json(new JsonObject { ["user_id"] = user.ToString() }))).IsSuccessStatusCode);
        }

        await TicketTestKit.PatchOkAsync(_kit.Admin, merged, new JsonObject { ["status"] = "waiting_customer" });
        var survivorVersion = (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{survivor}")).GetProperty("version").GetInt32();

        var response = await MergeAsync(_kit.Admin, merged, survivor);
        Assert.Equal(200, (int)response.StatusCode);
        var result = await ApiServer.ReadJsonAsync(response);
        Assert.Equal("closed", result.GetProperty("status").GetString());
        Assert.Equal(survivor, result.GetProperty("merged_into").GetGuid());
        Assert.NotEqual(JsonValueKind.Null, result.GetProperty("closed_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("sla_paused_since").ValueKind);

        Assert.Equal(3, await _kit.Db.CountAsync("SELECT count(*) FROM ticket_comments WHERE ticket_id = @id", ("id", survivor)));
        Assert.Equal(2, await _kit.Db.CountAsync("SELECT count(*) FROM ticket_comments WHERE id IN (@a, @b) AND ticket_id = @s AND moved_from = @m", ("a", movedComment), ("b", movedNote), ("s", survivor), ("m", merged)));
        Assert.Equal(1, await _kit.Db.CountAsync("SELECT count(*) FROM time_entries WHERE ticket_id = @s AND moved_from = @m", ("s", survivor), ("m", merged)));
        Assert.Equal(0, await _kit.Db.CountAsync("SELECT count(*) FROM time_entries WHERE ticket_id = @m", ("m", merged)));
        var watchers = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{survivor}/watchers");
        Assert.Equal(new[] { _tech.Id, manager.Id }.Order(), watchers.GetProperty("data").EnumerateArray().Select(w => w.GetProperty("user_id").GetGuid()).Order());
        Assert.Equal(0, (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{merged}/watchers")).GetProperty("data").GetArrayLength());
        Assert.Equal(0, await _kit.Db.CountAsync("SELECT count(*) FROM ticket_sla_pauses WHERE ticket_id = @m AND resumed_at IS NULL", ("m", merged)));
        Assert.Equal(survivorVersion + 1, (await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{survivor}")).GetProperty("version").GetInt32());

        var events = await _kit.EventsAsync(merged);
        var mergedEvent = Assert.Single(events, e => e.Type == "ticket.merged");
        Assert.Equal(survivor, mergedEvent.Payload.GetProperty("into").GetGuid());
        Assert.Equal(2, mergedEvent.Payload.GetProperty("moved_comments").GetInt32());
        Assert.Equal(1, mergedEvent.Payload.GetProperty("moved_time_entries").GetInt32());
        Assert.Equal(1, mergedEvent.Payload.GetProperty("moved_watchers").GetInt32());
        Assert.Contains(events, e => e.Type == "ticket.status_changed" && e.Payload.GetProperty("new_status").GetString() == "closed");
        Assert.Contains("merged", await _kit.Db.AuditActionsAsync("ticket", merged));
        Assert.Contains("merge_received", await _kit.Db.AuditActionsAsync("ticket", survivor));

        // Merged once, it stays merged: no second merge, no reopening.
        await ApiServer.AssertErrorAsync(await MergeAsync(_kit.Admin, merged, survivor), 409, "RESOURCE_CONFLICT");
        await ApiServer.AssertErrorAsync(await TicketTestKit.PatchAsync(_kit.Admin, merged, new JsonObject { ["status"] = "in_progress" }), 409, "RESOURCE_CONFLICT");
    }

    [Fact]
    public async Task Merge_refuses_bad_targets_and_writes_nothing()
    {
        var a = await TicketAsync();
        var b = await TicketAsync();
        var closed = await TicketAsync();
        await TicketTestKit.PatchOkAsync(_kit.Admin, closed, new JsonObject { ["status"] = "closed" });
        var deleted = await TicketAsync();
        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{deleted}")).StatusCode);
        var foreign = (await _kit.CreateTicketAsync(await _kit.CustomerAsync("Andere Firma"))).GetProperty("id").GetGuid();
        using var technician = _kit.ClientFor(await _kit.UserAsync(Roles.TechnicianL1));
        using var customer = _kit.ClientFor(await _kit.UserAsync(Roles.CustomerAdmin, _customer));
        var written = await _kit.WrittenRowsAsync();

        foreach (var into in new[] { a, closed, deleted, Guid.NewGuid(), foreign })
        {
            var error = await ApiServer.AssertErrorAsync(await MergeAsync(_kit.Admin, a, into), 422, "VALIDATION_ERROR");
            Assert.Equal("into", error.GetProperty("details")[0].GetProperty("field").GetString());
        }

        await ApiServer.AssertErrorAsync(await _kit.Admin.PostAsync($"/api/v1/tickets/{a}/merge", ApiServer.Json("{}")), 422, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync(await MergeAsync(_kit.Admin, Guid.NewGuid(), a), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await MergeAsync(_kit.Admin, a, b, "\"9\""), 412, "PRECONDITION_FAILED");
        await ApiServer.AssertErrorAsync(await MergeAsync(technician, a, closed), 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync(await MergeAsync(customer, a, closed), 403, "PERMISSION_DENIED");
        Assert.Equal(written, await _kit.WrittenRowsAsync());
    }
}
