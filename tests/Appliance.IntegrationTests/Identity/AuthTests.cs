using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.IntegrationTests.Identity;

/// <summary>Sign-in, tokens, revocation, brute-force limits and RBAC against real PostgreSQL and Redis.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync(new() { ["Http:TrustedProxies"] = "127.0.0.1" });

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private static string UniqueEmail() => $"ghost-{Guid.NewGuid():N}@test.example";

    private static string UniqueIp() => ApiServer.UniqueIp();

    private Task<HttpResponseMessage> LoginAsync(string email, string password, string? ip = null) => _api.LoginAsync(email, password, ip);

    private HttpClient Bearer(string token) => _api.Bearer(token);

    private static JsonElement Part(string jwt, int index)
    {
        var part = jwt.Split('.')[index].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
        return JsonDocument.Parse(Convert.FromBase64String(part)).RootElement.Clone();
    }

    private Task<List<string>> AuditActionsAsync(Guid userId) => _api.AuditActionsAsync(userId.ToString());

    [Fact]
    public async Task Login_returns_an_rs256_token_with_the_seed_claims_and_a_refresh_token()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL2);
        var (access, refresh, body) = await _api.SignInAsync(user);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt64());
        Assert.Equal(7 * 24 * 3600, body.GetProperty("refresh_expires_in").GetInt64());
        Assert.True(refresh.Length >= 40);
        var header = Part(access, 0);
        Assert.Equal("RS256", header.GetProperty("alg").GetString());
        Assert.False(string.IsNullOrEmpty(header.GetProperty("kid").GetString()));
        var claims = Part(access, 1);
        Assert.Equal("psa-appliance", claims.GetProperty("iss").GetString());
        Assert.Equal("psa-api", claims.GetProperty("aud").GetString());
        Assert.Equal(user.Id.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(user.Email, claims.GetProperty("email").GetString());
        Assert.Equal("technician_l2", claims.GetProperty("role").GetString());
        Assert.Contains("ticket:update", claims.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("jti").GetString()));
        Assert.Equal(3600, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());

        var me = await Bearer(access).GetAsync("/api/v1/auth/me");
        var meBody = await ApiServer.ReadJsonAsync(me);
        Assert.Equal(user.Email, meBody.GetProperty("user").GetProperty("email").GetString());
        Assert.Contains("ticket:view:all", meBody.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.DoesNotContain("password", await me.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["login.succeeded"], await AuditActionsAsync(user.Id));
    }

    [Fact]
    public async Task The_token_verifies_with_the_published_jwks_key()
    {
        var user = await _api.CreateUserAsync(Roles.Billing);
        var (access, _, _) = await _api.SignInAsync(user);
        var jwks = await ApiServer.ReadJsonAsync(await _api.Anonymous.GetAsync("/.well-known/jwks.json"));
        var kid = Part(access, 0).GetProperty("kid").GetString();
        var key = jwks.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.False(key.TryGetProperty("d", out _));
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("n").GetString()),
            Exponent = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("e").GetString()),
        });
        var parts = access.Split('.');
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_answer_and_are_audited()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        var wrong = await LoginAsync(user.Email, "not-the-password-at-all");
        var unknown = await LoginAsync(UniqueEmail(), "not-the-password-at-all");
        var wrongError = await ApiServer.AssertErrorAsync(wrong, 401, "INVALID_CREDENTIALS");
        var unknownError = await ApiServer.AssertErrorAsync(unknown, 401, "INVALID_CREDENTIALS");
        Assert.Equal(wrongError.GetProperty("message").GetString(), unknownError.GetProperty("message").GetString());
        Assert.Equal(["login.failed"], await AuditActionsAsync(user.Id));
    }

    [Fact]
    public async Task Unknown_user_and_wrong_password_take_similar_time()
    {
        // Three tries per account stay below the lock threshold of five.
        var warmUp = await _api.CreateUserAsync(Roles.TechnicianL1);
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        async Task<double> MedianMs(string email)
        {
            var times = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                await ApiServer.AssertErrorAsync(await LoginAsync(email, "wrong-password-" + i), 401, "INVALID_CREDENTIALS");
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            return times.Order().ElementAt(1);
        }

        await MedianMs(warmUp.Email);
        var known = await MedianMs(user.Email);
        var unknown = await MedianMs(UniqueEmail());
        Assert.True(Math.Abs(known - unknown) < Math.Max(known, unknown) * 0.6, $"known {known:F1} ms vs unknown {unknown:F1} ms");
    }

    [Fact]
    public async Task Missing_fields_are_422()
    {
        var response = await _api.Anonymous.PostAsync("/api/v1/auth/login", ApiServer.Json("{\"email\":\"\"}"));
        var error = await ApiServer.AssertErrorAsync(response, 422, "VALIDATION_ERROR");
        Assert.Equal(["email", "password"], error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()));
    }

    [Fact]
    public async Task No_token_is_401_authentication_required()
    {
        var response = await _api.Anonymous.GetAsync("/api/v1/customers");
        await ApiServer.AssertErrorAsync(response, 401, "AUTHENTICATION_REQUIRED");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]
    public async Task Malformed_token_is_401_token_invalid(string token)
    {
        var response = await Bearer(token).GetAsync("/api/v1/customers");
        await ApiServer.AssertErrorAsync(response, 401, "TOKEN_INVALID");
    }

    [Fact]
    public async Task Tampered_token_is_401_token_invalid()
    {
        var user = await _api.CreateUserAsync(Roles.CustomerAdmin, (await Rest.CreateCustomerAsync(_api.Client, "K-T1")).Id);
        var (access, _, _) = await _api.SignInAsync(user);
        var parts = access.Split('.');
        var claims = Part(access, 1).GetRawText().Replace("customer_admin", "system_admin", StringComparison.Ordinal);
        var forged = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(claims) + "." + parts[2];
        await ApiServer.AssertErrorAsync(await Bearer(forged).GetAsync("/api/v1/users"), 401, "TOKEN_INVALID");
    }

    [Fact]
    public async Task Token_signed_by_another_key_is_401_token_invalid()
    {
        var otherDir = Directory.CreateTempSubdirectory("appliance-otherkey-").FullName;
        SigningKeyRing.Generate(otherDir);
        var settings = _api.Services.GetRequiredService<IdentitySettings>();
        var foreign = new TokenService(SigningKeyRing.Load(otherDir), settings, TimeProvider.System);
        var token = foreign.Issue(new User(_api.AdminId, "a@test.example", "Admin", Roles.SystemAdmin, null, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow), Guid.NewGuid()).Token;
        await ApiServer.AssertErrorAsync(await Bearer(token).GetAsync("/api/v1/customers"), 401, "TOKEN_INVALID");
    }

    [Fact]
    public async Task Expired_token_is_401_token_expired()
    {
        var settings = _api.Services.GetRequiredService<IdentitySettings>();
        var past = new TokenService(_api.Services.GetRequiredService<SigningKeyRing>(), settings, new ShiftedTime(TimeSpan.FromHours(-2)));
        var token = past.Issue(new User(_api.AdminId, "a@test.example", "Admin", Roles.SystemAdmin, null, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow), Guid.NewGuid()).Token;
        var response = await Bearer(token).GetAsync("/api/v1/customers");
        await ApiServer.AssertErrorAsync(response, 401, "TOKEN_EXPIRED");
    }

    [Fact]
    public async Task A_remembered_token_answers_only_for_its_exact_text_and_only_until_it_expires()
    {
        var settings = _api.Services.GetRequiredService<IdentitySettings>();
        var keys = _api.Services.GetRequiredService<SigningKeyRing>();
        var clock = new MovableTime();
        var tokens = new TokenService(keys, settings, clock);
        var handler = new AccessTokenHandler(clock);
        var parameters = TokenService.ValidationParameters(keys, settings, clock);
        var admin = new User(_api.AdminId, "a@test.example", "Admin", Roles.SystemAdmin, null, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var token = tokens.Issue(admin, Guid.NewGuid()).Token;
        var first = await handler.ValidateTokenAsync(token, parameters);
        var again = await handler.ValidateTokenAsync(token, parameters);
        Assert.True(again.IsValid);
        Assert.Same(first.ClaimsIdentity, again.ClaimsIdentity);
        Assert.Equal(_api.AdminId, ((CallerIdentity)again.ClaimsIdentity).Caller.Id);

        // One character of the signature changed: validated afresh, and refused.
        var tampered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        var refused = await handler.ValidateTokenAsync(tampered, parameters);
        Assert.False(refused.IsValid);
        Assert.IsNotType<SecurityTokenExpiredException>(refused.Exception);

        // Past its expiry (plus the 30 s clock skew) the remembered token is refused as expired, like a new one.
        clock.Shift = settings.AccessTokenLifetime + TimeSpan.FromSeconds(29);
        Assert.True((await handler.ValidateTokenAsync(token, parameters)).IsValid);
        clock.Shift = settings.AccessTokenLifetime + TimeSpan.FromSeconds(31);
        Assert.IsType<SecurityTokenExpiredException>((await handler.ValidateTokenAsync(token, parameters)).Exception);
        Assert.IsType<SecurityTokenExpiredException>((await handler.ValidateTokenAsync(token, parameters)).Exception);
    }

    [Fact]
    public async Task Logout_revokes_the_access_token_and_the_refresh_family()
    {
        var user = await _api.CreateUserAsync(Roles.ServiceManager);
        var (access, refresh, _) = await _api.SignInAsync(user);
        var client = Bearer(access);
        Assert.Equal(200, (int)(await client.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(204, (int)(await client.PostAsync("/api/v1/auth/logout", null)).StatusCode);
        var after = await client.GetAsync("/api/v1/customers");
        var error = await ApiServer.AssertErrorAsync(after, 401, "TOKEN_INVALID");
        Assert.Contains("revoked", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var refreshed = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = refresh });
        await ApiServer.AssertErrorAsync(refreshed, 401, "TOKEN_INVALID");
        Assert.Equal(["login.succeeded", "logout"], await AuditActionsAsync(user.Id));
        var ttl = (await _api.Services.GetRequiredService<IRedisClient>().ExecuteAsync(["PTTL", RevocationKeys.Jti(Part(access, 1).GetProperty("jti").GetString()!)])).Number;
        Assert.InRange(ttl, TimeSpan.FromMinutes(59).TotalMilliseconds, TimeSpan.FromMinutes(62).TotalMilliseconds);
    }

    [Fact]
    public async Task Refresh_rotates_and_reuse_of_a_rotated_token_revokes_the_whole_family()
    {
        var user = await _api.CreateUserAsync(Roles.Billing);
        var (_, first, _) = await _api.SignInAsync(user);
        var rotated = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = first });
        var body = await ApiServer.ReadJsonAsync(rotated);
        var second = body.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(200, (int)(await Bearer(body.GetProperty("access_token").GetString()!).GetAsync("/api/v1/auth/me")).StatusCode);

        var reuse = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = first });
        var error = await ApiServer.AssertErrorAsync(reuse, 401, "TOKEN_INVALID");
        Assert.Contains("already used", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var afterReuse = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = second });
        await ApiServer.AssertErrorAsync(afterReuse, 401, "TOKEN_INVALID");
        Assert.Contains("refresh.reused", await AuditActionsAsync(user.Id));
    }

    [Fact]
    public async Task Unknown_or_missing_refresh_token_is_rejected()
    {
        await ApiServer.AssertErrorAsync(await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = "nope" }), 401, "TOKEN_INVALID");
        await ApiServer.AssertErrorAsync(await _api.Anonymous.PostAsync("/api/v1/auth/refresh", ApiServer.Json("{}")), 422, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Five_failures_lock_the_account_even_for_the_right_password_and_it_unlocks_after_the_window()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        for (var i = 0; i < 5; i++)
        {
            await ApiServer.AssertErrorAsync(await LoginAsync(user.Email, "wrong-password-" + i), 401, "INVALID_CREDENTIALS");
        }

        var locked = await LoginAsync(user.Email, ApiServer.DefaultPassword);
        var error = await ApiServer.AssertErrorAsync(locked, 403, "ACCOUNT_LOCKED");
        Assert.InRange(int.Parse(locked.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture), 880, 900);
        Assert.Contains("account.locked", await AuditActionsAsync(user.Id));
        Assert.Equal("retry_after", error.GetProperty("details")[0].GetProperty("field").GetString());

        // The window passing is the key expiring: shorten it instead of waiting 15 minutes.
        var redis = _api.Services.GetRequiredService<IRedisClient>();
        Assert.Equal(1, (await redis.ExecuteAsync(["PEXPIRE", "auth:lock:acct:" + user.Email, "50"])).Number);
        await Task.Delay(120);
        Assert.Equal(200, (int)(await LoginAsync(user.Email, ApiServer.DefaultPassword)).StatusCode);
    }

    [Fact]
    public async Task More_than_five_failures_from_one_ip_in_a_minute_block_that_ip_with_429()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        var ip = UniqueIp();
        for (var i = 0; i < 6; i++)
        {
            await ApiServer.AssertErrorAsync(await LoginAsync(UniqueEmail(), "wrong-password-x", ip), 401, "INVALID_CREDENTIALS");
        }

        var blocked = await LoginAsync(user.Email, ApiServer.DefaultPassword, ip);
        await ApiServer.AssertErrorAsync(blocked, 429, "RATE_LIMIT_EXCEEDED");
        Assert.InRange(int.Parse(blocked.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture), 290, 300);
        Assert.Equal(200, (int)(await LoginAsync(user.Email, ApiServer.DefaultPassword, UniqueIp())).StatusCode);
    }

    [Fact]
    public async Task Five_failures_from_one_ip_are_not_yet_blocked()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        var ip = UniqueIp();
        for (var i = 0; i < 5; i++)
        {
            await LoginAsync(UniqueEmail(), "wrong-password-x", ip);
        }

        Assert.Equal(200, (int)(await LoginAsync(user.Email, ApiServer.DefaultPassword, ip)).StatusCode);
    }

    [Fact]
    public async Task Deactivated_user_cannot_sign_in_or_refresh()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL2);
        var (_, refresh, _) = await _api.SignInAsync(user);
        var patch = await _api.Client.PatchAsync($"/api/v1/users/{user.Id}", ApiServer.Json("{\"is_active\":false}"));
        Assert.Equal(200, (int)patch.StatusCode);
        await ApiServer.AssertErrorAsync(await LoginAsync(user.Email, ApiServer.DefaultPassword), 401, "INVALID_CREDENTIALS");
        await ApiServer.AssertErrorAsync(await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = refresh }), 401, "TOKEN_INVALID");
    }

    [Fact]
    public async Task Revocation_check_fails_closed_when_redis_is_down_but_health_still_answers()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var api = await ApiServer.StartAsync(new() { ["Redis:Endpoint"] = redis.Endpoint, ["Redis:Password"] = redis.Password });
        Assert.Equal(200, (int)(await api.Client.GetAsync("/api/v1/customers")).StatusCode);
        await redis.StopAsync();
        await ApiServer.AssertErrorAsync(await api.Client.GetAsync("/api/v1/customers"), 503, "SERVICE_UNAVAILABLE");
        Assert.Equal(200, (int)(await api.Client.GetAsync("/health")).StatusCode);
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }

    private sealed class MovableTime : TimeProvider
    {
        private readonly DateTimeOffset _start = TimeProvider.System.GetUtcNow();

        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => _start + Shift;
    }
}
