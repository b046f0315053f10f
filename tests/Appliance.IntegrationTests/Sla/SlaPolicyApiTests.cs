using System.Net;
using System.Text.Json;
using Appliance.Domain.Identity;
using Appliance.Domain.Sla;
using Appliance.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Appliance.IntegrationTests.Sla;

/// <summary>SLA policies over HTTP against real PostgreSQL: CRUD, the one-default rule, deletes, customer assignment, preview, permissions, audit.</summary>
public sealed class SlaPolicyApiTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private async Task<JsonElement> CreateAsync(string body)
    {
        var response = await _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ApiServer.ReadJsonAsync(response);
    }

    private async Task<JsonElement> DefaultPolicyAsync()
    {
        var list = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/sla-policies?is_default=true"));
        return Assert.Single(list.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task The_migration_seeds_one_default_policy_with_office_hours_and_german_holidays()
    {
        var standard = await DefaultPolicyAsync();
        Assert.Equal("Standard", standard.GetProperty("name").GetString());
        Assert.Equal("Europe/Berlin", standard.GetProperty("time_zone").GetString());
        Assert.Equal(5, standard.GetProperty("opening_hours").GetArrayLength());
        Assert.Equal("monday", standard.GetProperty("opening_hours")[0].GetProperty("weekday").GetString());
        Assert.Equal("17:00", standard.GetProperty("opening_hours")[0].GetProperty("end").GetString());
        Assert.Equal(18, standard.GetProperty("holidays").GetArrayLength());
        Assert.Equal("2026-01-01", standard.GetProperty("holidays")[0].GetProperty("date").GetString());
        Assert.Equal(60, standard.GetProperty("targets").GetProperty("critical").GetProperty("response_minutes").GetInt32());
        Assert.Equal(2700, standard.GetProperty("targets").GetProperty("low").GetProperty("resolution_minutes").GetInt32());
        Assert.Equal(1L, await _api.Db.CountAsync("SELECT count(*) FROM sla_policies WHERE is_default"));
    }

    [Fact]
    public async Task Create_get_and_replace_round_trip_the_whole_definition_and_are_audited()
    {
        var hours = """[{"weekday":"saturday","start":"00:00","end":"24:00"},{"weekday":"monday","start":"13:00","end":"17:30"},{"weekday":"Monday","start":"07:00","end":"12:00"}]""";
        var holidays = """[{"date":"2026-12-25","name":"1. Weihnachtstag"},{"date":"2026-12-24","name":null}]""";
        var created = await CreateAsync(SlaJson.Policy("Premium 24/7", hours: hours, holidays: holidays, timeZone: "America/New_York"));
        var id = created.GetProperty("id").GetString();
        Assert.False(created.GetProperty("is_default").GetBoolean());
        Assert.Equal("America/New_York", created.GetProperty("time_zone").GetString());
        Assert.Equal(0, created.GetProperty("assigned_customers").GetInt64());
        Assert.Equal(
            ["monday 07:00-12:00", "monday 13:00-17:30", "saturday 00:00-24:00"],
            created.GetProperty("opening_hours").EnumerateArray().Select(h => $"{h.GetProperty("weekday").GetString()} {h.GetProperty("start").GetString()}-{h.GetProperty("end").GetString()}"));
        Assert.Equal(["2026-12-24", "2026-12-25"], created.GetProperty("holidays").EnumerateArray().Select(h => h.GetProperty("date").GetString()));

        var fetched = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{id}"));
        Assert.Equal(created.GetRawText(), fetched.GetRawText());

        var replaced = await _api.Client.PutAsync($"/api/v1/sla-policies/{id}", ApiServer.Json(SlaJson.Policy("Premium", timeZone: "Europe/Berlin")));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var after = await ApiServer.ReadJsonAsync(replaced);
        Assert.Equal("Premium", after.GetProperty("name").GetString());
        Assert.Equal(5, after.GetProperty("opening_hours").GetArrayLength());
        Assert.Equal(0, after.GetProperty("holidays").GetArrayLength());
        Assert.Equal(5L, await _api.Db.CountAsync($"SELECT count(*) FROM sla_policy_hours WHERE policy_id = '{id}'"));
        Assert.Equal(0L, await _api.Db.CountAsync($"SELECT count(*) FROM sla_policy_holidays WHERE policy_id = '{id}'"));

        Assert.Equal(["updated", "created"], await Rest.AuditActionsAsync(_api.Client, "sla_policy", id!));
        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_type=sla_policy&entity_id={id}&action=updated"));
        var entry = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Contains("America/New_York", entry.GetProperty("old_values").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"end\": \"24:00\"", entry.GetProperty("old_values").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"name\": \"Premium\"", entry.GetProperty("new_values").GetString(), StringComparison.Ordinal);
        Assert.Equal(_api.AdminId.ToString(), entry.GetProperty("actor_id").GetString());
    }

    [Fact]
    public async Task Unknown_policies_are_404()
    {
        var unknown = Guid.NewGuid();
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{unknown}"), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/sla-policies/{unknown}", ApiServer.Json(SlaJson.Policy("Nirgends"))), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await _api.Client.DeleteAsync($"/api/v1/sla-policies/{unknown}"), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{unknown}/preview"), 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Lists_page_sort_search_and_filter_like_every_list()
    {
        foreach (var name in new[] { "Gold", "Silber", "Bronze" })
        {
            await CreateAsync(SlaJson.Policy(name));
        }

        var sorted = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/sla-policies?sort=-name&limit=2"));
        Assert.Equal(["Standard", "Silber"], sorted.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(4, sorted.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Equal(2, sorted.GetProperty("meta").GetProperty("total_pages").GetInt32());
        Assert.EndsWith("page=2", sorted.GetProperty("links").GetProperty("next").GetString(), StringComparison.Ordinal);

        var second = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/sla-policies?sort=-name&limit=2&page=2"));
        Assert.Equal(["Gold", "Bronze"], second.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(5, second.GetProperty("data")[0].GetProperty("opening_hours").GetArrayLength());

        var search = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/sla-policies?search=ILB"));
        Assert.Equal("Silber", Assert.Single(search.GetProperty("data").EnumerateArray()).GetProperty("name").GetString());
        var nonDefault = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/sla-policies?is_default=false"));
        Assert.Equal(3, nonDefault.GetProperty("meta").GetProperty("total").GetInt64());

        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/sla-policies?colour=gold"), 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/sla-policies?sort=time_zone"), 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/sla-policies?page=9"), 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/sla-policies?is_default=maybe"), 400, "VALIDATION_ERROR");
    }

    [Theory]
    [InlineData("""{"name":"X","time_zone":"Europe/Berlin"}""", "name,opening_hours,targets")]
    [InlineData("""{"name":"Kaputt","time_zone":"Mars/Olympus","targets":TARGETS,"opening_hours":HOURS}""", "time_zone")]
    [InlineData("""{"name":"Kaputt","time_zone":"Europe/Berlin","targets":TARGETS,"opening_hours":[{"weekday":"monday","start":"08:00","end":"12:00"},{"weekday":"monday","start":"11:00","end":"13:00"}]}""", "opening_hours[1]")]
    [InlineData("""{"name":"Kaputt","time_zone":"Europe/Berlin","targets":TARGETS,"opening_hours":[{"weekday":"monday","start":"17:00","end":"08:00"}]}""", "opening_hours[0].end")]
    [InlineData("""{"name":"Kaputt","time_zone":"Europe/Berlin","targets":TARGETS,"opening_hours":[{"weekday":"funday","start":"8","end":"17:00"}]}""", "opening_hours[0].start,opening_hours[0].weekday")]
    [InlineData("""{"name":"Kaputt","time_zone":"Europe/Berlin","targets":TARGETS,"opening_hours":HOURS,"holidays":[{"date":"2026-12-25"},{"date":"2026-12-25"}]}""", "holidays[1].date")]
    [InlineData("""{"name":"Kaputt","time_zone":"Europe/Berlin","targets":{"critical":{"response_minutes":0,"resolution_minutes":10}},"opening_hours":HOURS}""", "targets.critical.response_minutes,targets.high,targets.low,targets.medium")]
    public async Task Invalid_policies_are_422_with_every_field_named_and_nothing_written(string template, string fields)
    {
        var body = template.Replace("TARGETS", SlaJson.Targets, StringComparison.Ordinal).Replace("HOURS", SlaJson.OfficeHours, StringComparison.Ordinal);
        const string counts = "SELECT (SELECT count(*) FROM sla_policies) * 1000000 + (SELECT count(*) FROM sla_policy_hours) * 1000 + (SELECT count(*) FROM audit_log)";
        var before = await _api.Db.CountAsync(counts);
        var error = await ApiServer.AssertErrorAsync(await _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json(body)), 422, "VALIDATION_ERROR");
        Assert.Equal(fields, string.Join(',', error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).Order(StringComparer.Ordinal)));

        var standard = (await DefaultPolicyAsync()).GetProperty("id").GetString();
        await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/sla-policies/{standard}", ApiServer.Json(body)), 422, "VALIDATION_ERROR");
        Assert.Equal(before, await _api.Db.CountAsync(counts));
    }

    [Fact]
    public async Task Malformed_bodies_are_400_naming_the_field()
    {
        var unknownField = await ApiServer.AssertErrorAsync(await _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json(SlaJson.Policy("X").Replace("\"description\"", "\"colour\"", StringComparison.Ordinal))), 400, "INVALID_INPUT");
        Assert.Equal("colour", unknownField.GetProperty("details")[0].GetProperty("field").GetString());
        var wrongType = await ApiServer.AssertErrorAsync(await _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json(SlaJson.Policy("X", targets: """{"critical":{"response_minutes":"soon"}}"""))), 400, "INVALID_INPUT");
        Assert.Contains("response_minutes", wrongType.GetProperty("details")[0].GetProperty("field").GetString(), StringComparison.Ordinal);
        await ApiServer.AssertErrorAsync(await _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json("{\"name\":")), 400, "INVALID_INPUT");
    }

    [Fact]
    public async Task Names_are_unique_ignoring_case()
    {
        var gold = await CreateAsync(SlaJson.Policy("Gold"));
        var error = await ApiServer.AssertErrorAsync(await _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json(SlaJson.Policy("GOLD"))), 409, "RESOURCE_ALREADY_EXISTS");
        Assert.Equal("name", error.GetProperty("details")[0].GetProperty("field").GetString());
        var standard = (await DefaultPolicyAsync()).GetProperty("id").GetString();
        await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/sla-policies/{standard}", ApiServer.Json(SlaJson.Policy("gold"))), 409, "RESOURCE_ALREADY_EXISTS");
        // renaming a policy to its own name in another case is fine
        var renamed = await _api.Client.PutAsync($"/api/v1/sla-policies/{gold.GetProperty("id").GetString()}", ApiServer.Json(SlaJson.Policy("GOLD")));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
    }

    [Fact]
    public async Task Making_a_policy_the_default_demotes_the_old_one_and_there_is_always_exactly_one()
    {
        var standardId = (await DefaultPolicyAsync()).GetProperty("id").GetString();
        var premium = await CreateAsync(SlaJson.Policy("Premium", isDefault: true));
        var premiumId = premium.GetProperty("id").GetString();
        Assert.True(premium.GetProperty("is_default").GetBoolean());
        Assert.Equal(premiumId, (await DefaultPolicyAsync()).GetProperty("id").GetString());
        var standard = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standardId}"));
        Assert.False(standard.GetProperty("is_default").GetBoolean());
        Assert.Equal(["updated"], await Rest.AuditActionsAsync(_api.Client, "sla_policy", standardId!));

        // The default cannot simply stop being the default ...
        var refused = await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/sla-policies/{premiumId}", ApiServer.Json(SlaJson.Policy("Premium", isDefault: false))), 422, "VALIDATION_ERROR");
        Assert.Equal("is_default", refused.GetProperty("details")[0].GetProperty("field").GetString());
        // ... omitting the flag keeps it ...
        var kept = await ApiServer.ReadJsonAsync(await _api.Client.PutAsync($"/api/v1/sla-policies/{premiumId}", ApiServer.Json(SlaJson.Policy("Premium Plus"))));
        Assert.True(kept.GetProperty("is_default").GetBoolean());
        // ... and another policy takes it over.
        var back = await ApiServer.ReadJsonAsync(await _api.Client.PutAsync($"/api/v1/sla-policies/{standardId}", ApiServer.Json(SlaJson.Policy("Standard", isDefault: true))));
        Assert.True(back.GetProperty("is_default").GetBoolean());
        Assert.Equal(standardId, (await DefaultPolicyAsync()).GetProperty("id").GetString());
        Assert.Equal(1L, await _api.Db.CountAsync("SELECT count(*) FROM sla_policies WHERE is_default"));
    }

    [Fact]
    public async Task Concurrent_default_changes_serialise_and_leave_one_default()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => _api.Client.PostAsync("/api/v1/sla-policies", ApiServer.Json(SlaJson.Policy($"Parallel {i}", isDefault: true)))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(1L, await _api.Db.CountAsync("SELECT count(*) FROM sla_policies WHERE is_default"));
        Assert.Equal(9L, await _api.Db.CountAsync("SELECT count(*) FROM sla_policies"));
    }

    [Fact]
    public async Task The_database_itself_refuses_a_second_default_or_none_at_all()
    {
        await using var connection = await _api.Database!.DataSource.OpenConnectionAsync();
        await using (var second = new NpgsqlCommand("INSERT INTO sla_policies (name, is_default, time_zone, critical_response_minutes, critical_resolution_minutes, high_response_minutes, high_resolution_minutes, medium_response_minutes, medium_resolution_minutes, low_response_minutes, low_resolution_minutes) VALUES ('Zweiter', true, 'UTC', 1, 1, 1, 1, 1, 1, 1, 1)", connection))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => second.ExecuteNonQueryAsync());
            Assert.Equal("sla_policies_one_default", ex.ConstraintName);
        }

        await using var none = new NpgsqlCommand("UPDATE sla_policies SET is_default = false", connection);
        var noDefault = await Assert.ThrowsAsync<PostgresException>(() => none.ExecuteNonQueryAsync());
        Assert.Equal("sla_policies_require_default", noDefault.ConstraintName);
        Assert.Equal(1L, await _api.Db.CountAsync("SELECT count(*) FROM sla_policies WHERE is_default"));
    }

    [Fact]
    public async Task Delete_is_refused_for_the_default_and_while_assigned_then_removes_everything()
    {
        var standardId = (await DefaultPolicyAsync()).GetProperty("id").GetString();
        var refusedDefault = await ApiServer.AssertErrorAsync(await _api.Client.DeleteAsync($"/api/v1/sla-policies/{standardId}"), 409, "RESOURCE_CONFLICT");
        Assert.Contains("default", refusedDefault.GetProperty("message").GetString(), StringComparison.Ordinal);

        var gold = await CreateAsync(SlaJson.Policy("Gold", holidays: """[{"date":"2026-12-25","name":"Weihnachten"}]"""));
        var goldId = gold.GetProperty("id").GetString();
        var customer = (await Rest.CreateCustomerAsync(_api.Client, "K-GOLD")).Id;
        var gone = (await Rest.CreateCustomerAsync(_api.Client, "K-GONE")).Id;
        Assert.Equal(HttpStatusCode.OK, (await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json($"{{\"sla_policy_id\":\"{goldId}\"}}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.Client.PutAsync($"/api/v1/customers/{gone}/sla-policy", ApiServer.Json($"{{\"sla_policy_id\":\"{goldId}\"}}"))).StatusCode);
        Assert.Equal(2, (await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{goldId}"))).GetProperty("assigned_customers").GetInt64());

        var refusedAssigned = await ApiServer.AssertErrorAsync(await _api.Client.DeleteAsync($"/api/v1/sla-policies/{goldId}"), 409, "RESOURCE_CONFLICT");
        Assert.Equal("2", refusedAssigned.GetProperty("details")[0].GetProperty("message").GetString());

        // A soft-deleted customer does not block the delete; it goes back to the default.
        await _api.Db.CountAsync($"WITH d AS (UPDATE customers SET deleted_at = now() WHERE id = '{gone}' RETURNING 1) SELECT count(*) FROM d");
        Assert.Equal(HttpStatusCode.OK, (await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json("{\"sla_policy_id\":null}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.Client.DeleteAsync($"/api/v1/sla-policies/{goldId}")).StatusCode);

        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{goldId}"), 404, "RESOURCE_NOT_FOUND");
        Assert.Equal(0L, await _api.Db.CountAsync($"SELECT (SELECT count(*) FROM sla_policy_hours WHERE policy_id = '{goldId}') + (SELECT count(*) FROM sla_policy_holidays WHERE policy_id = '{goldId}')"));
        Assert.Equal(0L, await _api.Db.CountAsync($"SELECT count(*) FROM customers WHERE sla_policy_id = '{goldId}'"));
        Assert.Equal(["deleted", "created"], await Rest.AuditActionsAsync(_api.Client, "sla_policy", goldId!));
        Assert.Equal(["sla_policy.assigned", "sla_policy.assigned", "created"], await Rest.AuditActionsAsync(_api.Client, "customer", gone.ToString()));
    }

    [Fact]
    public async Task Customers_follow_the_default_until_given_their_own_policy()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client, "K-SLA")).Id;
        var standard = await DefaultPolicyAsync();
        var initial = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/customers/{customer}/sla-policy"));
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("sla_policy_id").ValueKind);
        Assert.Equal(standard.GetProperty("id").GetString(), initial.GetProperty("effective_policy_id").GetString());
        Assert.Equal("Standard", initial.GetProperty("effective_policy_name").GetString());

        var premium = await CreateAsync(SlaJson.Policy("Premium", timeZone: "America/New_York"));
        var premiumId = premium.GetProperty("id").GetGuid();
        var assigned = await ApiServer.ReadJsonAsync(await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json($"{{\"sla_policy_id\":\"{premiumId}\"}}")));
        Assert.Equal(premiumId, assigned.GetProperty("sla_policy_id").GetGuid());
        Assert.Equal("Premium", assigned.GetProperty("effective_policy_name").GetString());

        var store = _api.Services.GetRequiredService<SlaPolicyStore>();
        var effective = await store.ForCustomerAsync(customer, CancellationToken.None);
        Assert.NotNull(effective);
        Assert.Equal(premiumId, effective.PolicyId);
        Assert.True(effective.IsCustomerSpecific);
        Assert.Equal("America/New_York", effective.Calendar.TimeZoneId);
        Assert.Equal(TimeSpan.FromMinutes(30), effective.Targets.Critical.Response);
        // The resolver hands the tickets module a pure calendar: due dates need no more I/O.
        Assert.Equal(DateTimeOffset.Parse("2026-03-09T09:00-04:00", System.Globalization.CultureInfo.InvariantCulture), effective.Calendar.AddBusinessTime(DateTimeOffset.Parse("2026-03-06T16:00-05:00", System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromHours(2)));

        var reset = await ApiServer.ReadJsonAsync(await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json("{\"sla_policy_id\":null}")));
        Assert.Equal(JsonValueKind.Null, reset.GetProperty("sla_policy_id").ValueKind);
        var fallback = await store.ForCustomerAsync(customer, CancellationToken.None);
        Assert.Equal("Standard", fallback!.Name);
        Assert.False(fallback.IsCustomerSpecific);
        Assert.Null(await store.ForCustomerAsync(Guid.NewGuid(), CancellationToken.None));

        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_type=customer&entity_id={customer}&action=sla_policy.assigned"));
        var entries = audit.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal($"{{\"sla_policy_id\": \"{premiumId}\"}}", entries[0].GetProperty("old_values").GetString());
        Assert.Equal("{\"sla_policy_id\": null}", entries[0].GetProperty("new_values").GetString());
    }

    [Fact]
    public async Task Assignment_errors_say_what_is_wrong()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client, "K-ERR")).Id;
        var unknownPolicy = await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json($"{{\"sla_policy_id\":\"{Guid.NewGuid()}\"}}")), 422, "VALIDATION_ERROR");
        Assert.Equal("sla_policy_id", unknownPolicy.GetProperty("details")[0].GetProperty("field").GetString());
        await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/customers/{Guid.NewGuid()}/sla-policy", ApiServer.Json("{\"sla_policy_id\":null}")), 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/customers/{Guid.NewGuid()}/sla-policy"), 404, "RESOURCE_NOT_FOUND");
        var missing = await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json("{}")), 422, "VALIDATION_ERROR");
        Assert.Equal("sla_policy_id", missing.GetProperty("details")[0].GetProperty("field").GetString());
        await ApiServer.AssertErrorAsync(await _api.Client.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json("{\"sla_policy_id\":\"gold\"}")), 400, "INVALID_INPUT");
        Assert.Equal(0L, await _api.Db.CountAsync($"SELECT count(*) FROM audit_log WHERE entity_type = 'customer' AND entity_id = '{customer}' AND action = 'sla_policy.assigned'"));
    }

    [Fact]
    public async Task Preview_gives_due_dates_in_the_policy_time_zone()
    {
        var standard = (await DefaultPolicyAsync()).GetProperty("id").GetString();
        var high = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?start=2026-03-02T08:00:00Z&priority=high"));
        Assert.Equal("2026-03-02T09:00:00+01:00", high.GetProperty("start").GetString());
        Assert.True(high.GetProperty("open_at_start").GetBoolean());
        var entry = Assert.Single(high.GetProperty("priorities").EnumerateArray());
        Assert.Equal("high", entry.GetProperty("priority").GetString());
        Assert.Equal(120, entry.GetProperty("response_target_minutes").GetInt32());
        Assert.Equal("2026-03-02T11:00:00+01:00", entry.GetProperty("response_due").GetString());
        Assert.Equal("2026-03-02T17:00:00+01:00", entry.GetProperty("resolution_due").GetString());

        // Friday before the clock change, Good Friday and Easter Monday are holidays in the seeded policy.
        var overDst = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?start=2026-03-27T16:00:00%2B01:00"));
        Assert.Equal(["low", "medium", "high", "critical"], overDst.GetProperty("priorities").EnumerateArray().Select(p => p.GetProperty("priority").GetString()));
        Assert.Equal("2026-03-30T09:00:00+02:00", overDst.GetProperty("priorities")[2].GetProperty("response_due").GetString());
        var easter = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?start=2026-04-02T16:30:00+02:00&priority=critical"));
        Assert.Equal("2026-04-07T08:30:00+02:00", easter.GetProperty("priorities")[0].GetProperty("response_due").GetString());

        var closed = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?start=2026-03-07T12:00:00Z&priority=low"));
        Assert.False(closed.GetProperty("open_at_start").GetBoolean());
        Assert.Equal("2026-03-09T08:00:00+01:00", closed.GetProperty("next_opening").GetString());

        Assert.Equal(HttpStatusCode.OK, (await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview")).StatusCode);
        Assert.Equal("start", (await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?start=2026-03-02T09:00"), 400, "VALIDATION_ERROR")).GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal("start", (await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?start=9999-01-01T00:00:00Z"), 400, "VALIDATION_ERROR")).GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal("priority", (await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?priority=urgent"), 400, "VALIDATION_ERROR")).GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal("when", (await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/sla-policies/{standard}/preview?when=now"), 400, "VALIDATION_ERROR")).GetProperty("details")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Technicians_may_look_and_service_managers_may_manage()
    {
        var customer = (await Rest.CreateCustomerAsync(_api.Client, "K-ROLE")).Id;
        var policy = (await DefaultPolicyAsync()).GetProperty("id").GetString();
        var technician = await _api.CreateUserAsync(Roles.TechnicianL1);
        using (var client = _api.ClientFor(technician))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/sla-policies")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/sla-policies/{policy}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/sla-policies/{policy}/preview?priority=high")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/customers/{customer}/sla-policy")).StatusCode);
        }

        var manager = await _api.CreateUserAsync(Roles.ServiceManager);
        using var managerClient = _api.ClientFor(manager);
        var created = await managerClient.PostAsync("/api/v1/sla-policies", ApiServer.Json(SlaJson.Policy("Manager")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await ApiServer.ReadJsonAsync(created)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await managerClient.PutAsync($"/api/v1/customers/{customer}/sla-policy", ApiServer.Json($"{{\"sla_policy_id\":\"{id}\"}}"))).StatusCode);
        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_type=customer&entity_id={customer}"));
        Assert.Equal(manager.Id.ToString(), audit.GetProperty("data")[0].GetProperty("actor_id").GetString());

        await ApiServer.AssertErrorAsync(await _api.Anonymous.GetAsync("/api/v1/sla-policies"), 401, "AUTHENTICATION_REQUIRED");
    }
}
