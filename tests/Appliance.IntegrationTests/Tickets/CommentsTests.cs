using System.Text.Json;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>Comments on real PostgreSQL: sanitising, who sees internal notes, first response, edit rules, events and audit.</summary>
public sealed class CommentsTests(ServiceDeskFixture desk) : IClassFixture<ServiceDeskFixture>
{
    private static string Json(string body, bool? isInternal = null) =>
        isInternal is null
            ? $$"""{"body":{{JsonSerializer.Serialize(body)}}}"""
            : $$"""{"body":{{JsonSerializer.Serialize(body)}},"is_internal":{{(isInternal.Value ? "true" : "false")}}}""";

    private static async Task<Answer> CommentAsync(HttpClient client, Guid ticket, string body, bool? isInternal = null)
    {
        var answer = await Rest.PostAsync(client, $"/api/v1/tickets/{ticket}/comments", Json(body, isInternal));
        Assert.True(answer.Status == 201, $"{answer.Status} {answer.Body}");
        return answer;
    }

    private static List<string?> Bodies(Answer list) => [.. list.Body.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("body").GetString())];

    private static readonly int[] OneWinner = [200, 412, 412, 412];

    [Fact]
    public async Task A_comment_is_sanitised_to_the_allowed_tags_stored_and_answered_with_location_and_etag()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var created = await CommentAsync(
            desk.AsTechnician,
            ticket,
            """<p onclick="steal()">Neu <strong>gestartet</strong><script>alert(1)</script> <a href="javascript:x">hier</a><img src=x onerror=alert(2)></p><ul><li>eins</li></ul><style>p{}</style>""");
        const string Clean = "<p>Neu <strong>gestartet</strong> hier</p><ul><li>eins</li></ul>";
        Assert.Equal(Clean, created.Body.GetProperty("body").GetString());
        Assert.Equal("\"1\"", created.ETag);
        Assert.Equal($"/api/v1/comments/{created.Id}", created.Response.Headers.Location!.ToString());
        Assert.Equal(desk.Technician.Id, created.Body.GetProperty("author_id").GetGuid());
        Assert.Equal(desk.Technician.DisplayName, created.Body.GetProperty("author_name").GetString());
        Assert.False(created.Body.GetProperty("is_internal").GetBoolean());
        Assert.Equal(Clean, await desk.Db.ScalarAsync<string>("SELECT body FROM ticket_comments WHERE id = @id", ("id", created.Id)));

        var read = await Rest.GetAsync(desk.AsTechnician, $"/api/v1/comments/{created.Id}");
        Assert.Equal((200, "\"1\"", Clean), (read.Status, read.ETag, read.Body.GetProperty("body").GetString()));
    }

    [Theory]
    [InlineData("""{"body":"<script>alert(1)</script>"}""", "body")]
    [InlineData("""{"body":"  <p> </p> "}""", "body")]
    [InlineData("""{"is_internal":true}""", "body")]
    public async Task A_comment_without_visible_text_is_422_naming_the_body_and_nothing_is_written(string json, string field)
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        var answer = await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/comments", json);
        Assert.Equal([field], Rest.DetailFields(await ApiServer.AssertErrorAsync(answer.Response, 422, "VALIDATION_ERROR")));
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Theory]
    [InlineData("""{"body":"ok","is_internal":"yes"}""", "is_internal")]
    [InlineData("""{"body":"ok","author_id":"00000000-0000-0000-0000-000000000001"}""", "author_id")]
    public async Task Wrong_types_and_unknown_fields_are_400_naming_the_field_and_nothing_is_written(string json, string field)
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        var answer = await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/comments", json);
        var error = await ApiServer.AssertErrorAsync(answer.Response, 400, "INVALID_INPUT");
        Assert.Contains(field, error.GetProperty("details")[0].GetProperty("field").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task Customer_users_never_see_internal_comments_by_list_filter_or_id()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        await CommentAsync(desk.AsTechnician, ticket, "Öffentlich: wir kümmern uns");
        var note = await CommentAsync(desk.AsTechnician, ticket, "Intern: Kunde zahlt spät", isInternal: true);
        await CommentAsync(desk.AsPortalA, ticket, "Danke!");

        var staff = await Rest.GetAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/comments");
        Assert.Equal(["Öffentlich: wir kümmern uns", "Intern: Kunde zahlt spät", "Danke!"], Bodies(staff));
        var portal = await Rest.GetAsync(desk.AsPortalA, $"/api/v1/tickets/{ticket}/comments");
        Assert.Equal(["Öffentlich: wir kümmern uns", "Danke!"], Bodies(portal));
        Assert.Equal(2, portal.Body.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Empty(Bodies(await Rest.GetAsync(desk.AsPortalA, $"/api/v1/tickets/{ticket}/comments?is_internal=true")));
        Assert.Equal(["Intern: Kunde zahlt spät"], Bodies(await Rest.GetAsync(desk.AsBilling, $"/api/v1/tickets/{ticket}/comments?is_internal=true")));

        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsPortalA, $"/api/v1/comments/{note.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        var before = await desk.FootprintAsync();
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsPortalA, $"/api/v1/comments/{note.Id}", Json("überschrieben"))).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsPortalA, $"/api/v1/comments/{note.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task A_customer_user_gets_404_for_every_comment_route_of_another_company_and_nothing_is_written()
    {
        var foreign = await desk.TicketAsync(desk.CustomerB);
        var comment = await CommentAsync(desk.AsPortalB, foreign, "Server B ist down");
        var before = await desk.FootprintAsync();

        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsPortalA, $"/api/v1/tickets/{foreign}/comments")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsPortalA, $"/api/v1/comments/{comment.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsPortalA, $"/api/v1/tickets/{foreign}/comments", Json("Hallo?"))).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsPortalA, $"/api/v1/comments/{comment.Id}", Json("Hallo?"))).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsPortalA, $"/api/v1/comments/{comment.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(before, await desk.FootprintAsync());

        // Their own company's ticket answers, so the 404 above is about the company, not the route.
        Assert.Equal(200, (await Rest.GetAsync(desk.AsPortalB, $"/api/v1/tickets/{foreign}/comments")).Status);
    }

    [Fact]
    public async Task A_customer_user_may_not_write_an_internal_comment_403_naming_is_internal()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        var answer = await Rest.PostAsync(desk.AsPortalA, $"/api/v1/tickets/{ticket}/comments", Json("heimlich", isInternal: true));
        Assert.Equal(["is_internal"], Rest.DetailFields(await ApiServer.AssertErrorAsync(answer.Response, 403, "PERMISSION_DENIED")));
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task Comments_of_a_deleted_ticket_are_gone_for_everyone()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var comment = await CommentAsync(desk.AsTechnician, ticket, "vor dem Löschen");
        await desk.Db.ExecuteAsync("UPDATE tickets SET deleted_at = now() WHERE id = @id", ("id", ticket));
        var before = await desk.FootprintAsync();
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.Admin, $"/api/v1/tickets/{ticket}/comments")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.Admin, $"/api/v1/comments/{comment.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.Admin, $"/api/v1/tickets/{ticket}/comments", Json("zu spät"))).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.Admin, $"/api/v1/tickets/{Guid.NewGuid()}/comments")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task Only_the_first_public_staff_reply_sets_first_response_at()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        async Task<DateTime?> FirstResponseAsync() => await desk.Db.ScalarAsync<DateTime?>("SELECT first_response_at FROM tickets WHERE id = @id", ("id", ticket));
        var version = await desk.Db.ScalarAsync<int>("SELECT version FROM tickets WHERE id = @id", ("id", ticket));

        await CommentAsync(desk.AsPortalA, ticket, "Kunde fragt nach");
        Assert.Null(await FirstResponseAsync());
        await CommentAsync(desk.AsTechnician, ticket, "interne Notiz", isInternal: true);
        Assert.Null(await FirstResponseAsync());

        var reply = await CommentAsync(desk.AsTechnician, ticket, "Wir schauen es uns an");
        var stamped = await FirstResponseAsync();
        Assert.NotNull(stamped);
        Assert.Equal(reply.Body.GetProperty("created_at").GetDateTimeOffset().UtcDateTime, stamped.Value.ToUniversalTime(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(version + 1, await desk.Db.ScalarAsync<int>("SELECT version FROM tickets WHERE id = @id", ("id", ticket)));

        await CommentAsync(desk.AsManager, ticket, "Zweite Antwort");
        Assert.Equal(stamped, await FirstResponseAsync());
        Assert.Equal(["ticket.first_response"], await desk.Db.EventTypesAsync(ticket));
        Assert.Equal(["first_response"], await desk.Db.AuditActionsAsync("ticket", ticket));
        Assert.Equal(version + 1, await desk.Db.ScalarAsync<int>("SELECT version FROM tickets WHERE id = @id", ("id", ticket)));
    }

    [Fact]
    public async Task Racing_first_replies_stamp_the_ticket_once()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Rest.PostAsync(i % 2 == 0 ? desk.AsTechnician : desk.AsOtherTechnician, $"/api/v1/tickets/{ticket}/comments", Json($"Antwort {i}"))));
        Assert.All(answers, a => Assert.Equal(201, a.Status));
        Assert.Equal(["ticket.first_response"], await desk.Db.EventTypesAsync(ticket));
        // The stamp is the time of the reply that got the ticket first (its transaction's time, which is its created_at).
        Assert.Equal(1L, await desk.Db.CountAsync("SELECT count(*) FROM ticket_comments c JOIN tickets t ON t.id = c.ticket_id WHERE t.id = @id AND c.created_at = t.first_response_at", ("id", ticket)));
    }

    [Fact]
    public async Task A_customer_comment_on_a_waiting_ticket_leaves_its_status_alone()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA, "waiting_customer");
        await CommentAsync(desk.AsPortalA, ticket, "Hier die gewünschten Infos");
        Assert.Equal("waiting_customer", await desk.Db.ScalarAsync<string>("SELECT status FROM tickets WHERE id = @id", ("id", ticket)));
    }

    [Fact]
    public async Task Each_change_writes_its_event_and_audit_row_with_the_old_and_new_body()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var created = await CommentAsync(desk.AsTechnician, ticket, "erste Fassung", isInternal: true);
        var url = $"/api/v1/comments/{created.Id}";
        var patched = await Rest.PatchAsync(desk.AsTechnician, url, Json("<em>zweite</em> Fassung"), created.ETag);
        Assert.Equal((200, "\"2\"", "<em>zweite</em> Fassung"), (patched.Status, patched.ETag, patched.Body.GetProperty("body").GetString()));
        Assert.Equal(204, (await Rest.DeleteAsync(desk.AsTechnician, url, patched.ETag)).Status);

        Assert.Equal(["comment.created", "comment.updated", "comment.deleted"], await desk.Db.EventTypesAsync(created.Id));
        Assert.Equal(["created", "updated", "deleted"], await desk.Db.AuditActionsAsync("comment", created.Id));
        Assert.Equal("[\"body\"]", await desk.Db.ScalarAsync<string>("SELECT (payload->'changed_fields')::text FROM outbox_events WHERE event_type = 'comment.updated' AND aggregate_id = @id", ("id", created.Id.ToString())));
        Assert.Equal("erste Fassung", await desk.Db.ScalarAsync<string>("SELECT old_values->>'body' FROM audit_log WHERE entity_type = 'comment' AND action = 'updated' AND entity_id = @id", ("id", created.Id.ToString())));
        Assert.Equal(desk.Technician.Id.ToString(), await desk.Db.ScalarAsync<string>("SELECT actor_id FROM outbox_events WHERE event_type = 'comment.deleted' AND aggregate_id = @id", ("id", created.Id.ToString())));

        // Soft delete: gone from every read, kept in the table.
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, url)).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Empty(Bodies(await Rest.GetAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/comments")));
        Assert.Equal(1L, await desk.Db.CountAsync("SELECT count(*) FROM ticket_comments WHERE id = @id AND deleted_at IS NOT NULL", ("id", created.Id)));
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsTechnician, url)).Response, 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task An_identical_body_changes_nothing_and_writes_nothing()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var created = await CommentAsync(desk.AsTechnician, ticket, "<p>gleich</p>");
        var before = await desk.FootprintAsync();
        var same = await Rest.PatchAsync(desk.AsTechnician, $"/api/v1/comments/{created.Id}", Json("<p onclick=x>gleich</p>"));
        Assert.Equal((200, "\"1\""), (same.Status, same.ETag));
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task A_failing_event_write_rolls_back_the_comment_its_audit_row_and_the_first_response_stamp()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        await using (await desk.FailEventsContainingAsync("Explode"))
        {
            await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/comments", Json("Explode now"))).Response, 500, "INTERNAL_ERROR");
        }

        Assert.Equal(before, await desk.FootprintAsync());
        Assert.Null(await desk.Db.ScalarAsync<DateTime?>("SELECT first_response_at FROM tickets WHERE id = @id", ("id", ticket)));
    }

    [Fact]
    public async Task Authors_change_their_comment_within_15_minutes_managers_any_time_others_never()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var mine = await CommentAsync(desk.AsTechnician, ticket, "Tippfehler");
        var url = $"/api/v1/comments/{mine.Id}";
        var before = await desk.FootprintAsync();
        var other = await Rest.PatchAsync(desk.AsOtherTechnician, url, Json("fremd"));
        Assert.Contains("author", (await ApiServer.AssertErrorAsync(other.Response, 403, "PERMISSION_DENIED")).GetProperty("message").GetString(), StringComparison.Ordinal);
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsOtherTechnician, url)).Response, 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsBilling, url, Json("fremd"))).Response, 403, "PERMISSION_DENIED");
        Assert.Equal(before, await desk.FootprintAsync());

        Assert.Equal(200, (await Rest.PatchAsync(desk.AsTechnician, url, Json("Tippfehler behoben"))).Status);

        await desk.Db.ExecuteAsync("UPDATE ticket_comments SET created_at = now() - interval '16 minutes' WHERE id = @id", ("id", mine.Id));
        before = await desk.FootprintAsync();
        var late = await Rest.PatchAsync(desk.AsTechnician, url, Json("zu spät"));
        Assert.Contains("15 minutes", (await ApiServer.AssertErrorAsync(late.Response, 403, "PERMISSION_DENIED")).GetProperty("message").GetString(), StringComparison.Ordinal);
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsTechnician, url)).Response, 403, "PERMISSION_DENIED");
        Assert.Equal(before, await desk.FootprintAsync());

        Assert.Equal(200, (await Rest.PatchAsync(desk.AsManager, url, Json("moderiert"))).Status);
        Assert.Equal(204, (await Rest.DeleteAsync(desk.Admin, url)).Status);
    }

    [Fact]
    public async Task A_customer_user_edits_their_own_public_comment_within_the_window()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var own = await CommentAsync(desk.AsPortalA, ticket, "Drucker HP");
        var edited = await Rest.PatchAsync(desk.AsPortalA, $"/api/v1/comments/{own.Id}", Json("Drucker Brother"));
        Assert.Equal((200, "Drucker Brother"), (edited.Status, edited.Body.GetProperty("body").GetString()));
        var staff = await CommentAsync(desk.AsTechnician, ticket, "Antwort vom Support");
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsPortalA, $"/api/v1/comments/{staff.Id}", Json("geändert"))).Response, 403, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task A_stale_etag_is_412_and_racing_edits_with_one_tag_let_exactly_one_win()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var created = await CommentAsync(desk.AsTechnician, ticket, "Ausgangstext");
        var url = $"/api/v1/comments/{created.Id}";
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Rest.PatchAsync(desk.AsTechnician, url, Json($"Fassung {i}"), created.ETag)));
        Assert.Equal(OneWinner, answers.Select(a => a.Status).Order());
        Assert.Equal(["comment.created", "comment.updated"], await desk.Db.EventTypesAsync(created.Id));
        Assert.Equal(2, await desk.Db.ScalarAsync<int>("SELECT version FROM ticket_comments WHERE id = @id", ("id", created.Id)));

        var before = await desk.FootprintAsync();
        var stale = await Rest.DeleteAsync(desk.AsTechnician, url, created.ETag);
        Assert.Equal(["If-Match"], Rest.DetailFields(await ApiServer.AssertErrorAsync(stale.Response, 412, "PRECONDITION_FAILED")));
        Assert.Equal("\"2\"", stale.ETag);
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsTechnician, url, Json("x"), "1")).Response, 400, "INVALID_INPUT");
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task Lists_follow_the_list_conventions_oldest_first_by_default()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        foreach (var text in new[] { "eins", "zwei", "drei" })
        {
            await CommentAsync(desk.AsTechnician, ticket, text);
        }

        var url = $"/api/v1/tickets/{ticket}/comments";
        Assert.Equal(["eins", "zwei", "drei"], Bodies(await Rest.GetAsync(desk.AsTechnician, url)));
        Assert.Equal(["drei", "zwei", "eins"], Bodies(await Rest.GetAsync(desk.AsTechnician, $"{url}?sort=-created_at")));
        var page = await Rest.GetAsync(desk.AsTechnician, $"{url}?limit=2&page=2");
        Assert.Equal(["drei"], Bodies(page));
        Assert.Equal(3, page.Body.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, page.Body.GetProperty("links").GetProperty("next").ValueKind);
        var sparse = await Rest.GetAsync(desk.AsTechnician, $"{url}?fields=body");
        Assert.Equal(["body", "id"], sparse.Body.GetProperty("data")[0].EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(["eins"], Bodies(await Rest.GetAsync(desk.AsTechnician, $"{url}?author_id={desk.Technician.Id}&limit=1")));

        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"{url}?state=open")).Response, 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"{url}?sort=body")).Response, 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"{url}?include=author")).Response, 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"{url}?is_internal=maybe")).Response, 400, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Without_a_token_every_comment_route_is_401()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.Api.Anonymous, $"/api/v1/tickets/{ticket}/comments")).Response, 401, "AUTHENTICATION_REQUIRED");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.Api.Anonymous, $"/api/v1/tickets/{ticket}/comments", Json("x"))).Response, 401, "AUTHENTICATION_REQUIRED");
    }
}
