using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Identity;

/// <summary>
/// Access tokens end when the account, the session or the credentials say so (issue 11 §9), and failed authentication
/// is rate limited per client address; against real PostgreSQL and Redis.
/// </summary>
public sealed class TokenHardeningTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync(new() { ["Http:TrustedProxies"] = "127.0.0.1" });

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private async Task<(string Access, string Refresh)> RefreshAsync(string refresh)
    {
        var response = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = refresh });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await ApiServer.ReadJsonAsync(response);
        return (body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    private async Task<int> StatusAsync(string token, string path = "/api/v1/auth/me") => (int)(await _api.Bearer(token).GetAsync(path)).StatusCode;

    private async Task AssertRevokedAsync(string token, string path = "/api/v1/auth/me")
    {
        var error = await ApiServer.AssertErrorAsync(await _api.Bearer(token).GetAsync(path), 401, "TOKEN_INVALID");
        Assert.Contains("revoked", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage From(string ip, string path, string? bearer = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-For", ip);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        return request;
    }

    [Fact]
    public async Task Deactivation_ends_the_users_access_tokens_at_once()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL2);
        var (access, _, _) = await _api.SignInAsync(user);
        Assert.Equal(200, await StatusAsync(access, "/api/v1/customers"));
        Assert.Equal(200, (int)(await _api.Client.PatchAsync($"/api/v1/users/{user.Id}", ApiServer.Json("{\"is_active\":false}"))).StatusCode);
        await AssertRevokedAsync(access, "/api/v1/customers");
        var create = await _api.Bearer(access).PostAsync("/api/v1/tickets", ApiServer.Json("{\"title\":\"after deactivation\"}"));
        await ApiServer.AssertErrorAsync(create, 401, "TOKEN_INVALID");
    }

    [Fact]
    public async Task A_role_change_ends_the_old_tokens_and_the_next_sign_in_has_the_new_role()
    {
        var user = await _api.CreateUserAsync(Roles.ServiceManager);
        var (access, _, _) = await _api.SignInAsync(user);
        var (other, _, _) = await _api.SignInAsync(await _api.CreateUserAsync(Roles.ServiceManager));
        Assert.Equal(200, await StatusAsync(access, "/api/v1/users"));

        // A change the token does not carry leaves it alone.
        Assert.Equal(200, (int)(await _api.Client.PatchAsync($"/api/v1/users/{user.Id}", ApiServer.Json("{\"display_name\":\"Renamed\"}"))).StatusCode);
        Assert.Equal(200, await StatusAsync(access, "/api/v1/users"));

        Assert.Equal(200, (int)(await _api.Client.PatchAsync($"/api/v1/users/{user.Id}", ApiServer.Json("{\"role\":\"technician_l1\"}"))).StatusCode);
        await AssertRevokedAsync(access, "/api/v1/users");
        Assert.Equal(200, await StatusAsync(other, "/api/v1/users"));

        // Signed in again at once (within the same second as the change): the new token works, with the new role.
        var (fresh, _, _) = await _api.SignInAsync(user);
        await ApiServer.AssertErrorAsync(await _api.Bearer(fresh).GetAsync("/api/v1/users"), 403, "PERMISSION_DENIED");
        Assert.Equal(200, await StatusAsync(fresh, "/api/v1/customers"));
    }

    [Fact]
    public async Task An_mfa_reset_ends_the_users_access_tokens()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        var (access, _, _) = await _api.SignInAsync(user);
        Assert.Equal(200, await StatusAsync(access));
        Assert.Equal(204, (int)(await _api.Client.DeleteAsync($"/api/v1/users/{user.Id}/mfa")).StatusCode);
        await AssertRevokedAsync(access);
        var (fresh, _, _) = await _api.SignInAsync(user);
        Assert.Equal(200, await StatusAsync(fresh));
    }

    [Fact]
    public async Task Refresh_token_reuse_ends_the_access_tokens_of_that_session_only()
    {
        var user = await _api.CreateUserAsync(Roles.Billing);
        var (first, refresh, _) = await _api.SignInAsync(user);
        var (second, _) = await RefreshAsync(refresh);
        var (elsewhere, _, _) = await _api.SignInAsync(user);
        Assert.Equal(200, await StatusAsync(first));
        Assert.Equal(200, await StatusAsync(second));

        var reuse = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = refresh });
        await ApiServer.AssertErrorAsync(reuse, 401, "TOKEN_INVALID");
        await AssertRevokedAsync(first);
        await AssertRevokedAsync(second);
        Assert.Equal(200, await StatusAsync(elsewhere));
    }

    [Fact]
    public async Task Logout_ends_every_access_token_of_the_session()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL2);
        var (first, refresh, _) = await _api.SignInAsync(user);
        var (second, _) = await RefreshAsync(refresh);
        Assert.Equal(204, (int)(await _api.Bearer(second).PostAsync("/api/v1/auth/logout", null)).StatusCode);
        await AssertRevokedAsync(first);
        await AssertRevokedAsync(second);
    }

    [Fact]
    public async Task Failed_authentication_from_one_address_is_answered_429_over_its_budget()
    {
        var created = await _api.Client.PostAsJsonAsync("/api/v1/api-keys", new { name = "budget", permissions = new[] { Permissions.CustomerView } });
        var key = (await ApiServer.ReadJsonAsync(created)).GetProperty("key").GetString()!;
        var wrongKey = key[..^4] + (key[^4] == 'A' ? "BBBB" : "AAAA");
        var ip = ApiServer.UniqueIp();
        for (var i = 1; i <= 30; i++)
        {
            using var response = await _api.Anonymous.SendAsync(From(ip, "/api/v1/customers", apiKey: wrongKey));
            await ApiServer.AssertErrorAsync(response, 401, "API_KEY_INVALID");
            Assert.Equal(30, Rest.Header(response, "X-RateLimit-Limit"));
            Assert.Equal(30 - i, Rest.Header(response, "X-RateLimit-Remaining"));
        }

        using var limited = await _api.Anonymous.SendAsync(From(ip, "/api/v1/customers", apiKey: wrongKey));
        var error = await ApiServer.AssertErrorAsync(limited, 429, "RATE_LIMIT_EXCEEDED");
        Assert.Equal("retry_after", error.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.InRange(int.Parse(limited.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(0, Rest.Header(limited, "X-RateLimit-Remaining"));

        // Over the budget, keys from that address are not even looked up (the right one too), and bad tokens count alike.
        await ApiServer.AssertErrorAsync(await _api.Anonymous.SendAsync(From(ip, "/api/v1/customers", apiKey: key)), 429, "RATE_LIMIT_EXCEEDED");
        await ApiServer.AssertErrorAsync(await _api.Anonymous.SendAsync(From(ip, "/api/v1/customers", bearer: "not-a-token")), 429, "RATE_LIMIT_EXCEEDED");

        // Other addresses are not affected; the valid key works from them.
        var other = ApiServer.UniqueIp();
        await ApiServer.AssertErrorAsync(await _api.Anonymous.SendAsync(From(other, "/api/v1/customers", apiKey: wrongKey)), 401, "API_KEY_INVALID");
        Assert.Equal(200, (int)(await _api.Anonymous.SendAsync(From(other, "/api/v1/customers", apiKey: key))).StatusCode);
    }

    [Fact]
    public async Task Bad_and_expired_bearer_tokens_count_as_failed_authentication()
    {
        var ip = ApiServer.UniqueIp();
        using var first = await _api.Anonymous.SendAsync(From(ip, "/api/v1/customers", bearer: "a.b.c"));
        await ApiServer.AssertErrorAsync(first, 401, "TOKEN_INVALID");
        Assert.Equal(29, Rest.Header(first, "X-RateLimit-Remaining"));

        // No credentials at all is not a failure: it counts against the anonymous per-address limit.
        using var none = await _api.Anonymous.SendAsync(From(ip, "/api/v1/customers"));
        await ApiServer.AssertErrorAsync(none, 401, "AUTHENTICATION_REQUIRED");
        Assert.Equal(300, Rest.Header(none, "X-RateLimit-Limit"));
    }
}
