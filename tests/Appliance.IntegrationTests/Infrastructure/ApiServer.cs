using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Appliance.Api;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>
/// The real API (Kestrel on a free loopback port) against a private PostgreSQL database and the test Redis.
/// Log lines are captured so tests can check what operators would see.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private static readonly Lazy<string> SharedKeyDirectory = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("appliance-keys-").FullName;
        SigningKeyRing.Generate(directory);
        return directory;
    });

    private static readonly Lazy<string> SharedFieldEncryptionKeyFile = new(() =>
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("appliance-fieldkey-").FullName, "field-encryption.key");
        WriteKeyFile(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        return path;
    });

    private ApiServer(WebApplication app, TestDatabase? database, Uri baseAddress, CapturingLoggerProvider logs)
    {
        _app = app;
        Database = database;
        Logs = logs;
        BaseAddress = baseAddress;
        Anonymous = NewClient();
        Client = NewClient();
    }

    /// <summary>A key directory with one signing key, shared by every server of this test run.</summary>
    public static string KeyDirectory => SharedKeyDirectory.Value;

    /// <summary>A field-encryption key file (32 random bytes, base64, 0600) as provisioning writes it, shared by the run.</summary>
    public static string FieldEncryptionKeyFile => SharedFieldEncryptionKeyFile.Value;

    /// <summary>Writes <paramref name="key"/> as a key file: base64 and a newline, mode 0600.</summary>
    public static void WriteKeyFile(string path, byte[] key)
    {
        File.WriteAllText(path, Convert.ToBase64String(key) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public Uri BaseAddress { get; }

    /// <summary>Signed in as a system admin (a token issued directly; the user exists when the server has a database).</summary>
    public HttpClient Client { get; }

    /// <summary>No credentials.</summary>
    public HttpClient Anonymous { get; }

    public Guid AdminId { get; private set; } = Guid.NewGuid();

    public TestDatabase? Database { get; }

    /// <summary>The server's database (for servers started with one).</summary>
    public NpgsqlDataSource Db => Database!.DataSource;

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts an API; <paramref name="settings"/> override the defaults (database, Redis, loopback port 0);
    /// <paramref name="time"/> replaces the server's clock; <paramref name="maxPoolSize"/> caps the API's PostgreSQL
    /// pool (waiting at most 5 s for a connection).</summary>
    public static async Task<ApiServer> StartAsync(
        Dictionary<string, string?>? settings = null,
        Action<WebApplication>? mapExtra = null,
        bool withDatabase = true,
        TimeProvider? time = null,
        int? maxPoolSize = null,
        string? connectionOptions = null)
    {
        var database = withDatabase ? await TestDatabase.CreateAsync() : null;
        maxPoolSize ??= int.TryParse(Environment.GetEnvironmentVariable("APPLIANCE_TEST_API_MAX_POOL"), out var fromEnvironment) ? fromEnvironment : null;
        var connectionString = database is null ? "Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=2"
            : maxPoolSize is { } poolSize ? new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = poolSize, Timeout = 5 }.ConnectionString
            : database.ConnectionString;
        if (connectionOptions is not null)
        {
            connectionString += ";" + connectionOptions;
        }

        var values = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = connectionString,
            ["Redis:Endpoint"] = TestEnvironment.RedisEndpoint,
            ["Redis:Password"] = TestEnvironment.RedisPassword,
            ["Http:Url"] = "http://127.0.0.1:0",
            ["Identity:KeyDirectory"] = KeyDirectory,
            ["Security:FieldEncryptionKeyFile"] = FieldEncryptionKeyFile,
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        var logs = new CapturingLoggerProvider();
        var app = ApiHost.Build([], values, builder =>
        {
            builder.Services.AddSingleton<ILogEventSink>(logs);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
        });
        mapExtra?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new ApiServer(app, database, new Uri(address), logs);
        if (database is not null)
        {
            var admin = await server.CreateUserAsync(Roles.SystemAdmin);
            server.AdminId = admin.Id;
        }

        server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.IssueToken(server.AdminId, Roles.SystemAdmin));
        return server;
    }

    public const string DefaultPassword = "correct-horse-battery-9";

    public HttpClient NewClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>An access token for a user of <paramref name="role"/>, signed by the server's key (no login round trip).</summary>
    public string IssueToken(Guid userId, string role, Guid? customerId = null) =>
        Services.GetRequiredService<TokenService>().Issue(
            new User(userId, $"{role}@test.example", role, role, customerId, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow),
            Guid.NewGuid()).Token;

    /// <summary>A real user in the database, with <see cref="DefaultPassword"/>.</summary>
    public async Task<User> CreateUserAsync(string role, Guid? customerId = null, string? email = null, string password = DefaultPassword)
    {
        var store = new UserStore(Database!.DataSource);
        var user = UserRules.ValidateNew(email ?? $"{role}.{Guid.NewGuid():N}@test.example", role, role, customerId, "de", [], password);
        var outcome = await store.CreateAsync(user, Principal.System("tests"), CancellationToken.None);
        return outcome.Value ?? throw new InvalidOperationException(outcome.Refusal?.Message);
    }

    /// <summary>A client carrying a token for <paramref name="user"/>.</summary>
    public HttpClient ClientFor(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var client = NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", IssueToken(user.Id, user.Role, user.CustomerId));
        return client;
    }

    private static int _nextIp;

    // Random per test process: blocks a run leaves in a Redis that outlives it (5 min for an address) never meet the next run.
    private static readonly uint RunPrefix = (uint)Random.Shared.NextInt64(0, uint.MaxValue + 1L);

    /// <summary>A client address no other test uses (the IPv6 documentation range, a random /64 per run; it only travels
    /// in X-Forwarded-For, which the server believes when started with <c>Http:TrustedProxies=127.0.0.1</c>), so login
    /// limits of one test never block another. The IPv4 documentation ranges held 762 addresses, few enough for a run
    /// to hand out an address a brute-force test had blocked.</summary>
    public static string UniqueIp()
    {
        var n = (uint)Interlocked.Increment(ref _nextIp);
        return $"2001:db8:{RunPrefix >> 16:x}:{RunPrefix & 0xffff:x}::{n >> 16:x}:{n & 0xffff:x}";
    }

    /// <summary>POST /auth/login from <paramref name="ip"/> (a unique address unless given).</summary>
    public async Task<HttpResponseMessage> LoginAsync(string email, string password, string? ip = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new Dictionary<string, string> { ["email"] = email, ["password"] = password }),
        };
        request.Headers.Add("X-Forwarded-For", ip ?? UniqueIp());
        return await Anonymous.SendAsync(request);
    }

    /// <summary>A client sending <paramref name="token"/> (an access token or an API key) as the bearer credential.</summary>
    public HttpClient Bearer(string token)
    {
        var client = NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The audit actions about <paramref name="entityId"/> in order, without the row that created it.</summary>
    public Task<List<string>> AuditActionsAsync(string entityId) =>
        Db.StringsAsync("SELECT action FROM audit_log WHERE entity_id = @id AND action <> 'created' ORDER BY id", ("id", entityId));

    /// <summary>Signs <paramref name="user"/> in with <see cref="DefaultPassword"/> (asserting success): the access
    /// token, the refresh token and the whole answer.</summary>
    public async Task<(string Access, string Refresh, JsonElement Body)> SignInAsync(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var response = await LoginAsync(user.Email, DefaultPassword);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await ReadJsonAsync(response);
        return (body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!, body);
    }

    /// <summary>Makes <paramref name="client"/> send every request from a <see cref="UniqueIp"/> of its own (needs
    /// <c>Http:TrustedProxies=127.0.0.1</c>), so its failed attempts count against no other test.</summary>
    public static HttpClient FromUniqueAddress(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", UniqueIp());
        return client;
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"response {(int)response.StatusCode} is not JSON: '{text}'", ex);
        }
    }

    /// <summary>Asserts the seed's error envelope and returns its <c>error</c> object.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, int status, string code)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }.MediaType, response.Content.Headers.ContentType?.MediaType);
        var body = await ReadJsonAsync(response);
        var error = body.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Array, error.GetProperty("details").ValueKind);
        var requestId = error.GetProperty("request_id").GetString();
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), requestId);
        Assert.True(DateTimeOffset.TryParse(error.GetProperty("timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out var at));
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        return error;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}

/// <summary>
/// Keeps every log event the API's Serilog pipeline writes (registered as a sink in the service container, which
/// <c>ApplianceLogging</c> reads): <see cref="Lines"/> as <c>Level Category =&gt; Name:value ... message exception</c>,
/// and <see cref="Json"/> as the compact JSON a structured sink would store (every property, the template, the exception).
/// </summary>
public sealed class CapturingLoggerProvider : ILogEventSink
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ConcurrentQueue<string> Json { get; } = new();

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var line = new StringBuilder().Append(MelLevel(logEvent.Level)).Append(' ');
        line.Append(logEvent.Properties.TryGetValue("SourceContext", out var category) && category is ScalarValue { Value: string name } ? name : "?");
        foreach (var (key, value) in logEvent.Properties)
        {
            if (key is not "SourceContext" and not "Application")
            {
                line.Append(" => ").Append(key).Append(':').Append(value is ScalarValue { Value: string text } ? text : value.ToString());
            }
        }

        line.Append(' ').Append(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
        if (logEvent.Exception is not null)
        {
            line.Append(' ').Append(logEvent.Exception);
        }

        Lines.Enqueue(line.ToString());
        using var json = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        new CompactJsonFormatter().Format(logEvent, json);
        Json.Enqueue(json.ToString());
    }

    private static string MelLevel(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => nameof(LogLevel.Trace),
        LogEventLevel.Debug => nameof(LogLevel.Debug),
        LogEventLevel.Information => nameof(LogLevel.Information),
        LogEventLevel.Warning => nameof(LogLevel.Warning),
        LogEventLevel.Error => nameof(LogLevel.Error),
        _ => nameof(LogLevel.Critical),
    };
}
