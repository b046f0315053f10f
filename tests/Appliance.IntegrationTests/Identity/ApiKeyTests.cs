using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Identity;

/// <summary>API keys for integrations against real PostgreSQL and Redis: creation rules, shown once, use, revocation, expiry, audit.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private static readonly string[] CustomerView = [Permissions.CustomerView];
    private static readonly string[] CustomerViewAndUserManage = [Permissions.CustomerView, Permissions.UserManage];

    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private async Task<(string Key, JsonElement ApiKey)> CreateAsync(string name, params string[] permissions)
    {
        var response = await _api.Client.PostAsJsonAsync("/api/v1/api-keys", new { name, permissions });
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await ApiServer.ReadJsonAsync(response);
        var apiKey = body.GetProperty("api_key");
        Assert.Equal($"/api/v1/api-keys/{apiKey.GetProperty("id").GetString()}", response.Headers.Location!.ToString());
        return (body.GetProperty("key").GetString()!, apiKey);
    }

    [Fact]
    public async Task Creating_a_key_shows_it_once_and_stores_only_the_prefix_and_a_hash()
    {
        var (key, apiKey) = await CreateAsync("Monitoring export", "customer:view", "ticket:view:all");
        Assert.Matches("^psa_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$", key);
        var prefix = apiKey.GetProperty("prefix").GetString()!;
        Assert.Equal(key[4..12], prefix);
        Assert.Equal("active", apiKey.GetProperty("status").GetString());
        Assert.Equal(["customer:view", "ticket:view:all"], apiKey.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(_api.AdminId.ToString(), apiKey.GetProperty("created_by").GetString());
        Assert.Equal(JsonValueKind.Null, apiKey.GetProperty("last_used_at").ValueKind);
        var id = apiKey.GetProperty("id").GetGuid();

        await using (var command = _api.Database!.DataSource.CreateCommand("SELECT secret_hash FROM api_keys WHERE id = @id"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(key[13..])), (byte[])(await command.ExecuteScalarAsync())!);
        }

        var secret = key[13..];
        var one = await _api.Client.GetAsync($"/api/v1/api-keys/{id}");
        var oneText = await one.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)one.StatusCode);
        Assert.Contains(prefix, oneText, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, oneText, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", oneText, StringComparison.Ordinal);
        var listText = await (await _api.Client.GetAsync("/api/v1/api-keys")).Content.ReadAsStringAsync();
        Assert.Contains(prefix, listText, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listText, StringComparison.Ordinal);
        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_type=api_key&entity_id={id}"));
        var created = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Equal("api_key.created", created.GetProperty("action").GetString());
        Assert.Equal(_api.AdminId.ToString(), created.GetProperty("actor_id").GetString());
        Assert.DoesNotContain(secret, audit.GetRawText(), StringComparison.Ordinal);
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync($"/api/v1/api-keys/{Guid.NewGuid()}"), 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Keys_are_listed_with_paging_sorting_and_filters()
    {
        await CreateAsync("zz list b", "customer:view");
        var (_, revoked) = await CreateAsync("zz list a", "customer:view");
        Assert.Equal(204, (int)(await _api.Client.DeleteAsync($"/api/v1/api-keys/{revoked.GetProperty("id").GetString()}")).StatusCode);

        var page = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/api-keys?search=zz%20list&sort=name&limit=1"));
        Assert.Equal(2, page.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.Equal("zz list a", Assert.Single(page.GetProperty("data").EnumerateArray()).GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(page.GetProperty("links").GetProperty("next").GetString()));
        var active = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/api-keys?search=zz%20list&status=active"));
        Assert.Equal(["zz list b"], active.GetProperty("data").EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        var revokedList = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync("/api/v1/api-keys?search=zz%20list&status=revoked"));
        Assert.Equal("revoked", Assert.Single(revokedList.GetProperty("data").EnumerateArray()).GetProperty("status").GetString());
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/api-keys?status=sleeping"), 400, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync(await _api.Client.GetAsync("/api/v1/api-keys?owner=me"), 400, "VALIDATION_ERROR");
    }

    [Theory]
    [InlineData("{\"permissions\":[\"customer:view\"]}", "name")]
    [InlineData("{\"name\":\"k\",\"permissions\":[]}", "permissions")]
    [InlineData("{\"name\":\"k\"}", "permissions")]
    [InlineData("{\"name\":\"k\",\"permissions\":[\"customer:view\",\"root:all\"]}", "permissions")]
    [InlineData("{\"name\":\"k\",\"permissions\":[\"ticket:view:own\"]}", "permissions")]
    [InlineData("{\"name\":\"k\",\"permissions\":[\"customer:view\"],\"expires_at\":\"2020-01-01T00:00:00Z\"}", "expires_at")]
    public async Task Invalid_keys_are_422_naming_the_field_and_nothing_is_written(string body, string field)
    {
        var before = await _api.Db.CountAsync("SELECT (SELECT count(*) FROM api_keys) * 100000 + (SELECT count(*) FROM audit_log)");
        var error = await ApiServer.AssertErrorAsync(await _api.Client.PostAsync("/api/v1/api-keys", ApiServer.Json(body)), 422, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
        Assert.Equal(before, await _api.Db.CountAsync("SELECT (SELECT count(*) FROM api_keys) * 100000 + (SELECT count(*) FROM audit_log)"));
    }

    [Fact]
    public async Task A_key_carries_exactly_its_permissions_in_either_header()
    {
        var (key, _) = await CreateAsync("Read customers", "customer:view");
        using var bearer = _api.Bearer(key);
        Assert.Equal(200, (int)(await bearer.GetAsync("/api/v1/customers")).StatusCode);
        var denied = await ApiServer.AssertErrorAsync(await bearer.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-1\",\"name\":\"Kunde 1\"}")), 403, "PERMISSION_DENIED");
        Assert.Contains("API key", denied.GetProperty("message").GetString(), StringComparison.Ordinal);
        await ApiServer.AssertErrorAsync(await bearer.GetAsync("/api/v1/tickets"), 403, "PERMISSION_DENIED");

        using var header = _api.NewClient();
        header.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(200, (int)(await header.GetAsync("/api/v1/customers")).StatusCode);

        // A key is no user session: no profile, no sign-out, no MFA, and it cannot mint keys, whatever it holds.
        var (admin, _) = await CreateAsync("Almighty", [.. Permissions.All.Where(p => p != Permissions.TicketViewOwn)]);
        using var almighty = _api.Bearer(admin);
        await ApiServer.AssertErrorAsync(await almighty.GetAsync("/api/v1/auth/me"), 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync(await almighty.PostAsync("/api/v1/auth/logout", null), 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync(await almighty.PostAsync("/api/v1/auth/mfa/enroll", null), 403, "PERMISSION_DENIED");
        await ApiServer.AssertErrorAsync(await almighty.PostAsJsonAsync("/api/v1/api-keys", new { name = "k", permissions = CustomerView }), 403, "PERMISSION_DENIED");
        Assert.Equal(200, (int)(await almighty.GetAsync("/api/v1/users")).StatusCode);
    }

    [Fact]
    public async Task Changes_made_with_a_key_are_audited_as_the_key()
    {
        var (key, apiKey) = await CreateAsync("HR sync", "user:manage");
        using var client = _api.Bearer(key);
        var created = await client.PostAsync("/api/v1/users", ApiServer.Json(
            "{\"email\":\"synced.user@test.example\",\"display_name\":\"Synced\",\"role\":\"technician_l1\",\"password\":\"a-long-unusual-passphrase\"}"));
        Assert.Equal(201, (int)created.StatusCode);
        var userId = (await ApiServer.ReadJsonAsync(created)).GetProperty("id").GetString();
        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_type=user&entity_id={userId}"));
        var entry = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Equal("api_key", entry.GetProperty("actor_type").GetString());
        Assert.Equal(apiKey.GetProperty("id").GetString(), entry.GetProperty("actor_id").GetString());
    }

    [Fact]
    public async Task Use_sets_last_used_at_and_is_audited_at_most_once_a_minute()
    {
        var (key, apiKey) = await CreateAsync("Poller", "customer:view");
        var id = apiKey.GetProperty("id").GetGuid();
        using var client = _api.Bearer(key);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("poller/1.0");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (int)(await client.GetAsync("/api/v1/customers")).StatusCode);
        }

        var view = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/api-keys/{id}"));
        Assert.InRange(view.GetProperty("last_used_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_id={id}&action=api_key.used"));
        var used = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Equal("api_key", used.GetProperty("actor_type").GetString());
        Assert.Equal(id.ToString(), used.GetProperty("actor_id").GetString());
        Assert.Equal("127.0.0.1", used.GetProperty("ip").GetString());
        Assert.Equal("poller/1.0", used.GetProperty("user_agent").GetString());

        // A minute later the next request is recorded again.
        await _api.Db.ExecuteAsync("UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = @id", ("id", id));
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(2L, await _api.Db.CountAsync("SELECT count(*) FROM audit_log WHERE entity_id = @id AND action = 'api_key.used'", ("id", id.ToString())));
    }

    [Fact]
    public async Task A_revoked_key_is_401_and_revoking_again_changes_nothing()
    {
        var (key, apiKey) = await CreateAsync("Temporary", "customer:view");
        var id = apiKey.GetProperty("id").GetString();
        using var client = _api.Bearer(key);
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(204, (int)(await _api.Client.DeleteAsync($"/api/v1/api-keys/{id}")).StatusCode);
        await ApiServer.AssertErrorAsync(await client.GetAsync("/api/v1/customers"), 401, "API_KEY_REVOKED");
        Assert.Equal(204, (int)(await _api.Client.DeleteAsync($"/api/v1/api-keys/{id}")).StatusCode);
        var view = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/api-keys/{id}"));
        Assert.Equal("revoked", view.GetProperty("status").GetString());
        Assert.Equal(1L, await _api.Db.CountAsync("SELECT count(*) FROM audit_log WHERE entity_id = @id AND action = 'api_key.revoked'", ("id", id!)));
        await ApiServer.AssertErrorAsync(await _api.Client.DeleteAsync($"/api/v1/api-keys/{Guid.NewGuid()}"), 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task A_key_never_carries_more_than_its_creator_holds_now()
    {
        var creator = await _api.CreateUserAsync(Roles.SystemAdmin);
        using var creatorClient = _api.ClientFor(creator);
        var created = await ApiServer.ReadJsonAsync(await creatorClient.PostAsJsonAsync("/api/v1/api-keys", new { name = "Delegated", permissions = CustomerViewAndUserManage }));
        using var client = _api.Bearer(created.GetProperty("key").GetString()!);
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/users")).StatusCode);

        // The creator becomes a service manager: the key keeps customer:view, loses user:manage (user:view is not the key's).
        Assert.Equal(200, (int)(await _api.Client.PatchAsync($"/api/v1/users/{creator.Id}", ApiServer.Json("{\"role\":\"service_manager\"}"))).StatusCode);
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/customers")).StatusCode);
        await ApiServer.AssertErrorAsync(await client.GetAsync("/api/v1/users"), 403, "PERMISSION_DENIED");

        Assert.Equal(200, (int)(await _api.Client.PatchAsync($"/api/v1/users/{creator.Id}", ApiServer.Json("{\"is_active\":false}"))).StatusCode);
        var error = await ApiServer.AssertErrorAsync(await client.GetAsync("/api/v1/customers"), 401, "API_KEY_REVOKED");
        Assert.Contains("deactivated", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_key_is_401()
    {
        var response = await _api.Client.PostAsJsonAsync("/api/v1/api-keys", new { name = "Short", permissions = CustomerView, expires_at = DateTimeOffset.UtcNow.AddHours(1) });
        var body = await ApiServer.ReadJsonAsync(response);
        var id = body.GetProperty("api_key").GetProperty("id").GetGuid();
        using var client = _api.Bearer(body.GetProperty("key").GetString()!);
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/customers")).StatusCode);
        await _api.Db.ExecuteAsync("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = @id", ("id", id));
        await ApiServer.AssertErrorAsync(await client.GetAsync("/api/v1/customers"), 401, "API_KEY_EXPIRED");
        Assert.Equal("expired", (await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/api-keys/{id}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_wrong_secret_an_unknown_prefix_or_a_malformed_key_is_401_api_key_invalid()
    {
        var (key, _) = await CreateAsync("Target", "customer:view");
        var wrongSecret = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        var unknownPrefix = "psa_" + (key[4] == 'A' ? 'B' : 'A') + key[5..];
        foreach (var presented in new[] { wrongSecret, unknownPrefix, "psa_short", key + "!" })
        {
            using var client = _api.Bearer(presented);
            await ApiServer.AssertErrorAsync(await client.GetAsync("/api/v1/customers"), 401, "API_KEY_INVALID");
        }

        using var header = _api.NewClient();
        header.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key");
        await ApiServer.AssertErrorAsync(await header.GetAsync("/api/v1/customers"), 401, "API_KEY_INVALID");
    }

    [Fact]
    public async Task Keys_are_rate_limited_per_key_apart_from_their_creator()
    {
        await using var api = await ApiServer.StartAsync(new() { ["RateLimit:PerUserPerMinute"] = "3" });
        var created = await ApiServer.ReadJsonAsync(await api.Client.PostAsJsonAsync("/api/v1/api-keys", new { name = "Busy", permissions = CustomerView }));
        using var client = api.Bearer(created.GetProperty("key").GetString()!);
        for (var i = 0; i < 3; i++)
        {
            var ok = await client.GetAsync("/api/v1/customers");
            Assert.Equal(200, (int)ok.StatusCode);
            Assert.Equal(3 - 1 - i, long.Parse(ok.Headers.GetValues("X-RateLimit-Remaining").Single(), CultureInfo.InvariantCulture));
        }

        await ApiServer.AssertErrorAsync(await client.GetAsync("/api/v1/customers"), 429, "RATE_LIMIT_EXCEEDED");
        Assert.Equal(200, (int)(await api.Client.GetAsync("/api/v1/customers")).StatusCode);
    }
}
