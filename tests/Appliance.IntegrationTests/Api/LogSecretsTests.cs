using System.Net;
using System.Net.Http.Json;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Security;

namespace Appliance.IntegrationTests.Api;

/// <summary>
/// Passwords, access and refresh tokens, refresh cookies, MFA tokens, TOTP codes and secrets and API keys never reach
/// a log line: the real API at the most verbose level (hosting diagnostics included) is driven through sign-in,
/// refresh, MFA enrolment and verification, API key creation and use, and failures with each of them, and every
/// captured event (rendered line and JSON with all its properties) is searched for every secret it saw.
/// </summary>
public sealed class LogSecretsTests : IAsyncLifetime
{
    private readonly AdjustableTime _time = new();
    private static readonly string[] KeyPermissions = ["customer:view"];
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync(new()
    {
        ["Http:TrustedProxies"] = "127.0.0.1",
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
    }, time: _time);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task No_secret_reaches_a_log_line()
    {
        var secrets = new List<string>();
        const string password = "Verbose-logging-pa55word";
        secrets.Add(password);
        var user = await _api.CreateUserAsync(Roles.SystemAdmin, password: password);

        // Sign-in (and a wrong password), refresh through the body and with the token also sent as a cookie.
        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.LoginAsync(user.Email, password + "x")).StatusCode);
        secrets.Add(password + "x");
        var session = await ApiServer.ReadJsonAsync(await _api.LoginAsync(user.Email, password));
        var access = session.GetProperty("access_token").GetString()!;
        var refresh = session.GetProperty("refresh_token").GetString()!;
        secrets.AddRange([access, refresh]);
        using (var anonymous = ApiServer.FromUniqueAddress(_api.NewClient()))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/refresh") { Content = JsonContent.Create(new { refresh_token = refresh }) };
            request.Headers.Add("Cookie", $"refresh_token={refresh}; psa_refresh={refresh}");
            var refreshed = await ApiServer.ReadJsonAsync(await anonymous.SendAsync(request));
            access = refreshed.GetProperty("access_token").GetString()!;
            refresh = refreshed.GetProperty("refresh_token").GetString()!;
            secrets.AddRange([access, refresh]);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refresh_token = refresh + "x" })).StatusCode);
        }

        // MFA: enrolment (secret, otpauth URI), confirmation (code), recovery codes, a challenge, a wrong and a right code.
        using var signedIn = ApiServer.FromUniqueAddress(_api.Bearer(access));
        var enrol = await ApiServer.ReadJsonAsync(await signedIn.PostAsync("/api/v1/auth/mfa/enroll", null));
        var secretText = enrol.GetProperty("secret").GetString()!;
        secrets.AddRange([secretText, enrol.GetProperty("otpauth_uri").GetString()!]);
        var secret = Totp.DecodeSecret(secretText);
        var confirmCode = _time.NextTotp(secret);
        secrets.Add(confirmCode);
        var confirm = await ApiServer.ReadJsonAsync(await signedIn.PostAsJsonAsync("/api/v1/auth/mfa/confirm", new { code = confirmCode }));
        secrets.AddRange(confirm.GetProperty("recovery_codes").EnumerateArray().Select(code => code.GetString()!));
        if (confirm.TryGetProperty("session", out var confirmed) && confirmed.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            secrets.AddRange([confirmed.GetProperty("access_token").GetString()!, confirmed.GetProperty("refresh_token").GetString()!]);
        }

        var challenge = await ApiServer.ReadJsonAsync(await _api.LoginAsync(user.Email, password));
        var mfaToken = challenge.GetProperty("mfa_token").GetString()!;
        secrets.Add(mfaToken);
        using (var anonymous = ApiServer.FromUniqueAddress(_api.NewClient()))
        {
            var code = _time.NextTotp(secret);
            var wrong = ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            secrets.AddRange([code, wrong]);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/auth/mfa/verify", new { mfa_token = mfaToken, code = wrong })).StatusCode);
            var verified = await ApiServer.ReadJsonAsync(await anonymous.PostAsJsonAsync("/api/v1/auth/mfa/verify", new { mfa_token = mfaToken, code }));
            access = verified.GetProperty("access_token").GetString()!;
            secrets.AddRange([access, verified.GetProperty("refresh_token").GetString()!]);
        }

        // API keys: creation, use in both headers, a wrong secret for a real prefix, a revoked key.
        using var admin = ApiServer.FromUniqueAddress(_api.Bearer(access));
        var created = await ApiServer.ReadJsonAsync(await admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "log test", permissions = KeyPermissions }));
        var key = created.GetProperty("key").GetString()!;
        secrets.Add(key);
        secrets.Add(key[13..]); // the secret part alone
        using (var byHeader = ApiServer.FromUniqueAddress(_api.NewClient()))
        {
            byHeader.DefaultRequestHeaders.Add("X-Api-Key", key);
            Assert.Equal(HttpStatusCode.OK, (await byHeader.GetAsync("/api/v1/customers")).StatusCode);
        }

        using (var byBearer = ApiServer.FromUniqueAddress(_api.Bearer(key)))
        {
            Assert.Equal(HttpStatusCode.OK, (await byBearer.GetAsync("/api/v1/customers")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await byBearer.GetAsync("/api/v1/auth/me")).StatusCode);
        }

        var wrongKey = key[..13] + new string('Z', 40);
        secrets.Add(wrongKey);
        using (var wrongClient = ApiServer.FromUniqueAddress(_api.Bearer(wrongKey)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrongClient.GetAsync("/api/v1/customers")).StatusCode);
        }

        using (var badToken = ApiServer.FromUniqueAddress(_api.Bearer(access[..^4] + "AAAA")))
        {
            secrets.Add(access[..^4] + "AAAA");
            Assert.Equal(HttpStatusCode.Unauthorized, (await badToken.GetAsync("/api/v1/customers")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync("/api/v1/auth/logout", null)).StatusCode);

        // The pipeline logged at the verbose level: otherwise the scan below proves nothing.
        var lines = _api.Logs.Lines.ToList();
        var json = _api.Logs.Json.ToList();
        Assert.Contains(lines, line => line.StartsWith("Debug", StringComparison.Ordinal) && line.Contains("/api/v1/auth/refresh", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("/api/v1/api-keys", StringComparison.Ordinal));
        Assert.True(lines.Count > 50, $"only {lines.Count} lines");
        foreach (var value in secrets)
        {
            Assert.True(value.Length >= 6, value);
            // A 6-digit code is searched as a whole token: it may occur by chance inside a GUID, a timestamp or a timing.
            var leaked = value.All(char.IsAsciiDigit)
                ? lines.Concat(json).FirstOrDefault(line => System.Text.RegularExpressions.Regex.IsMatch(line, $"(?<![0-9A-Za-z.:-]){value}(?![0-9A-Za-z.:-])"))
                : lines.Concat(json).FirstOrDefault(line => line.Contains(value, StringComparison.Ordinal));
            Assert.True(leaked is null, $"a secret reached a log line: {leaked}");
        }
    }
}
