using System.Diagnostics;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform;

namespace Appliance.IntegrationTests.Release;

/// <summary>The Native AOT API binary as it ships.</summary>
public sealed class PublishedApiTests
{
    [Fact]
    public async Task Published_binary_migrates_serves_health_and_ready_and_stops_cleanly_on_sigterm()
    {
        await using var database = await TestDatabase.CreateAsync(migrated: false);
        var port = BinaryProcess.FreePort();
        var environment = BinaryProcess.Environment(database.ConnectionString, port);

        var (migrateExit, migrateOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "migrate");
        Assert.True(migrateExit == ExitCodes.Ok, migrateOutput);
        Assert.Contains("applied", migrateOutput, StringComparison.Ordinal);

        await using var api = BinaryProcess.Start(BinaryProcess.PublishedApi, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        HttpResponseMessage? health = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(20) && !api.HasExited)
        {
            try
            {
                health = await http.GetAsync("/health");
                break;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(health is { IsSuccessStatusCode: true }, api.Output);
        var ready = await http.GetAsync("/ready");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        var openApi = await http.GetAsync("/api/v1/openapi.json");
        Assert.True(openApi.IsSuccessStatusCode, api.Output);
        var unknown = await http.GetAsync("/api/v1/nope");
        await ApiServer.AssertErrorAsync(unknown, 404, "RESOURCE_NOT_FOUND");
        var malformed = await http.PostAsync("/api/v1/auth/login", ApiServer.Json("{\"email\": 1"));
        await ApiServer.AssertErrorAsync(malformed, 400, "INVALID_INPUT");

        await api.TerminateAsync();
        Assert.Equal(0, api.ExitCode);
    }

    [Fact]
    public async Task Missing_setting_stops_the_binary_with_one_line_naming_it_and_exit_78()
    {
        var environment = BinaryProcess.Environment("unused", BinaryProcess.FreePort());
        environment.Remove("APPLIANCE_Database__ConnectionString");
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment);
        Assert.Equal(ExitCodes.Configuration, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("configuration error: Database:ConnectionString is missing", line, StringComparison.Ordinal);
        Assert.Contains("APPLIANCE_Database__ConnectionString", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("APPLIANCE_Redis__Endpoint", "localhost", "Redis:Endpoint must be host:port")]
    [InlineData("APPLIANCE_Http__MaxRequestBodyBytes", "lots", "Http:MaxRequestBodyBytes must be a whole number")]
    [InlineData("APPLIANCE_Http__Url", "ftp://x", "Http:Url must be an absolute http(s) URL")]
    [InlineData("APPLIANCE_Database__ConnectionString", "Hostt=x", "Database:ConnectionString is not a valid PostgreSQL connection string")]
    public async Task Bad_setting_stops_the_binary_with_one_line_and_exit_78(string variable, string value, string expected)
    {
        var environment = BinaryProcess.Environment("Host=127.0.0.1;Port=1", BinaryProcess.FreePort());
        environment[variable] = value;
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment);
        Assert.Equal(ExitCodes.Configuration, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_from_the_config_directory_are_read_and_environment_wins()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = BinaryProcess.FreePort();
        var environment = BinaryProcess.Environment(database.ConnectionString, port);
        await File.WriteAllTextAsync(Path.Combine(environment["APPLIANCE_CONFIG_DIR"], "10-http.json"), "{\"Http\":{\"MaxRequestBodyBytes\":\"2048\"}}");
        await File.WriteAllTextAsync(Path.Combine(environment["APPLIANCE_CONFIG_DIR"], "20-redis.json"), "{\"Redis\":{\"Endpoint\":\"not-a-valid-endpoint\"}}");
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "migrate", "--status");
        Assert.True(exit == ExitCodes.Ok, output);
        Assert.Contains("schema current", output, StringComparison.Ordinal);

        environment.Remove("APPLIANCE_Redis__Endpoint");
        var (badExit, badOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "migrate", "--status");
        Assert.Equal(ExitCodes.Configuration, badExit);
        Assert.Contains("Redis:Endpoint", badOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_against_an_unreachable_database_exits_69()
    {
        var environment = BinaryProcess.Environment($"Host=127.0.0.1;Port={BinaryProcess.FreePort()};Username=x;Password=y;Timeout=2", BinaryProcess.FreePort());
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "migrate");
        Assert.True(exit == ExitCodes.DatabaseUnavailable, output);
        Assert.StartsWith("database unavailable:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_command_exits_64_with_usage()
    {
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, new Dictionary<string, string>(), "frobnicate");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("unknown command 'frobnicate'", output, StringComparison.Ordinal);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("seed-demo", "--admin-email")]
    [InlineData("seed-demo", "--colour", "red")]
    [InlineData("create-admin", "--email", "a@b.example", "--bogus", "x")]
    public async Task Bad_subcommand_options_exit_64_naming_the_argument(params string[] args)
    {
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, new Dictionary<string, string>(), args);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("unexpected argument", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_demo_is_idempotent()
    {
        await using var database = await TestDatabase.CreateAsync();
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());
        var passwordFile = Path.Combine(environment["APPLIANCE_CONFIG_DIR"], "admin-password");
        await File.WriteAllTextAsync(passwordFile, "a-long-demo-password\n");
        var (first, firstOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "seed-demo", "--admin-email", "admin@demo-msp.example", "--admin-password-file", passwordFile);
        Assert.True(first == 0, firstOutput);
        Assert.Contains("seeded demo MSP: 5 customers", firstOutput, StringComparison.Ordinal);
        var (second, secondOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "seed-demo", "--admin-email", "admin@demo-msp.example", "--admin-password-file", passwordFile);
        Assert.Equal(0, second);
        Assert.Contains("already present", secondOutput, StringComparison.Ordinal);
        await using var count = database.DataSource.CreateCommand("SELECT (SELECT count(*) FROM customers) * 1000 + (SELECT count(*) FROM users WHERE role = 'system_admin' AND password_hash LIKE 'AQAAAA%')");
        Assert.Equal(5001L, (long)(await count.ExecuteScalarAsync())!);
    }
}

/// <summary>The provisioning commands of the published binary: signing keys and the first admin.</summary>
public sealed class PublishedIdentityCommandTests
{
    [Fact]
    public async Task Keys_generate_writes_a_0600_pem_that_the_api_accepts_and_a_world_readable_key_is_refused()
    {
        var directory = Directory.CreateTempSubdirectory("appliance-newkeys-").FullName;
        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, new Dictionary<string, string>(), "keys", "generate", "--dir", directory);
        Assert.True(exit == 0, output);
        var key = Assert.Single(Directory.GetFiles(directory, "jwt-*.pem"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Contains("BEGIN RSA PRIVATE KEY", await File.ReadAllTextAsync(key), StringComparison.Ordinal);

        await using var database = await TestDatabase.CreateAsync();
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());
        environment["APPLIANCE_Identity__KeyDirectory"] = directory;
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var (badExit, badOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment);
        Assert.Equal(ExitCodes.Configuration, badExit);
        Assert.Contains("must have mode 0600", badOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_admin_creates_once_enforces_the_password_policy_and_the_admin_can_sign_in()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = BinaryProcess.FreePort();
        var environment = BinaryProcess.Environment(database.ConnectionString, port);
        var passwordFile = Path.Combine(environment["APPLIANCE_CONFIG_DIR"], "pw");
        await File.WriteAllTextAsync(passwordFile, "password1234\n");
        var (weak, weakOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "create-admin", "--email", "root@msp.example", "--password-file", passwordFile);
        Assert.Equal(ExitCodes.Usage, weak);
        Assert.Contains("too common", weakOutput, StringComparison.Ordinal);

        await File.WriteAllTextAsync(passwordFile, "first-admin-passphrase\n");
        var (first, firstOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "create-admin", "--email", "root@msp.example", "--password-file", passwordFile);
        Assert.True(first == 0, firstOutput);
        Assert.Contains("created system admin root@msp.example", firstOutput, StringComparison.Ordinal);
        var (again, againOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "create-admin", "--email", "ROOT@msp.example", "--password-file", passwordFile);
        Assert.Equal(0, again);
        Assert.Contains("already exists", againOutput, StringComparison.Ordinal);

        await using var api = BinaryProcess.Start(BinaryProcess.PublishedApi, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        HttpResponseMessage? login = null;
        for (var i = 0; i < 200 && login is null; i++)
        {
            try
            {
                login = await http.PostAsync("/api/v1/auth/login", ApiServer.Json("{\"email\":\"root@msp.example\",\"password\":\"first-admin-passphrase\"}"));
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(login is { IsSuccessStatusCode: true }, api.Output);
        await api.TerminateAsync();
    }

    public static TheoryData<string, string> BadFieldKeys() => new()
    {
        { "unset", "Security:FieldEncryptionKeyFile is missing" },
        { "absent", "does not exist" },
        { "short", "holds 16 bytes; 32 are required" },
        { "readable", "must have mode 0600" },
    };

    [Theory]
    [MemberData(nameof(BadFieldKeys))]
    public async Task A_missing_or_bad_field_encryption_key_stops_the_api_with_one_line_and_exit_78(string problem, string expected)
    {
        var environment = BinaryProcess.Environment("Host=127.0.0.1;Port=1", BinaryProcess.FreePort());
        var path = Path.Combine(environment["APPLIANCE_CONFIG_DIR"], "field-encryption.key");
        switch (problem)
        {
            case "unset":
                environment.Remove("APPLIANCE_Security__FieldEncryptionKeyFile");
                break;
            case "absent":
                environment["APPLIANCE_Security__FieldEncryptionKeyFile"] = path;
                break;
            case "short":
                ApiServer.WriteKeyFile(path, new byte[16]);
                environment["APPLIANCE_Security__FieldEncryptionKeyFile"] = path;
                break;
            default:
                ApiServer.WriteKeyFile(path, new byte[32]);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
                environment["APPLIANCE_Security__FieldEncryptionKeyFile"] = path;
                break;
        }

        var (exit, output) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment);
        Assert.Equal(ExitCodes.Configuration, exit);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("configuration error: Security:FieldEncryptionKeyFile", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_published_binary_enrols_mfa_signs_in_in_two_steps_and_accepts_an_api_key()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = BinaryProcess.FreePort();
        var environment = BinaryProcess.Environment(database.ConnectionString, port);
        var passwordFile = Path.Combine(environment["APPLIANCE_CONFIG_DIR"], "pw");
        await File.WriteAllTextAsync(passwordFile, "first-admin-passphrase\n");
        var (created, createdOutput) = await BinaryProcess.RunAsync(BinaryProcess.PublishedApi, environment, "create-admin", "--email", "mfa@msp.example", "--password-file", passwordFile);
        Assert.True(created == 0, createdOutput);

        await using var api = BinaryProcess.Start(BinaryProcess.PublishedApi, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var credentials = ApiServer.Json("{\"email\":\"mfa@msp.example\",\"password\":\"first-admin-passphrase\"}");
        HttpResponseMessage? login = null;
        for (var i = 0; i < 200 && login is null; i++)
        {
            try
            {
                login = await http.PostAsync("/api/v1/auth/login", credentials);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(login is { IsSuccessStatusCode: true }, api.Output);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (await ApiServer.ReadJsonAsync(login)).GetProperty("access_token").GetString());
        var enrol = await ApiServer.ReadJsonAsync(await http.PostAsync("/api/v1/auth/mfa/enroll", null));
        Assert.StartsWith("data:image/png;base64,", enrol.GetProperty("qr_png").GetString(), StringComparison.Ordinal);
        var secret = Appliance.Platform.Security.Totp.DecodeSecret(enrol.GetProperty("secret").GetString()!);
        var confirm = await http.PostAsync("/api/v1/auth/mfa/confirm", ApiServer.Json($"{{\"code\":\"{Appliance.Platform.Security.Totp.Compute(secret, DateTimeOffset.UtcNow)}\"}}"));
        Assert.Equal(10, (await ApiServer.ReadJsonAsync(confirm)).GetProperty("recovery_codes").GetArrayLength());

        var key = await http.PostAsync("/api/v1/api-keys", ApiServer.Json("{\"name\":\"published\",\"permissions\":[\"customer:view\"]}"));
        Assert.Equal(201, (int)key.StatusCode);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (await ApiServer.ReadJsonAsync(key)).GetProperty("key").GetString());
        Assert.Equal(200, (int)(await http.GetAsync("/api/v1/customers")).StatusCode);

        http.DefaultRequestHeaders.Authorization = null;
        var challenge = await ApiServer.ReadJsonAsync(await http.PostAsync("/api/v1/auth/login", credentials));
        // The next step's code: the confirming code's step is used up.
        var code = Appliance.Platform.Security.Totp.Compute(secret, DateTimeOffset.UtcNow.AddSeconds(30));
        var verify = await http.PostAsync("/api/v1/auth/mfa/verify", ApiServer.Json($"{{\"mfa_token\":\"{challenge.GetProperty("mfa_token").GetString()}\",\"code\":\"{code}\"}}"));
        Assert.True(verify.IsSuccessStatusCode, await verify.Content.ReadAsStringAsync());
        Assert.True((await ApiServer.ReadJsonAsync(verify)).GetProperty("user").GetProperty("mfa_enabled").GetBoolean());
        await api.TerminateAsync();
        Assert.Equal(0, api.ExitCode);
    }
}
