using System.Globalization;
using System.Text.Json;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>Time entries on real PostgreSQL: validation, who books and edits what, the approval lock, ETags, filters, events.</summary>
public sealed class TimeEntriesTests(ServiceDeskFixture desk) : IClassFixture<ServiceDeskFixture>
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static string Day(int offset) => Today.AddDays(offset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<Answer> BookAsync(HttpClient client, Guid ticket, string json)
    {
        var answer = await Rest.PostAsync(client, $"/api/v1/tickets/{ticket}/time-entries", json);
        Assert.True(answer.Status == 201, $"{answer.Status} {answer.Body}");
        return answer;
    }

    private static List<int> Minutes(Answer list) => [.. list.Body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("minutes").GetInt32())];

    private static readonly int[] OneWinner = [200, 412, 412, 412];

    [Fact]
    public async Task A_technician_books_minutes_with_the_defaults_and_gets_location_and_etag()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var created = await BookAsync(desk.AsTechnician, ticket, """{"minutes":45,"note":"  Treiber neu installiert "}""");
        var entry = created.Body;
        Assert.Equal(45, entry.GetProperty("minutes").GetInt32());
        Assert.Equal(Day(0), entry.GetProperty("work_date").GetString());
        Assert.True(entry.GetProperty("billable").GetBoolean());
        Assert.Equal("remote", entry.GetProperty("work_type").GetString());
        Assert.Equal("Treiber neu installiert", entry.GetProperty("note").GetString());
        Assert.Equal(desk.Technician.Id, entry.GetProperty("user_id").GetGuid());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("approved_at").ValueKind);
        Assert.Equal(await desk.Db.ScalarAsync<long>("SELECT ticket_number FROM tickets WHERE id = @id", ("id", ticket)), entry.GetProperty("ticket_number").GetInt64());
        Assert.Equal("\"1\"", created.ETag);
        Assert.Equal($"/api/v1/time-entries/{created.Id}", created.Response.Headers.Location!.ToString());
        Assert.Equal(["time_entry.created"], await desk.Db.EventTypesAsync(created.Id));
        Assert.Equal(["created"], await desk.Db.AuditActionsAsync("time_entry", created.Id));
        Assert.Equal(45, await desk.Db.ScalarAsync<int>("SELECT minutes FROM time_entries WHERE id = @id", ("id", created.Id)));
    }

    [Fact]
    public async Task Start_and_end_give_the_minutes_and_the_work_date()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var start = new DateTimeOffset(Today.AddDays(-2).ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero);
        var created = await BookAsync(desk.AsTechnician, ticket, $$"""{"started_at":"{{start:O}}","ended_at":"{{start.AddMinutes(95):O}}","work_type":"onsite","billable":false}""");
        Assert.Equal((95, Day(-2), "onsite", false), (
            created.Body.GetProperty("minutes").GetInt32(),
            created.Body.GetProperty("work_date").GetString(),
            created.Body.GetProperty("work_type").GetString(),
            created.Body.GetProperty("billable").GetBoolean()));
        Assert.Equal(start, created.Body.GetProperty("started_at").GetDateTimeOffset());
    }

    public static TheoryData<string, string[]> InvalidEntries()
    {
        var start = new DateTimeOffset(Today.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero).AddDays(-1);
        return new()
        {
            { "{}", ["minutes"] },
            { """{"minutes":0}""", ["minutes"] },
            { """{"minutes":1441}""", ["minutes"] },
            { $$"""{"minutes":30,"started_at":"{{start:O}}","ended_at":"{{start.AddHours(1):O}}"}""", ["minutes"] },
            { $$"""{"started_at":"{{start:O}}"}""", ["ended_at"] },
            { $$"""{"started_at":"{{start:O}}","ended_at":"{{start:O}}"}""", ["ended_at"] },
            { $$"""{"minutes":30,"work_date":"{{Day(3)}}"}""", ["work_date"] },
            { $$"""{"minutes":30,"work_date":"{{Day(-400)}}"}""", ["work_date"] },
            { """{"minutes":30,"work_type":"golf"}""", ["work_type"] },
            { $$"""{"minutes":30,"note":"{{new string('x', 4001)}}"}""", ["note"] },
            { $$"""{"work_type":"golf","work_date":"{{Day(5)}}"}""", ["minutes", "work_date", "work_type"] },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public async Task An_invalid_entry_is_422_naming_each_field_and_nothing_is_written(string json, string[] fields)
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        var answer = await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/time-entries", json);
        Assert.Equal(fields, Rest.DetailFields(await ApiServer.AssertErrorAsync(answer.Response, 422, "VALIDATION_ERROR")).Order());
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Theory]
    [InlineData("""{"minutes":"viele"}""", "minutes")]
    [InlineData("""{"minutes":30,"work_date":"31.12.2026"}""", "work_date")]
    [InlineData("""{"minutes":30,"approved_at":"2026-01-01T00:00:00Z"}""", "approved_at")]
    public async Task Wrong_types_and_unknown_fields_are_400_and_nothing_is_written(string json, string field)
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        var answer = await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/time-entries", json);
        Assert.Equal([field], Rest.DetailFields(await ApiServer.AssertErrorAsync(answer.Response, 400, "INVALID_INPUT")));
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task Billing_reads_the_time_booked_on_a_ticket()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        await BookAsync(desk.AsTechnician, ticket, """{"minutes":10}""");
        Assert.Equal([10], Minutes(await Rest.GetAsync(desk.AsBilling, $"/api/v1/tickets/{ticket}/time-entries")));
    }

    [Fact]
    public async Task Technicians_book_for_themselves_managers_for_any_member_of_staff()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var before = await desk.FootprintAsync();
        var forOther = await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/time-entries", $$"""{"minutes":20,"user_id":"{{desk.OtherTechnician.Id}}"}""");
        await ApiServer.AssertErrorAsync(forOther.Response, 403, "PERMISSION_DENIED");
        foreach (var invalid in new[] { desk.PortalA.Id, desk.BillingUser.Id, Guid.NewGuid() })
        {
            var answer = await Rest.PostAsync(desk.AsManager, $"/api/v1/tickets/{ticket}/time-entries", $$"""{"minutes":20,"user_id":"{{invalid}}"}""");
            Assert.Equal(["user_id"], Rest.DetailFields(await ApiServer.AssertErrorAsync(answer.Response, 422, "VALIDATION_ERROR")));
        }

        Assert.Equal(before, await desk.FootprintAsync());
        var own = await BookAsync(desk.AsTechnician, ticket, $$"""{"minutes":20,"user_id":"{{desk.Technician.Id}}"}""");
        Assert.Equal(desk.Technician.Id, own.Body.GetProperty("user_id").GetGuid());
        var booked = await BookAsync(desk.AsManager, ticket, $$"""{"minutes":25,"user_id":"{{desk.OtherTechnician.Id}}"}""");
        Assert.Equal(desk.OtherTechnician.Id, booked.Body.GetProperty("user_id").GetGuid());
        Assert.Equal(desk.Manager.Id.ToString(), await desk.Db.ScalarAsync<string>("SELECT actor_id FROM audit_log WHERE entity_type = 'time_entry' AND entity_id = @id", ("id", booked.Id.ToString())));
    }

    [Fact]
    public async Task Technicians_change_their_own_entries_managers_any_unapproved_one()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var entry = await BookAsync(desk.AsTechnician, ticket, """{"minutes":30}""");
        var url = $"/api/v1/time-entries/{entry.Id}";
        var before = await desk.FootprintAsync();
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsOtherTechnician, url, """{"minutes":5}""")).Response, 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsOtherTechnician, url)).Response, 403, "PERMISSION_DENIED");
        Assert.Equal(before, await desk.FootprintAsync());

        var own = await Rest.PatchAsync(desk.AsTechnician, url, """{"minutes":40,"work_type":"phone","note":"Telefonat"}""", entry.ETag);
        Assert.Equal((200, "\"2\"", 40, "phone"), (own.Status, own.ETag, own.Body.GetProperty("minutes").GetInt32(), own.Body.GetProperty("work_type").GetString()));
        var managed = await Rest.PatchAsync(desk.AsManager, url, """{"billable":false}""");
        Assert.Equal((200, false), (managed.Status, managed.Body.GetProperty("billable").GetBoolean()));
        Assert.Equal(["time_entry.created", "time_entry.updated", "time_entry.updated"], await desk.Db.EventTypesAsync(entry.Id));
        Assert.Equal(
            "[\"minutes\", \"work_type\", \"note\"]",
            await desk.Db.ScalarAsync<string>("SELECT (payload->'changed_fields')::text FROM outbox_events WHERE event_type = 'time_entry.updated' AND aggregate_id = @id ORDER BY id LIMIT 1", ("id", entry.Id.ToString())));

        Assert.Equal(204, (await Rest.DeleteAsync(desk.AsTechnician, url)).Status);
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, url)).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(["created", "updated", "updated", "deleted"], await desk.Db.AuditActionsAsync("time_entry", entry.Id));
        Assert.Equal(1L, await desk.Db.CountAsync("SELECT count(*) FROM time_entries WHERE id = @id AND deleted_at IS NOT NULL", ("id", entry.Id)));
    }

    [Fact]
    public async Task A_patch_is_validated_as_a_whole_and_a_bad_one_writes_nothing()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var start = new DateTimeOffset(Today.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero).AddDays(-1);
        var entry = await BookAsync(desk.AsTechnician, ticket, $$"""{"started_at":"{{start:O}}","ended_at":"{{start.AddHours(2):O}}"}""");
        var url = $"/api/v1/time-entries/{entry.Id}";
        var before = await desk.FootprintAsync();
        foreach (var (json, field) in new[]
        {
            ("""{"minutes":30}""", "minutes"),
            ("""{"work_type":"golf"}""", "work_type"),
            ($$"""{"work_date":"{{Day(9)}}"}""", "work_date"),
            ("""{"ended_at":null}""", "ended_at"),
        })
        {
            var answer = await Rest.PatchAsync(desk.AsTechnician, url, json);
            Assert.Equal([field], Rest.DetailFields(await ApiServer.AssertErrorAsync(answer.Response, 422, "VALIDATION_ERROR")));
        }

        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsTechnician, url, """{"user_id":null}""")).Response, 400, "INVALID_INPUT");
        Assert.Equal(before, await desk.FootprintAsync());

        var later = await Rest.PatchAsync(desk.AsTechnician, url, $$"""{"ended_at":"{{start.AddHours(3):O}}"}""");
        Assert.Equal(180, later.Body.GetProperty("minutes").GetInt32());
        var switched = await Rest.PatchAsync(desk.AsTechnician, url, """{"minutes":30,"started_at":null,"ended_at":null}""");
        Assert.Equal((200, 30, JsonValueKind.Null), (switched.Status, switched.Body.GetProperty("minutes").GetInt32(), switched.Body.GetProperty("started_at").ValueKind));

        before = await desk.FootprintAsync();
        var same = await Rest.PatchAsync(desk.AsTechnician, url, """{"minutes":30}""");
        Assert.Equal((200, "\"3\""), (same.Status, same.ETag));
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task Approved_entries_are_locked_until_unapproved_and_only_approvers_approve()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var entry = await BookAsync(desk.AsTechnician, ticket, """{"minutes":60}""");
        var url = $"/api/v1/time-entries/{entry.Id}";
        var before = await desk.FootprintAsync();
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsTechnician, $"{url}/approve", "{}")).Response, 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsOtherTechnician, $"{url}/approve", "{}")).Response, 403, "PERMISSION_DENIED");
        Assert.Equal(before, await desk.FootprintAsync());

        var approved = await Rest.PostAsync(desk.AsBilling, $"{url}/approve", "{}");
        Assert.Equal((200, "\"2\"", desk.BillingUser.Id), (approved.Status, approved.ETag, approved.Body.GetProperty("approved_by").GetGuid()));
        Assert.NotEqual(JsonValueKind.Null, approved.Body.GetProperty("approved_at").ValueKind);

        before = await desk.FootprintAsync();
        foreach (var client in new[] { desk.AsTechnician, desk.AsManager, desk.Admin })
        {
            await ApiServer.AssertErrorAsync((await Rest.PatchAsync(client, url, """{"minutes":61}""")).Response, 409, "TIME_ENTRY_APPROVED");
            await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(client, url)).Response, 409, "TIME_ENTRY_APPROVED");
        }

        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsOtherTechnician, url, """{"minutes":61}""")).Response, 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsManager, $"{url}/approve", "{}")).Response, 409, "TIME_ENTRY_APPROVED");
        Assert.Equal(before, await desk.FootprintAsync());

        var unapproved = await Rest.SendAsync(desk.AsManager, HttpMethod.Post, $"{url}/unapprove", "{}", approved.ETag);
        Assert.Equal((200, JsonValueKind.Null), (unapproved.Status, unapproved.Body.GetProperty("approved_by").ValueKind));
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsBilling, $"{url}/unapprove", "{}")).Response, 409, "TIME_ENTRY_NOT_APPROVED");
        Assert.Equal(200, (await Rest.PatchAsync(desk.AsTechnician, url, """{"minutes":61}""")).Status);
        Assert.Equal(["time_entry.created", "time_entry.approved", "time_entry.unapproved", "time_entry.updated"], await desk.Db.EventTypesAsync(entry.Id));
        Assert.Equal(["created", "approved", "unapproved", "updated"], await desk.Db.AuditActionsAsync("time_entry", entry.Id));
    }

    [Fact]
    public async Task A_stale_etag_is_412_and_racing_patches_with_one_tag_let_exactly_one_win()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var entry = await BookAsync(desk.AsTechnician, ticket, """{"minutes":15}""");
        var url = $"/api/v1/time-entries/{entry.Id}";
        var answers = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => Rest.PatchAsync(desk.AsTechnician, url, $$"""{"minutes":{{15 + i}}}""", entry.ETag)));
        Assert.Equal(OneWinner, answers.Select(a => a.Status).Order());
        var winner = answers.Single(a => a.Status == 200);
        Assert.Equal(winner.Body.GetProperty("minutes").GetInt32(), await desk.Db.ScalarAsync<int>("SELECT minutes FROM time_entries WHERE id = @id", ("id", entry.Id)));
        Assert.Equal(["time_entry.created", "time_entry.updated"], await desk.Db.EventTypesAsync(entry.Id));
        Assert.All(answers.Where(a => a.Status == 412), a => Assert.Equal("\"2\"", a.ETag));

        var before = await desk.FootprintAsync();
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(desk.AsTechnician, url, entry.ETag)).Response, 412, "PRECONDITION_FAILED");
        await ApiServer.AssertErrorAsync((await Rest.SendAsync(desk.AsBilling, HttpMethod.Post, $"{url}/approve", "{}", entry.ETag)).Response, 412, "PRECONDITION_FAILED");
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsTechnician, url, """{"minutes":1}""", "W/\"2\"")).Response, 412, "PRECONDITION_FAILED");
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsTechnician, url, """{"minutes":1}""", "2")).Response, 400, "INVALID_INPUT");
        Assert.Equal(before, await desk.FootprintAsync());
        var read = await Rest.GetAsync(desk.AsTechnician, url);
        Assert.Equal("\"2\"", read.ETag);
        Assert.Equal(204, (await Rest.DeleteAsync(desk.AsTechnician, url, read.ETag)).Status);
    }

    [Fact]
    public async Task Lists_filter_by_user_billable_approval_and_dates_sorted_by_work_date()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var other = await desk.TicketAsync(desk.CustomerB);
        // A technician of its own, so the timesheet holds only this test's time.
        var technician = await desk.Api.CreateUserAsync(Roles.TechnicianL1);
        using var asTechnician = desk.Api.ClientFor(technician);
        await BookAsync(asTechnician, ticket, $$"""{"minutes":11,"work_date":"{{Day(-3)}}"}""");
        await BookAsync(asTechnician, ticket, $$"""{"minutes":12,"work_date":"{{Day(-5)}}","billable":false}""");
        var approved = await BookAsync(desk.AsOtherTechnician, ticket, $$"""{"minutes":13,"work_date":"{{Day(-1)}}"}""");
        await BookAsync(asTechnician, other, $$"""{"minutes":14,"work_date":"{{Day(-4)}}"}""");
        Assert.Equal(200, (await Rest.PostAsync(desk.AsBilling, $"/api/v1/time-entries/{approved.Id}/approve", "{}")).Status);

        var url = $"/api/v1/tickets/{ticket}/time-entries";
        Assert.Equal([12, 11, 13], Minutes(await Rest.GetAsync(desk.AsTechnician, url)));
        Assert.Equal([13, 11, 12], Minutes(await Rest.GetAsync(desk.AsTechnician, $"{url}?sort=-work_date")));
        Assert.Equal([12, 11], Minutes(await Rest.GetAsync(desk.AsTechnician, $"{url}?user_id={technician.Id}")));
        Assert.Equal([11, 13], Minutes(await Rest.GetAsync(desk.AsTechnician, $"{url}?billable=true")));
        Assert.Equal([13], Minutes(await Rest.GetAsync(desk.AsTechnician, $"{url}?approved=true")));
        Assert.Equal([12, 11], Minutes(await Rest.GetAsync(desk.AsTechnician, $"{url}?approved=false")));
        Assert.Equal([11], Minutes(await Rest.GetAsync(desk.AsTechnician, $"{url}?date_from={Day(-4)}&date_to={Day(-2)}")));
        var sparse = await Rest.GetAsync(desk.AsTechnician, $"{url}?fields=minutes,work_date&limit=1");
        Assert.Equal(["id", "minutes", "work_date"], sparse.Body.GetProperty("data")[0].EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(3, sparse.Body.GetProperty("meta").GetProperty("total").GetInt64());

        // The timesheet across tickets: one technician's week.
        var sheet = await Rest.GetAsync(desk.AsTechnician, $"/api/v1/time-entries?user_id={technician.Id}&date_from={Day(-6)}&date_to={Day(0)}");
        Assert.Equal([12, 14, 11], Minutes(sheet));
        Assert.Equal([14], Minutes(await Rest.GetAsync(desk.AsBilling, $"/api/v1/time-entries?ticket_id={other}")));

        foreach (var bad in new[] { "date_from=gestern", $"date_from={Day(0)}&date_to={Day(-1)}", "billable=ja", "user_id=42", "sort=note", "customer_id=x" })
        {
            await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"{url}?{bad}")).Response, 400, "VALIDATION_ERROR");
        }
    }

    [Fact]
    public async Task Missing_deleted_and_merged_tickets_take_no_time()
    {
        var before = await desk.FootprintAsync();
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"/api/v1/tickets/{Guid.NewGuid()}/time-entries")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{Guid.NewGuid()}/time-entries", """{"minutes":5}""")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(before, await desk.FootprintAsync());

        var deleted = await desk.TicketAsync(desk.CustomerA);
        var entry = await BookAsync(desk.AsTechnician, deleted, """{"minutes":5}""");
        await desk.Db.ExecuteAsync("UPDATE tickets SET deleted_at = now() WHERE id = @id", ("id", deleted));
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(desk.AsTechnician, $"/api/v1/time-entries/{entry.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{deleted}/time-entries", """{"minutes":5}""")).Response, 404, "RESOURCE_NOT_FOUND");
        Assert.DoesNotContain(entry.Id.ToString(), (await Rest.GetAsync(desk.AsTechnician, "/api/v1/time-entries?limit=100")).Body.ToString(), StringComparison.Ordinal);

        var survivor = await desk.TicketAsync(desk.CustomerA);
        var merged = await desk.TicketAsync(desk.CustomerA);
        await desk.Db.ExecuteAsync("UPDATE tickets SET status = 'closed', merged_into = @into WHERE id = @id", ("into", survivor), ("id", merged));
        before = await desk.FootprintAsync();
        var answer = await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{merged}/time-entries", """{"minutes":5}""");
        Assert.Contains(survivor.ToString(), (await ApiServer.AssertErrorAsync(answer.Response, 409, "TICKET_MERGED")).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await desk.FootprintAsync());
    }

    [Fact]
    public async Task A_failing_event_write_rolls_back_the_entry_and_its_audit_row()
    {
        var ticket = await desk.TicketAsync(desk.CustomerA);
        var entry = await BookAsync(desk.AsTechnician, ticket, """{"minutes":5,"note":"harmlos"}""");
        var before = await desk.FootprintAsync();
        await using (await desk.FailEventsContainingAsync("Explode"))
        {
            await ApiServer.AssertErrorAsync((await Rest.PostAsync(desk.AsTechnician, $"/api/v1/tickets/{ticket}/time-entries", """{"minutes":5,"note":"Explode"}""")).Response, 500, "INTERNAL_ERROR");
            await ApiServer.AssertErrorAsync((await Rest.PatchAsync(desk.AsTechnician, $"/api/v1/time-entries/{entry.Id}", """{"note":"Explode"}""")).Response, 500, "INTERNAL_ERROR");
        }

        Assert.Equal(before, await desk.FootprintAsync());
        Assert.Equal("harmlos", await desk.Db.ScalarAsync<string>("SELECT note FROM time_entries WHERE id = @id", ("id", entry.Id)));
    }
}
