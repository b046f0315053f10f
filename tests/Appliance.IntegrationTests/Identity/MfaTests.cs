using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.IntegrationTests.Security;
using Appliance.Platform.Redis;
using Appliance.Platform.Security;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Appliance.IntegrationTests.Identity;

/// <summary>TOTP MFA end to end against real PostgreSQL and Redis: enrolment, the two-step sign-in and every rule around it.</summary>
public sealed class MfaTests : IAsyncLifetime
{
    private readonly AdjustableTime _time = new();
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync(new() { ["Http:TrustedProxies"] = "127.0.0.1" }, time: _time);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private sealed record Enrolled(User User, byte[] Secret, List<string> RecoveryCodes);

    private static string WrongCode(string code) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    private HttpClient ClientFor(User user) => ApiServer.FromUniqueAddress(_api.ClientFor(user));

    private HttpClient Bearer(string token) => ApiServer.FromUniqueAddress(_api.Bearer(token));

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body) => client.PostAsJsonAsync(path, body);

    private static async Task<(JsonElement Body, byte[] Secret)> EnrolAsync(HttpClient client)
    {
        var response = await client.PostAsync("/api/v1/auth/mfa/enroll", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await ApiServer.ReadJsonAsync(response);
        return (body, Totp.DecodeSecret(body.GetProperty("secret").GetString()!));
    }

    private async Task<Enrolled> EnrolledUserAsync(string role = Roles.TechnicianL2)
    {
        var user = await _api.CreateUserAsync(role);
        using var client = ClientFor(user);
        var (_, secret) = await EnrolAsync(client);
        var confirm = await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = _time.NextTotp(secret) });
        Assert.True(confirm.IsSuccessStatusCode, await confirm.Content.ReadAsStringAsync());
        var codes = (await ApiServer.ReadJsonAsync(confirm)).GetProperty("recovery_codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        return new Enrolled(user, secret, codes);
    }

    private async Task<string> ChallengeAsync(User user)
    {
        var response = await _api.LoginAsync(user.Email, ApiServer.DefaultPassword);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await ApiServer.ReadJsonAsync(response);
        Assert.True(body.GetProperty("mfa_required").GetBoolean());
        Assert.False(body.TryGetProperty("access_token", out _));
        return body.GetProperty("mfa_token").GetString()!;
    }

    private async Task<HttpResponseMessage> VerifyAsync(string mfaToken, string? code = null, string? recoveryCode = null)
    {
        var body = new Dictionary<string, string?> { ["mfa_token"] = mfaToken };
        if (code is not null)
        {
            body["code"] = code;
        }

        if (recoveryCode is not null)
        {
            body["recovery_code"] = recoveryCode;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/mfa/verify") { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Forwarded-For", ApiServer.UniqueIp());
        return await _api.Anonymous.SendAsync(request);
    }

    private async Task<JsonElement> SignedInAsync(HttpResponseMessage verify)
    {
        Assert.True(verify.IsSuccessStatusCode, await verify.Content.ReadAsStringAsync());
        var body = await ApiServer.ReadJsonAsync(verify);
        Assert.Equal(200, (int)(await Bearer(body.GetProperty("access_token").GetString()!).GetAsync("/api/v1/auth/me")).StatusCode);
        return body;
    }

    [Fact]
    public async Task Enrolment_returns_the_secret_its_otpauth_uri_and_qr_codes_that_decode_to_it()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        using var client = ClientFor(user);
        var (body, secret) = await EnrolAsync(client);
        Assert.Equal(20, secret.Length);
        var uri = body.GetProperty("otpauth_uri").GetString()!;
        Assert.Equal(OtpAuthUri.Build(MfaApi.DefaultIssuer, user.Email, secret), uri);
        Assert.StartsWith("otpauth://totp/PSA%20Appliance:", uri, StringComparison.Ordinal);

        var png = body.GetProperty("qr_png").GetString()!;
        Assert.StartsWith("data:image/png;base64,", png, StringComparison.Ordinal);
        Assert.Equal(uri, await QrDecodeTests.DecodeAsync(Convert.FromBase64String(png["data:image/png;base64,".Length..])));
        Assert.Equal(uri, await QrDecodeTests.DecodeAsync(QrDecodeTests.RasteriseSvg(body.GetProperty("qr_svg").GetString()!), "pgm"));

        // At rest the pending secret is sealed: not the secret, and it opens only with the key and this user's context.
        var stored = (await _api.Db.ScalarAsync<byte[]>("SELECT mfa_pending_secret FROM users WHERE id = @id", ("id", user.Id)))!;
        Assert.Equal(-1, stored.AsSpan().IndexOf(secret));
        var encryption = _api.Services.GetRequiredService<FieldEncryption>();
        Assert.Equal(secret, encryption.Decrypt(stored, MfaStore.SecretContext(user.Id)));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => encryption.Decrypt(stored, MfaStore.SecretContext(Guid.NewGuid())));
        Assert.Equal(["mfa.enrollment_started"], await _api.AuditActionsAsync(user.Id.ToString()));

        // A new enrolment replaces the pending secret; the old secret's codes no longer confirm.
        var (_, second) = await EnrolAsync(client);
        Assert.NotEqual(secret, second);
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = _time.NextTotp(secret) }), 422, "MFA_CODE_INVALID");
        Assert.Equal(200, (int)(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = _time.NextTotp(second) })).StatusCode);
    }

    [Fact]
    public async Task The_issuer_is_the_organisation_name()
    {
        await using (var insert = _api.Database!.DataSource.CreateCommand("INSERT INTO organization (name) VALUES ('Müller IT: Service') ON CONFLICT (id) DO UPDATE SET name = excluded.name"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        try
        {
            using var client = ClientFor(await _api.CreateUserAsync(Roles.Billing));
            var (body, _) = await EnrolAsync(client);
            Assert.StartsWith("otpauth://totp/M%C3%BCller%20IT%20%20Service:", body.GetProperty("otpauth_uri").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await using var delete = _api.Database.DataSource.CreateCommand("DELETE FROM organization");
            await delete.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_wrong_code_does_not_confirm_the_right_one_turns_mfa_on_with_ten_hashed_recovery_codes()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL2);
        using var client = ClientFor(user);
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = "123456" }), 409, "RESOURCE_CONFLICT");
        var (_, secret) = await EnrolAsync(client);
        var code = _time.NextTotp(secret);
        var wrong = await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = WrongCode(code) }), 422, "MFA_CODE_INVALID");
        Assert.Equal("code", wrong.GetProperty("details")[0].GetProperty("field").GetString());
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = "" }), 422, "VALIDATION_ERROR");
        Assert.False(await _api.Db.ScalarAsync<bool>("SELECT mfa_secret IS NOT NULL FROM users WHERE id = @id", ("id", user.Id)));

        var confirm = await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code });
        Assert.Equal(200, (int)confirm.StatusCode);
        var body = await ApiServer.ReadJsonAsync(confirm);
        Assert.True(body.GetProperty("mfa_enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("session").ValueKind);
        var codes = body.GetProperty("recovery_codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$", c));

        Assert.Equal(10L, await _api.Db.ScalarAsync<long>("SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @id AND used_at IS NULL", ("id", user.Id)));
        Assert.Equal(0L, await _api.Db.ScalarAsync<long>("SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @id AND octet_length(code_hash) <> 32", ("id", user.Id)));
        var userView = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/users/{user.Id}"));
        Assert.True(userView.GetProperty("mfa_enabled").GetBoolean());
        Assert.Equal(["mfa.enrollment_started", "mfa.enabled"], await _api.AuditActionsAsync(user.Id.ToString()));

        await ApiServer.AssertErrorAsync(await client.PostAsync("/api/v1/auth/mfa/enroll", null), 409, "RESOURCE_CONFLICT");
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code = _time.NextTotp(secret) }), 409, "RESOURCE_CONFLICT");
    }

    [Fact]
    public async Task Sign_in_becomes_two_steps_and_a_correct_code_finishes_it()
    {
        var enrolled = await EnrolledUserAsync();
        var response = await _api.LoginAsync(enrolled.User.Email, ApiServer.DefaultPassword);
        var challenge = await ApiServer.ReadJsonAsync(response);
        Assert.Equal(300, challenge.GetProperty("expires_in").GetInt64());
        Assert.Equal(["mfa_required", "mfa_token", "expires_in"], challenge.EnumerateObject().Select(p => p.Name));
        var token = challenge.GetProperty("mfa_token").GetString()!;
        Assert.True(token.Length >= 40);

        var body = await SignedInAsync(await VerifyAsync(token, _time.NextTotp(enrolled.Secret)));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));
        Assert.True(body.GetProperty("user").GetProperty("mfa_enabled").GetBoolean());
        Assert.Equal(["mfa.enrollment_started", "mfa.enabled", "login.mfa_challenge", "login.succeeded"], await _api.AuditActionsAsync(enrolled.User.Id.ToString()));
        await using var command = _api.Database!.DataSource.CreateCommand("SELECT new_values->>'method' FROM audit_log WHERE entity_id = @id AND action = 'login.succeeded'");
        command.Parameters.Add(new NpgsqlParameter<string>("id", enrolled.User.Id.ToString()));
        Assert.Equal("password+totp", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_wrong_code_is_401_counted_and_audited_and_the_right_one_still_works_on_the_same_token()
    {
        var enrolled = await EnrolledUserAsync();
        var token = await ChallengeAsync(enrolled.User);
        var code = _time.NextTotp(enrolled.Secret);
        await ApiServer.AssertErrorAsync(await VerifyAsync(token, WrongCode(code)), 401, "MFA_CODE_INVALID");
        await ApiServer.AssertErrorAsync(await VerifyAsync(token, "12345"), 401, "MFA_CODE_INVALID");
        await SignedInAsync(await VerifyAsync(token, code));
        var actions = await _api.AuditActionsAsync(enrolled.User.Id.ToString());
        Assert.Equal(2, actions.Count(a => a == "login.mfa_failed"));
        Assert.Equal("login.succeeded", actions[^1]);
    }

    [Fact]
    public async Task A_replayed_code_is_refused_even_within_its_30_second_window()
    {
        var enrolled = await EnrolledUserAsync();
        var code = _time.NextTotp(enrolled.Secret);
        await SignedInAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), code));

        // Same step, same code, a fresh challenge: the clock has not moved, so only the replay guard can refuse it.
        var replay = await ApiServer.AssertErrorAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), code), 401, "MFA_CODE_INVALID");
        Assert.Contains("already used", replay.GetProperty("message").GetString(), StringComparison.Ordinal);

        // An earlier step's code (still inside the ±1 window) is refused too; the next step's code works.
        var earlier = Totp.Compute(enrolled.Secret, _time.GetUtcNow().AddSeconds(-30));
        await ApiServer.AssertErrorAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), earlier), 401, "MFA_CODE_INVALID");
        await SignedInAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), _time.NextTotp(enrolled.Secret)));
    }

    [Fact]
    public async Task The_code_that_confirmed_enrolment_cannot_sign_in()
    {
        var user = await _api.CreateUserAsync(Roles.TechnicianL1);
        using var client = ClientFor(user);
        var (_, secret) = await EnrolAsync(client);
        var code = _time.NextTotp(secret);
        Assert.Equal(200, (int)(await PostAsync(client, "/api/v1/auth/mfa/confirm", new { code })).StatusCode);
        await ApiServer.AssertErrorAsync(await VerifyAsync(await ChallengeAsync(user), code), 401, "MFA_CODE_INVALID");
    }

    [Fact]
    public async Task A_used_expired_or_unknown_mfa_token_is_401_mfa_token_invalid()
    {
        var enrolled = await EnrolledUserAsync();
        var token = await ChallengeAsync(enrolled.User);
        await SignedInAsync(await VerifyAsync(token, _time.NextTotp(enrolled.Secret)));
        await ApiServer.AssertErrorAsync(await VerifyAsync(token, _time.NextTotp(enrolled.Secret)), 401, "MFA_TOKEN_INVALID");
        await ApiServer.AssertErrorAsync(await VerifyAsync("not-a-token", _time.NextTotp(enrolled.Secret)), 401, "MFA_TOKEN_INVALID");

        var expiring = await ChallengeAsync(enrolled.User);
        var redis = _api.Services.GetRequiredService<IRedisClient>();
        var ttl = (await redis.ExecuteAsync(["PTTL", MfaChallenges.RedisKey(expiring)])).Number;
        Assert.InRange(ttl, 290_000, 300_000);
        Assert.False(await redis.ExistsAsync("auth:mfa:" + expiring), "the token itself must not be a Redis key");
        // Five minutes passing is the key expiring: shorten it instead of waiting.
        Assert.Equal(1, (await redis.ExecuteAsync(["PEXPIRE", MfaChallenges.RedisKey(expiring), "50"])).Number);
        await Task.Delay(120);
        await ApiServer.AssertErrorAsync(await VerifyAsync(expiring, _time.NextTotp(enrolled.Secret)), 401, "MFA_TOKEN_INVALID");
    }

    [Fact]
    public async Task Five_wrong_codes_burn_the_token_and_lock_the_account()
    {
        var enrolled = await EnrolledUserAsync();
        var token = await ChallengeAsync(enrolled.User);
        var code = _time.NextTotp(enrolled.Secret);
        for (var i = 1; i <= 5; i++)
        {
            var error = await ApiServer.AssertErrorAsync(await VerifyAsync(token, WrongCode(code)), 401, "MFA_CODE_INVALID");
            Assert.Equal(i == 5, error.GetProperty("message").GetString()!.Contains("sign in again", StringComparison.Ordinal));
        }

        await ApiServer.AssertErrorAsync(await VerifyAsync(token, code), 401, "MFA_TOKEN_INVALID");
        await ApiServer.AssertErrorAsync(await _api.LoginAsync(enrolled.User.Email, ApiServer.DefaultPassword), 403, "ACCOUNT_LOCKED");
        var actions = await _api.AuditActionsAsync(enrolled.User.Id.ToString());
        Assert.Equal(5, actions.Count(a => a == "login.mfa_failed"));
        Assert.Contains("account.locked", actions);
    }

    [Fact]
    public async Task Wrong_codes_add_up_across_challenges_because_the_password_alone_does_not_reset_the_count()
    {
        var enrolled = await EnrolledUserAsync();
        var code = _time.NextTotp(enrolled.Secret);
        var first = await ChallengeAsync(enrolled.User);
        for (var i = 0; i < 3; i++)
        {
            await ApiServer.AssertErrorAsync(await VerifyAsync(first, WrongCode(code)), 401, "MFA_CODE_INVALID");
        }

        var second = await ChallengeAsync(enrolled.User);
        await ApiServer.AssertErrorAsync(await VerifyAsync(second, WrongCode(code)), 401, "MFA_CODE_INVALID");
        await ApiServer.AssertErrorAsync(await VerifyAsync(second, WrongCode(code)), 401, "MFA_CODE_INVALID");
        // The fifth failure locked the account: even the right code on a live token is refused now.
        await ApiServer.AssertErrorAsync(await VerifyAsync(second, code), 403, "ACCOUNT_LOCKED");
    }

    [Fact]
    public async Task A_recovery_code_signs_in_once()
    {
        var enrolled = await EnrolledUserAsync();
        var recovery = enrolled.RecoveryCodes[3];
        var body = await SignedInAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), recoveryCode: recovery.ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal)));
        Assert.Equal(enrolled.User.Id.ToString(), body.GetProperty("user").GetProperty("id").GetString());
        await ApiServer.AssertErrorAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), recoveryCode: recovery), 401, "MFA_CODE_INVALID");
        Assert.Equal(9L, await _api.Db.ScalarAsync<long>("SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @id AND used_at IS NULL", ("id", enrolled.User.Id)));

        var actions = await _api.AuditActionsAsync(enrolled.User.Id.ToString());
        Assert.Equal(["login.mfa_challenge", "mfa.recovery_code_used", "login.succeeded", "login.mfa_challenge", "login.mfa_failed"], actions.Skip(2));
        await using var command = _api.Database!.DataSource.CreateCommand(
            "SELECT (SELECT new_values->>'method' FROM audit_log WHERE entity_id = @id AND action = 'login.succeeded') || ' ' || (SELECT new_values->>'remaining' FROM audit_log WHERE entity_id = @id AND action = 'mfa.recovery_code_used')");
        command.Parameters.Add(new NpgsqlParameter<string>("id", enrolled.User.Id.ToString()));
        Assert.Equal("password+recovery_code 9", await command.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("{\"code\":\"123456\"}", "mfa_token")]
    [InlineData("{\"mfa_token\":\"x\"}", "code")]
    [InlineData("{\"mfa_token\":\"x\",\"code\":\"123456\",\"recovery_code\":\"abcd-efgh-jkmn\"}", "recovery_code")]
    public async Task Verify_needs_a_token_and_exactly_one_factor(string body, string field)
    {
        var error = await ApiServer.AssertErrorAsync(await _api.Anonymous.PostAsync("/api/v1/auth/mfa/verify", ApiServer.Json(body)), 422, "VALIDATION_ERROR");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
    }

    [Fact]
    public async Task Disabling_needs_a_valid_code_and_makes_sign_in_one_step_again()
    {
        var enrolled = await EnrolledUserAsync();
        using var client = ClientFor(enrolled.User);
        var code = _time.NextTotp(enrolled.Secret);
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/disable", new { code = WrongCode(code) }), 422, "MFA_CODE_INVALID");
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/disable", new { }), 422, "VALIDATION_ERROR");
        Assert.Equal(204, (int)(await PostAsync(client, "/api/v1/auth/mfa/disable", new { code })).StatusCode);

        var login = await ApiServer.ReadJsonAsync(await _api.LoginAsync(enrolled.User.Email, ApiServer.DefaultPassword));
        Assert.False(string.IsNullOrEmpty(login.GetProperty("access_token").GetString()));
        Assert.False(login.GetProperty("user").GetProperty("mfa_enabled").GetBoolean());
        Assert.Equal(0L, await _api.Db.ScalarAsync<long>("SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @id", ("id", enrolled.User.Id)));
        Assert.True(await _api.Db.ScalarAsync<bool>("SELECT mfa_secret IS NULL AND mfa_last_step IS NULL AND mfa_recovery_salt IS NULL FROM users WHERE id = @id", ("id", enrolled.User.Id)));
        var actions = await _api.AuditActionsAsync(enrolled.User.Id.ToString());
        Assert.Equal(["mfa.verification_failed", "mfa.disabled", "login.succeeded"], actions.Skip(2));
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/disable", new { code = _time.NextTotp(enrolled.Secret) }), 409, "RESOURCE_CONFLICT");
    }

    [Fact]
    public async Task A_recovery_code_can_disable_mfa()
    {
        var enrolled = await EnrolledUserAsync();
        using var client = ClientFor(enrolled.User);
        Assert.Equal(204, (int)(await PostAsync(client, "/api/v1/auth/mfa/disable", new { recovery_code = enrolled.RecoveryCodes[0] })).StatusCode);
        Assert.Contains("mfa.recovery_code_used", await _api.AuditActionsAsync(enrolled.User.Id.ToString()));
    }

    [Fact]
    public async Task New_recovery_codes_replace_the_old_ones()
    {
        var enrolled = await EnrolledUserAsync();
        using var client = ClientFor(enrolled.User);
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/recovery-codes", new { recovery_code = enrolled.RecoveryCodes[0] }), 422, "VALIDATION_ERROR");
        var response = await PostAsync(client, "/api/v1/auth/mfa/recovery-codes", new { code = _time.NextTotp(enrolled.Secret) });
        Assert.Equal(200, (int)response.StatusCode);
        var fresh = (await ApiServer.ReadJsonAsync(response)).GetProperty("recovery_codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, fresh.Count);
        Assert.Empty(fresh.Intersect(enrolled.RecoveryCodes));

        await ApiServer.AssertErrorAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), recoveryCode: enrolled.RecoveryCodes[0]), 401, "MFA_CODE_INVALID");
        await SignedInAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), recoveryCode: fresh[0]));
        Assert.Contains("mfa.recovery_codes_regenerated", await _api.AuditActionsAsync(enrolled.User.Id.ToString()));
    }

    [Fact]
    public async Task An_admin_resets_a_users_mfa_and_signs_them_out()
    {
        var enrolled = await EnrolledUserAsync();
        var session = await SignedInAsync(await VerifyAsync(await ChallengeAsync(enrolled.User), _time.NextTotp(enrolled.Secret)));
        await ApiServer.AssertErrorAsync(await _api.Client.DeleteAsync($"/api/v1/users/{Guid.NewGuid()}/mfa"), 404, "RESOURCE_NOT_FOUND");

        Assert.Equal(204, (int)(await _api.Client.DeleteAsync($"/api/v1/users/{enrolled.User.Id}/mfa")).StatusCode);
        var refresh = await _api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = session.GetProperty("refresh_token").GetString()! });
        await ApiServer.AssertErrorAsync(refresh, 401, "TOKEN_INVALID");
        var login = await ApiServer.ReadJsonAsync(await _api.LoginAsync(enrolled.User.Email, ApiServer.DefaultPassword));
        Assert.True(login.TryGetProperty("access_token", out _));
        Assert.Equal(0L, await _api.Db.ScalarAsync<long>("SELECT count(*) FROM mfa_recovery_codes WHERE user_id = @id", ("id", enrolled.User.Id)));

        var audit = await ApiServer.ReadJsonAsync(await _api.Client.GetAsync($"/api/v1/audit-log?entity_id={enrolled.User.Id}&action=mfa.reset"));
        var entry = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Equal("user", entry.GetProperty("actor_type").GetString());
        Assert.Equal(_api.AdminId.ToString(), entry.GetProperty("actor_id").GetString());
        Assert.Contains("true", entry.GetProperty("old_values").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mfa_endpoints_are_for_signed_in_users()
    {
        await ApiServer.AssertErrorAsync(await _api.Anonymous.PostAsync("/api/v1/auth/mfa/enroll", null), 401, "AUTHENTICATION_REQUIRED");
        await ApiServer.AssertErrorAsync(await _api.Anonymous.PostAsync("/api/v1/auth/mfa/disable", ApiServer.Json("{\"code\":\"123456\"}")), 401, "AUTHENTICATION_REQUIRED");
        using var client = ClientFor(await _api.CreateUserAsync(Roles.TechnicianL1));
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/disable", new { code = "123456" }), 409, "RESOURCE_CONFLICT");
        await ApiServer.AssertErrorAsync(await PostAsync(client, "/api/v1/auth/mfa/recovery-codes", new { code = "123456" }), 409, "RESOURCE_CONFLICT");
    }
}

/// <summary>The per-role MFA requirement; each test has its own database because the policy is appliance-wide.</summary>
public sealed class MfaPolicyTests
{
    private static string Code(byte[] secret, TimeSpan shift) => Totp.Compute(secret, DateTimeOffset.UtcNow + shift);

    [Fact]
    public async Task The_policy_lists_every_role_changes_named_roles_rejects_unknown_ones_and_is_audited()
    {
        await using var api = await ApiServer.StartAsync();
        var initial = await ApiServer.ReadJsonAsync(await api.Client.GetAsync("/api/v1/settings/mfa-policy"));
        Assert.Equal(Roles.All, initial.GetProperty("roles").EnumerateObject().Select(p => p.Name));
        Assert.All(initial.GetProperty("roles").EnumerateObject(), p => Assert.False(p.Value.GetBoolean()));

        var put = await api.Client.PutAsync("/api/v1/settings/mfa-policy", ApiServer.Json("{\"roles\":{\"system_admin\":true,\"technician_l1\":true}}"));
        Assert.Equal(200, (int)put.StatusCode);
        var roles = (await ApiServer.ReadJsonAsync(put)).GetProperty("roles");
        Assert.True(roles.GetProperty("system_admin").GetBoolean());
        Assert.True(roles.GetProperty("technician_l1").GetBoolean());
        Assert.False(roles.GetProperty("billing").GetBoolean());

        var unknown = await api.Client.PutAsync("/api/v1/settings/mfa-policy", ApiServer.Json("{\"roles\":{\"billing\":true,\"overlord\":true}}"));
        var error = await ApiServer.AssertErrorAsync(unknown, 422, "VALIDATION_ERROR");
        Assert.Equal("roles.overlord", Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("field").GetString());
        await ApiServer.AssertErrorAsync(await api.Client.PutAsync("/api/v1/settings/mfa-policy", ApiServer.Json("{\"roles\":{}}")), 422, "VALIDATION_ERROR");
        await ApiServer.AssertErrorAsync(await api.Client.PutAsync("/api/v1/settings/mfa-policy", ApiServer.Json("{\"roles\":{\"billing\":\"yes\"}}")), 400, "INVALID_INPUT");
        var after = await ApiServer.ReadJsonAsync(await api.Client.GetAsync("/api/v1/settings/mfa-policy"));
        Assert.False(after.GetProperty("roles").GetProperty("billing").GetBoolean());

        var audit = await ApiServer.ReadJsonAsync(await api.Client.GetAsync("/api/v1/audit-log?entity_type=settings&action=mfa_policy.updated"));
        var entry = Assert.Single(audit.GetProperty("data").EnumerateArray());
        Assert.Equal(api.AdminId.ToString(), entry.GetProperty("actor_id").GetString());
        Assert.Contains("\"technician_l1\": false", entry.GetProperty("old_values").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"technician_l1\": true", entry.GetProperty("new_values").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_whose_role_requires_mfa_may_only_enrol_until_they_have_and_then_gets_a_full_session()
    {
        await using var api = await ApiServer.StartAsync();
        Assert.Equal(200, (int)(await api.Client.PutAsync("/api/v1/settings/mfa-policy", ApiServer.Json("{\"roles\":{\"technician_l2\":true}}"))).StatusCode);
        var user = await api.CreateUserAsync(Roles.TechnicianL2);
        var login = await ApiServer.ReadJsonAsync(await api.LoginAsync(user.Email, ApiServer.DefaultPassword));
        Assert.True(login.GetProperty("mfa_setup_required").GetBoolean());
        using var confined = api.Bearer(login.GetProperty("access_token").GetString()!);

        await ApiServer.AssertErrorAsync(await confined.GetAsync("/api/v1/customers"), 403, "MFA_ENROLLMENT_REQUIRED");
        await ApiServer.AssertErrorAsync(await confined.GetAsync("/api/v1/tickets"), 403, "MFA_ENROLLMENT_REQUIRED");
        await ApiServer.AssertErrorAsync(await confined.PostAsync("/api/v1/auth/mfa/disable", ApiServer.Json("{\"code\":\"123456\"}")), 403, "MFA_ENROLLMENT_REQUIRED");
        var me = await ApiServer.ReadJsonAsync(await confined.GetAsync("/api/v1/auth/me"));
        Assert.True(me.GetProperty("mfa_setup_required").GetBoolean());

        // A refresh keeps the confinement.
        var refreshed = await ApiServer.ReadJsonAsync(await api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = login.GetProperty("refresh_token").GetString()! }));
        Assert.True(refreshed.GetProperty("mfa_setup_required").GetBoolean());
        using var stillConfined = api.Bearer(refreshed.GetProperty("access_token").GetString()!);
        await ApiServer.AssertErrorAsync(await stillConfined.GetAsync("/api/v1/customers"), 403, "MFA_ENROLLMENT_REQUIRED");

        var enrol = await ApiServer.ReadJsonAsync(await stillConfined.PostAsync("/api/v1/auth/mfa/enroll", null));
        var secret = Totp.DecodeSecret(enrol.GetProperty("secret").GetString()!);
        var confirm = await stillConfined.PostAsJsonAsync("/api/v1/auth/mfa/confirm", new { code = Code(secret, TimeSpan.Zero) });
        Assert.Equal(200, (int)confirm.StatusCode);
        var session = (await ApiServer.ReadJsonAsync(confirm)).GetProperty("session");
        Assert.False(session.GetProperty("mfa_setup_required").GetBoolean());

        // The confined token and its refresh family are gone; the new session reaches everything the role allows.
        await ApiServer.AssertErrorAsync(await stillConfined.GetAsync("/api/v1/auth/me"), 401, "TOKEN_INVALID");
        await ApiServer.AssertErrorAsync(await api.Anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new Dictionary<string, string> { ["refresh_token"] = refreshed.GetProperty("refresh_token").GetString()! }), 401, "TOKEN_INVALID");
        using var full = api.Bearer(session.GetProperty("access_token").GetString()!);
        Assert.Equal(200, (int)(await full.GetAsync("/api/v1/customers")).StatusCode);

        // Turning MFA off is refused while the role requires it; the next sign-in is two-step.
        await ApiServer.AssertErrorAsync(await full.PostAsJsonAsync("/api/v1/auth/mfa/disable", new { code = Code(secret, TimeSpan.FromSeconds(30)) }), 409, "RESOURCE_CONFLICT");
        var next = await ApiServer.ReadJsonAsync(await api.LoginAsync(user.Email, ApiServer.DefaultPassword));
        Assert.True(next.GetProperty("mfa_required").GetBoolean());
    }
}
