using System.Text.Json;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Crm;

/// <summary>Customers end to end on real PostgreSQL: create, read, change, soft delete, duplicates, audit and events.</summary>
public sealed class CustomerApiTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private static string Unique(string name) => $"{name} {Guid.NewGuid().ToString("N")[..8]}";

    private Task<Answer> CreateAsync(string json) => Rest.CreateAsync(_api.Client, "/api/v1/customers", json);

    [Fact]
    public async Task Create_generates_numbers_skips_hand_made_ones_and_answers_with_location_and_etag()
    {
        var first = await CreateAsync($$"""{"name":"{{Unique("Erste")}}"}""");
        var number = first.Body.GetProperty("customer_number").GetString()!;
        Assert.Matches("^K-[0-9]{5}$", number);
        var next = "K-" + (int.Parse(number[2..], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
        await CreateAsync($$"""{"name":"{{Unique("Handnummer")}}","customer_number":"{{next}}"}""");
        var third = await CreateAsync($$"""{"name":"{{Unique("Dritte")}}"}""");
        var thirdNumber = third.Body.GetProperty("customer_number").GetString()!;
        Assert.NotEqual(next, thirdNumber);
        Assert.True(string.CompareOrdinal(thirdNumber, next) > 0);

        Assert.Equal($"/api/v1/customers/{first.Id}", first.Response.Headers.Location!.ToString());
        Assert.Equal("\"1\"", first.ETag);
        Assert.Equal(1, first.Body.GetProperty("version").GetInt32());
        Assert.Equal(("de", true, "DE"), (first.Body.GetProperty("language").GetString(), first.Body.GetProperty("is_active").GetBoolean(), first.Body.GetProperty("country").GetString()));
    }

    [Fact]
    public async Task Create_stores_every_field_and_get_returns_it_with_the_etag()
    {
        var created = await CreateAsync("""
            {"customer_number":"K-ALL-1","name":" Volle Felder GmbH ","vat_id":"de 811 907 980","language":"en","notes":"Zugang über Hof",
             "is_active":false,"street":"Hauptstraße 1","postal_code":"10115","city":"Berlin","country":"at"}
            """);
        var read = await Rest.GetAsync(_api.Client, $"/api/v1/customers/{created.Id}");
        Assert.Equal(200, read.Status);
        Assert.Equal("\"1\"", read.ETag);
        var body = read.Body;
        Assert.Equal("Volle Felder GmbH", body.GetProperty("name").GetString());
        Assert.Equal("DE811907980", body.GetProperty("vat_id").GetString());
        Assert.Equal("en", body.GetProperty("language").GetString());
        Assert.Equal("Zugang über Hof", body.GetProperty("notes").GetString());
        Assert.False(body.GetProperty("is_active").GetBoolean());
        Assert.Equal(("Hauptstraße 1", "10115", "Berlin", "AT"), (body.GetProperty("street").GetString(), body.GetProperty("postal_code").GetString(), body.GetProperty("city").GetString(), body.GetProperty("country").GetString()));
    }

    [Fact]
    public async Task Get_of_an_unknown_customer_is_404_and_unknown_query_parameters_are_400()
    {
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/customers/{Guid.NewGuid()}")).Response, 404, "RESOURCE_NOT_FOUND");
        var created = await CreateAsync($$"""{"name":"{{Unique("Parameter")}}"}""");
        var error = await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/customers/{created.Id}?page=2")).Response, 400, "VALIDATION_ERROR");
        Assert.Equal(["page"], Rest.DetailFields(error));
    }

    [Fact]
    public async Task Patch_changes_only_the_named_fields_bumps_the_version_and_writes_audit_and_event()
    {
        var created = await CreateAsync($$"""{"name":"{{Unique("Vorher")}}","notes":"bleibt","vat_id":"DE811907980"}""");
        var newName = Unique("Nachher");
        var patched = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", $$"""{"name":"{{newName}}","vat_id":null}""", created.ETag);
        Assert.Equal(200, patched.Status);
        Assert.Equal("\"2\"", patched.ETag);
        Assert.Equal(newName, patched.Body.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, patched.Body.GetProperty("vat_id").ValueKind);
        Assert.Equal("bleibt", patched.Body.GetProperty("notes").GetString());
        Assert.Equal(created.Body.GetProperty("customer_number").GetString(), patched.Body.GetProperty("customer_number").GetString());

        var requestId = patched.Response.Headers.GetValues("X-Request-Id").Single();
        await using var audit = _api.Database!.DataSource.CreateCommand(
            "SELECT old_values->>'name', new_values->>'name', actor_id, request_id FROM audit_log WHERE entity_type = 'customer' AND entity_id = @id AND action = 'updated'");
        audit.Parameters.Add(new NpgsqlParameter("id", created.Id.ToString()));
        await using (var reader = await audit.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(created.Body.GetProperty("name").GetString(), reader.GetString(0));
            Assert.Equal(newName, reader.GetString(1));
            Assert.Equal(_api.AdminId.ToString(), reader.GetString(2));
            Assert.Equal(requestId, reader.GetString(3));
            Assert.False(await reader.ReadAsync());
        }

        await using var outbox = _api.Database!.DataSource.CreateCommand(
            "SELECT payload::text, actor_id, request_id, published_at IS NULL FROM outbox_events WHERE event_type = 'customer.updated' AND aggregate_type = 'customer' AND aggregate_id = @id");
        outbox.Parameters.Add(new NpgsqlParameter("id", created.Id.ToString()));
        await using var events = await outbox.ExecuteReaderAsync();
        Assert.True(await events.ReadAsync());
        var payload = JsonDocument.Parse(events.GetString(0)).RootElement;
        Assert.Equal(created.Id, payload.GetProperty("id").GetGuid());
        Assert.Equal(["name", "vat_id"], payload.GetProperty("changed_fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(newName, payload.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal(_api.AdminId.ToString(), events.GetString(1));
        Assert.Equal(requestId, events.GetString(2));
        Assert.True(events.GetBoolean(3));
    }

    [Fact]
    public async Task Create_and_delete_write_their_events_too()
    {
        var created = await CreateAsync($$"""{"name":"{{Unique("Ereignis")}}"}""");
        Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{created.Id}")).Status);
        await using var command = _api.Database!.DataSource.CreateCommand("SELECT event_type, payload->'data'->>'name' FROM outbox_events WHERE aggregate_id = @id ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter("id", created.Id.ToString()));
        var rows = new List<(string, string)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var name = created.Body.GetProperty("name").GetString()!;
        Assert.Equal([("customer.created", name), ("customer.deleted", name)], rows);
        Assert.Equal(["created", "deleted"], await _api.Db.AuditActionsAsync("customer", created.Id));
    }

    [Fact]
    public async Task A_patch_that_changes_nothing_writes_nothing()
    {
        var created = await CreateAsync($$"""{"name":"{{Unique("Gleich")}}","city":"Köln"}""");
        var before = await Crm.FootprintAsync(_api);
        var same = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", $$"""{"city":" Köln ","name":"{{created.Body.GetProperty("name").GetString()}}"}""");
        Assert.Equal(200, same.Status);
        Assert.Equal("\"1\"", same.ETag);
        Assert.Equal(before, await Crm.FootprintAsync(_api));
        Assert.Equal(200, (await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", "{}")).Status);
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Fact]
    public async Task Invalid_patch_is_422_with_every_field_named_and_nothing_written()
    {
        var created = await CreateAsync($$"""{"name":"{{Unique("Gültig")}}"}""");
        var before = await Crm.FootprintAsync(_api);
        var answer = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", """{"name":null,"language":"fr","country":"Deutschland","customer_number":"","is_active":null,"postal_code":"!"}""");
        var error = await ApiServer.AssertErrorAsync(answer.Response, 422, "VALIDATION_ERROR");
        Assert.Equal(["customer_number", "name", "language", "is_active", "postal_code", "country"], Rest.DetailFields(error));
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Theory]
    [InlineData("""{"colour":"red"}""", "colour")]
    [InlineData("""{"name":42}""", "name")]
    [InlineData("""{"is_active":"yes"}""", "is_active")]
    [InlineData("""{"id":"00000000-0000-0000-0000-000000000000"}""", "id")]
    [InlineData("""{"version":7}""", "version")]
    public async Task Unknown_or_mistyped_patch_fields_are_400_and_nothing_written(string body, string field)
    {
        var created = await CreateAsync($$"""{"name":"{{Unique("Typen")}}"}""");
        var before = await Crm.FootprintAsync(_api);
        var error = await ApiServer.AssertErrorAsync((await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", body)).Response, 400, "INVALID_INPUT");
        Assert.Equal([field], Rest.DetailFields(error));
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Fact]
    public async Task Patch_and_delete_of_an_unknown_customer_are_404()
    {
        await ApiServer.AssertErrorAsync((await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{Guid.NewGuid()}", """{"name":"Niemand"}""")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{Guid.NewGuid()}")).Response, 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Duplicate_names_are_409_case_insensitive_with_the_existing_id_and_nothing_written()
    {
        var name = Unique("Doppelt GmbH");
        var first = await CreateAsync($$"""{"name":"{{name}}"}""");
        var before = await Crm.FootprintAsync(_api);
        var answer = await Rest.PostAsync(_api.Client, "/api/v1/customers", $$"""{"name":"  {{name.ToUpperInvariant()}} "}""");
        var error = await ApiServer.AssertErrorAsync(answer.Response, 409, "RESOURCE_ALREADY_EXISTS");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("name", detail.GetProperty("field").GetString());
        Assert.Equal(first.Id, detail.GetProperty("existing_id").GetGuid());
        Assert.Equal(before, await Crm.FootprintAsync(_api));

        var other = await CreateAsync($$"""{"name":"{{Unique("Anders")}}"}""");
        var rename = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{other.Id}", $$"""{"name":"{{name.ToLowerInvariant()}}"}""");
        error = await ApiServer.AssertErrorAsync(rename.Response, 409, "RESOURCE_ALREADY_EXISTS");
        Assert.Equal(first.Id, error.GetProperty("details")[0].GetProperty("existing_id").GetGuid());
        Assert.Equal(other.Body.GetProperty("name").GetString(), (await Rest.GetAsync(_api.Client, $"/api/v1/customers/{other.Id}")).Body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Duplicate_numbers_are_409_and_a_deleted_customers_number_is_not_reused()
    {
        var number = "K-D-" + Guid.NewGuid().ToString("N")[..6];
        var first = await CreateAsync($$"""{"name":"{{Unique("Nummer")}}","customer_number":"{{number}}"}""");
        var error = await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, "/api/v1/customers", $$"""{"name":"{{Unique("Nummer")}}","customer_number":"{{number}}"}""")).Response, 409, "RESOURCE_ALREADY_EXISTS");
        Assert.Equal("customer_number", error.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(first.Id, error.GetProperty("details")[0].GetProperty("existing_id").GetGuid());

        Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{first.Id}")).Status);
        error = await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, "/api/v1/customers", $$"""{"name":"{{Unique("Nummer")}}","customer_number":"{{number}}"}""")).Response, 409, "RESOURCE_ALREADY_EXISTS");
        Assert.False(error.GetProperty("details")[0].TryGetProperty("existing_id", out _));
        Assert.Contains("deleted", error.GetProperty("details")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_name_make_one_customer_and_409s_naming_it()
    {
        var name = Unique("Wettlauf");
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Rest.PostAsync(_api.Client, "/api/v1/customers", $$"""{"name":"{{name}}"}""")));
        var winner = Assert.Single(answers, a => a.Status == 201);
        foreach (var loser in answers.Where(a => a.Status != 201))
        {
            var error = await ApiServer.AssertErrorAsync(loser.Response, 409, "RESOURCE_ALREADY_EXISTS");
            Assert.Equal(winner.Id, error.GetProperty("details")[0].GetProperty("existing_id").GetGuid());
        }

        Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM customers WHERE name = @n", ("n", name)));
        Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'customer.created' AND payload->'data'->>'name' = @n", ("n", name)));
    }

    [Fact]
    public async Task Soft_delete_hides_the_customer_frees_its_name_and_takes_contacts_and_sites_along()
    {
        var name = Unique("Weg GmbH");
        var customer = await CreateAsync($$"""{"name":"{{name}}"}""");
        var email = $"weg.{Guid.NewGuid():N}@example.com";
        var contact = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer.Id}/contacts", $$"""{"last_name":"Weg","email":"{{email}}"}""");
        var site = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer.Id}/sites", """{"name":"Zentrale"}""");

        var deleted = await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{customer.Id}", customer.ETag);
        Assert.Equal(204, deleted.Status);
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/customers/{customer.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/contacts/{contact.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/sites/{site.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.GetAsync(_api.Client, $"/api/v1/customers/{customer.Id}/contacts")).Response, 404, "RESOURCE_NOT_FOUND");
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{customer.Id}")).Response, 404, "RESOURCE_NOT_FOUND");
        var list = await Rest.GetAsync(_api.Client, $"/api/v1/customers?search={Uri.EscapeDataString(name)}");
        Assert.Equal(0, list.Body.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM customers WHERE id = @id AND deleted_at IS NOT NULL", ("id", customer.Id)));

        var again = await CreateAsync($$"""{"name":"{{name}}"}""");
        Assert.NotEqual(customer.Id, again.Id);
        await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{again.Id}/contacts", $$"""{"last_name":"Neu","email":"{{email}}"}""");

        var requestId = deleted.Response.Headers.GetValues("X-Request-Id").Single();
        Assert.Equal(3, await _api.Db.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'deleted' AND request_id = @r", ("r", requestId)));
        Assert.Equal(3, await _api.Db.CountAsync("SELECT count(*) FROM outbox_events WHERE event_type IN ('customer.deleted', 'contact.deleted', 'site.deleted') AND request_id = @r", ("r", requestId)));
    }

    [Fact]
    public async Task A_customer_with_open_tickets_or_active_users_is_not_deleted()
    {
        var customer = await CreateAsync($$"""{"name":"{{Unique("Beschäftigt")}}"}""");
        await using (var ticket = _api.Database!.DataSource.CreateCommand("INSERT INTO tickets (title, description, customer_id) VALUES ('Offen', 'Ein offenes Ticket', @c)"))
        {
            ticket.Parameters.Add(new NpgsqlParameter("c", customer.Id));
            await ticket.ExecuteNonQueryAsync();
        }

        var portalUser = await _api.CreateUserAsync(Roles.CustomerAdmin, customer.Id);
        var before = await Crm.FootprintAsync(_api);
        var error = await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{customer.Id}")).Response, 409, "RESOURCE_CONFLICT");
        Assert.Equal(["tickets", "users"], Rest.DetailFields(error));
        Assert.Equal(before, await Crm.FootprintAsync(_api));

        await using (var close = _api.Database!.DataSource.CreateCommand("UPDATE tickets SET status = 'closed' WHERE customer_id = @c"))
        {
            close.Parameters.Add(new NpgsqlParameter("c", customer.Id));
            await close.ExecuteNonQueryAsync();
        }

        Assert.Equal(200, (await Rest.PatchAsync(_api.Client, $"/api/v1/users/{portalUser.Id}", """{"is_active":false}""")).Status);
        Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{customer.Id}")).Status);
    }

    [Fact]
    public async Task A_failing_event_write_rolls_back_the_change_and_its_audit_row()
    {
        // A trigger in this test's private database makes the outbox insert fail for one name: the change, its audit
        // row and its event must all be gone, because they share one transaction.
        await using (var trigger = _api.Database!.DataSource.CreateCommand("""
            CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.payload->'data'->>'name' LIKE 'Explode%' THEN RAISE EXCEPTION 'outbox refused'; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox_events FOR EACH ROW EXECUTE FUNCTION fail_outbox();
            """))
        {
            await trigger.ExecuteNonQueryAsync();
        }

        try
        {
            var before = await Crm.FootprintAsync(_api);
            await ApiServer.AssertErrorAsync((await Rest.PostAsync(_api.Client, "/api/v1/customers", """{"name":"Explode GmbH"}""")).Response, 500, "INTERNAL_ERROR");
            Assert.Equal(before, await Crm.FootprintAsync(_api));

            var customer = await CreateAsync($$"""{"name":"{{Unique("Harmlos")}}"}""");
            before = await Crm.FootprintAsync(_api);
            await ApiServer.AssertErrorAsync((await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{customer.Id}", """{"name":"Explode AG"}""")).Response, 500, "INTERNAL_ERROR");
            Assert.Equal(before, await Crm.FootprintAsync(_api));
            Assert.Equal(customer.Body.GetProperty("name").GetString(), (await Rest.GetAsync(_api.Client, $"/api/v1/customers/{customer.Id}")).Body.GetProperty("name").GetString());
        }
        finally
        {
            await using var drop = _api.Database!.DataSource.CreateCommand("DROP TRIGGER fail_outbox ON outbox_events; DROP FUNCTION fail_outbox();");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
