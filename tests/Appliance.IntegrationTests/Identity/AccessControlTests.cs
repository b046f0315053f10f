using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Identity;

/// <summary>The role matrix on real endpoints, user administration, company scoping and the append-only audit log.</summary>
public sealed class AccessControlTests : IAsyncLifetime
{
    private ApiServer _api = null!;
    private Guid _customerA;
    private Guid _customerB;

    public async Task InitializeAsync()
    {
        _api = await ApiServer.StartAsync();
        _customerA = (await Rest.CreateCustomerAsync(_api.Client, "K-A", "Kunde A")).Id;
        _customerB = (await Rest.CreateCustomerAsync(_api.Client, "K-B", "Kunde B")).Id;
        await using var command = _api.Database!.DataSource.CreateCommand("""
            INSERT INTO tickets (title, description, customer_id) VALUES
              ('Drucker A', 'Drucker von Kunde A streikt', @a),
              ('Server B', 'Server von Kunde B antwortet nicht', @b);
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("a", _customerA));
        command.Parameters.Add(new NpgsqlParameter<Guid>("b", _customerB));
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_customer_admin_sees_only_their_company_tickets_by_list_filter_and_id()
    {
        var user = await _api.CreateUserAsync(Roles.CustomerAdmin, _customerA);
        using var client = _api.ClientFor(user);
        var list = await ApiServer.ReadJsonAsync(await client.GetAsync("/api/v1/tickets"));
        var rows = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("Drucker A", Assert.Single(rows).GetProperty("title").GetString());
        var other = await ApiServer.ReadJsonAsync(await client.GetAsync($"/api/v1/tickets?customer_id={_customerB}"));
        Assert.Equal(0, other.GetProperty("meta").GetProperty("total").GetInt64());

        var all = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/tickets?customer_id={_customerB}"));
        var foreignId = all.GetProperty("data")[0].GetProperty("id").GetString();
        await ApiServer.AssertErrorAsync(await client.GetAsync($"/api/v1/tickets/{foreignId}"), 404, "RESOURCE_NOT_FOUND");
        var ownId = rows[0].GetProperty("id").GetString();
        Assert.Equal(200, (int)(await client.GetAsync($"/api/v1/tickets/{ownId}")).StatusCode);
    }

    [Fact]
    public async Task Admin_creates_lists_and_updates_users_and_every_change_is_audited()
    {
        var create = await _api.Client.PostAsync("/api/v1/users", ApiServer.Json(
            "{\"email\":\"Neu.Techniker@Test.Example\",\"display_name\":\"Neu Techniker\",\"role\":\"technician_l1\",\"skills\":[\"Network\",\"network\",\"printing\"],\"password\":\"a-long-unusual-passphrase\"}"));
        Assert.Equal(201, (int)create.StatusCode);
        var user = await ApiServer.ReadJsonAsync(create);
        var id = user.GetProperty("id").GetString();
        Assert.Equal("neu.techniker@test.example", user.GetProperty("email").GetString());
        Assert.Equal(["network", "printing"], user.GetProperty("skills").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal($"/api/v1/users/{id}", create.Headers.Location!.ToString());

        var list = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/users?role=technician_l1&search=neu"));
        Assert.Equal(1, list.GetProperty("meta").GetProperty("total").GetInt64());

        var patch = await _api.Client.PatchAsync($"/api/v1/users/{id}", ApiServer.Json("{\"role\":\"technician_l2\",\"language\":\"en\"}"));
        var patched = await ApiServer.ReadJsonAsync(patch);
        Assert.Equal("technician_l2", patched.GetProperty("role").GetString());
        Assert.Equal("en", patched.GetProperty("language").GetString());

        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_type=user&entity_id={id}"));
        var entries = audit.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["updated", "created"], entries.Select(e => e.GetProperty("action").GetString()));
        var updated = entries[0];
        Assert.Equal("user", updated.GetProperty("actor_type").GetString());
        Assert.Equal(_api.AdminId.ToString(), updated.GetProperty("actor_id").GetString());
        Assert.Contains("technician_l1", updated.GetProperty("old_values").GetString(), StringComparison.Ordinal);
        Assert.Contains("technician_l2", updated.GetProperty("new_values").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(updated.GetProperty("request_id").GetString()));
        Assert.Equal("127.0.0.1", updated.GetProperty("ip").GetString());
        Assert.DoesNotContain("password", audit.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"email\":\"x@test.example\",\"display_name\":\"X\",\"role\":\"technician_l1\",\"password\":\"short\"}", "password")]
    [InlineData("{\"email\":\"x@test.example\",\"display_name\":\"X\",\"role\":\"technician_l1\",\"password\":\"password1234\"}", "password")]
    [InlineData("{\"email\":\"same.as.password@test.example\",\"display_name\":\"X\",\"role\":\"technician_l1\",\"password\":\"same.as.password@test.example\"}", "password")]
    [InlineData("{\"email\":\"not-an-email\",\"display_name\":\"X\",\"role\":\"technician_l1\",\"password\":\"a-long-unusual-passphrase\"}", "email")]
    [InlineData("{\"email\":\"x@test.example\",\"display_name\":\"X\",\"role\":\"overlord\",\"password\":\"a-long-unusual-passphrase\"}", "role")]
    [InlineData("{\"email\":\"x@test.example\",\"display_name\":\"X\",\"role\":\"customer_admin\",\"password\":\"a-long-unusual-passphrase\"}", "customer_id")]
    [InlineData("{\"email\":\"x@test.example\",\"display_name\":\"X\",\"role\":\"customer_admin\",\"customer_id\":\"7d3f0c3e-0000-4000-8000-000000000000\",\"password\":\"a-long-unusual-passphrase\"}", "customer_id")]
    public async Task Invalid_users_are_422_with_the_field_and_nothing_is_written(string body, string field)
    {
        await using var before = _api.Database!.DataSource.CreateCommand("SELECT (SELECT count(*) FROM users) * 1000 + (SELECT count(*) FROM audit_log)");
        var counts = (long)(await before.ExecuteScalarAsync())!;
        var response = await _api.Client.PostAsync("/api/v1/users", ApiServer.Json(body));
        var error = await ApiServer.AssertErrorAsync(response, 422, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
        Assert.Equal(counts, (long)(await before.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Duplicate_email_is_409_case_insensitively()
    {
        var user = await _api.CreateUserAsync(Roles.Billing);
        var response = await _api.Client.PostAsync("/api/v1/users", ApiServer.Json(
            $"{{\"email\":\"{user.Email.ToUpperInvariant()}\",\"display_name\":\"X\",\"role\":\"billing\",\"password\":\"a-long-unusual-passphrase\"}}"));
        await ApiServer.AssertErrorAsync(response, 409, "RESOURCE_ALREADY_EXISTS");
    }

    [Fact]
    public async Task Admins_cannot_deactivate_themselves()
    {
        var response = await _api.Client.PatchAsync($"/api/v1/users/{_api.AdminId}", ApiServer.Json("{\"is_active\":false}"));
        await ApiServer.AssertErrorAsync(response, 409, "RESOURCE_CONFLICT");
    }

    [Fact]
    public async Task The_audit_log_refuses_update_delete_and_truncate()
    {
        await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-Z\",\"name\":\"Kunde Z\"}"));
        await using var insert = _api.Database!.DataSource.CreateCommand("INSERT INTO audit_log (entity_type, action, actor_type) VALUES ('test', 'probe', 'system')");
        await insert.ExecuteNonQueryAsync();
        foreach (var sql in new[] { "UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log" })
        {
            await using var command = _api.Database.DataSource.CreateCommand(sql);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal("42501", ex.SqlState);
            Assert.Contains("append-only", ex.MessageText, StringComparison.Ordinal);
        }

        await using var count = _api.Database.DataSource.CreateCommand("SELECT count(*) FROM audit_log WHERE action = 'probe'");
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Audit_log_filters_and_rejects_bad_times()
    {
        var ok = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/audit-log?entity_type=user&action=created&from=2020-01-01"));
        Assert.All(ok.GetProperty("data").EnumerateArray(), e => Assert.Equal("created", e.GetProperty("action").GetString()));
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/audit-log?from=yesterday"), 400, "VALIDATION_ERROR");
    }
}
