using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Api;
using Appliance.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Appliance.IntegrationTests.Fuzz;

/// <summary>
/// Every operation of the OpenAPI document gets generated bad input as an anonymous caller, a customer admin of another
/// company and a system admin: NUL and control characters, invalid UTF-8 and lone surrogates, huge and negative numbers,
/// wrong types, numbers as strings, duplicate keys, unknown fields, long strings and bad ids. Each case has exactly one
/// defect, so each must be refused. Pass: no 5xx, every 4xx carries the error envelope, and no table changed.
/// The cases are generated from a seed (printed on failure; <c>APPLIANCE_FUZZ_SEED</c> replays one).
/// </summary>
public sealed class ApiFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(75);

    /// <summary>Rows a refused request may legitimately write: failed sign-ins are audited by design.</summary>
    private static readonly Dictionary<string, string> SecurityBookkeeping = new(StringComparer.Ordinal)
    {
        ["audit_log"] = "WHERE action NOT LIKE 'login.%' AND action NOT LIKE 'mfa.%failed'",
    };

    private ApiServer _api = null!;
    private OpenApiContract _contract = null!;
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private readonly List<(string Name, HttpClient Client)> _callers = [];

    public async Task InitializeAsync()
    {
        // Failed sign-ins are counted per client address in the shared test Redis: the fuzz run's come from its own
        // address (X-Forwarded-For, believed from loopback here), so they never block another test's logins.
        var settings = OpenApiTests.RateLimitsOff;
        settings["Http:TrustedProxies"] = "127.0.0.1";
        _api = await ApiServer.StartAsync(settings);
        _contract = await OpenApiContract.LoadAsync(_api);
        await SeedAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Bad_input_on_every_route_is_refused_with_the_envelope_and_writes_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("APPLIANCE_FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        var random = new Random(seed);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var before = await SnapshotAsync();
        foreach (var operation in _contract.Operations)
        {
            var cases = CasesFor(operation, random).ToList();
            foreach (var (callerName, client) in _callers)
            {
                // Anonymous callers are refused before any input is read (except on anonymous routes): a few cases show it.
                var mine = callerName == "anonymous" && operation.Operation.TryGetProperty("security", out _) ? cases.Take(3) : cases;
                foreach (var fuzz in mine)
                {
                    if (clock.Elapsed > Budget)
                    {
                        break;
                    }

                    sent++;
                    var problem = await SendAsync(client, fuzz);
                    if (problem is not null)
                    {
                        failures.Add($"{callerName} {operation.Id} [{fuzz.Name}] {fuzz.Method} {Shorten(fuzz.Url)}: {problem}");
                    }
                }
            }

            var after = await SnapshotAsync();
            foreach (var table in after.Keys.Where(t => before.GetValueOrDefault(t) != after[t]))
            {
                failures.Add($"{operation.Id}: table {table} changed ({before.GetValueOrDefault(table)} -> {after[table]})");
            }

            before = after;
        }

        output.WriteLine($"seed {seed}: {sent} requests over {_contract.Operations.Count} operations in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(clock.Elapsed <= Budget + TimeSpan.FromSeconds(15), $"seed {seed}: the run took {clock.Elapsed}");
        Assert.True(failures.Count == 0, $"seed {seed} (APPLIANCE_FUZZ_SEED={seed} replays it), {failures.Count} failures of {sent} requests:\n{string.Join('\n', failures.Take(400))}");
    }

    private sealed record FuzzCase(string Name, string Method, string Url, HttpContent? Body, string? IfMatch = null, bool ExpectContinue = false);

    private IEnumerable<FuzzCase> CasesFor(ContractOperation operation, Random random)
    {
        var path = FillPath(operation.Path, _ids);
        var query = operation.Parameters("query").ToList();
        var hasIds = operation.Parameters("path").Any();

        // Bad ids: not a UUID (no route: 404/405), the UUID of nothing, a NUL, a number out of range.
        if (hasIds)
        {
            foreach (var (name, bad) in new[] { ("non-uuid", "not-a-uuid"), ("nul-id", "%00"), ("huge-number", "99999999999999999999"), ("negative-number", "-1") })
            {
                yield return new FuzzCase(name, operation.Method, ReplaceIds(operation.Path, bad), operation.HasBody ? Json(ValidBody(operation)?.ToJsonString() ?? "{}") : null);
            }

            yield return new FuzzCase("uuid-of-nothing", operation.Method, FillPath(operation.Path, []), operation.HasBody ? Json("{}") : null);
        }

        if (operation.Method == "GET")
        {
            yield return new FuzzCase("unknown-parameter", "GET", path + "?zz_unknown=1", null);
            foreach (var parameter in query)
            {
                var name = parameter.GetProperty("name").GetString()!;
                foreach (var (label, value) in BadQueryValues(random))
                {
                    yield return new FuzzCase($"query {name}={label}", "GET", $"{path}?{name}={value}", null);
                }

                var sample = Uri.EscapeDataString(OpenApiTests.SampleValue(parameter) ?? "x");
                yield return new FuzzCase($"query {name} twice", "GET", $"{path}?{name}={sample}&{name}={sample}", null);
            }

            yield break;
        }

        if (!operation.HasBody)
        {
            // A write without a body has nothing to fuzz but its ids and If-Match; a well-formed call on a real id would write.
            if (operation.Parameters("header").Any(p => p.GetProperty("name").GetString() == "If-Match"))
            {
                yield return new FuzzCase("malformed If-Match", operation.Method, path, null, "W/\"x, \"unterminated");
            }

            yield break;
        }

        var baseBody = ValidBody(operation) ?? [];
        var properties = _contract.BodyProperties(operation);
        yield return new FuzzCase("invalid JSON", operation.Method, path, Json("{\"a\":"));
        yield return new FuzzCase("empty body", operation.Method, path, Json(string.Empty));
        yield return new FuzzCase("JSON null", operation.Method, path, Json("null"));
        yield return new FuzzCase("JSON array", operation.Method, path, Json("[]"));
        yield return new FuzzCase("text/plain", operation.Method, path, new StringContent(baseBody.ToJsonString(), Encoding.UTF8, "text/plain"));
        yield return new FuzzCase("unknown field", operation.Method, path, Json(With(baseBody, "zz_unknown", 1).ToJsonString()));
        // Expect: 100-continue lets the server refuse before the body is sent; without it the client's write may
        // break on the closed connection before it reads the 413.
        yield return new FuzzCase("over the size limit", operation.Method, path, Json(With(baseBody, properties.FirstOrDefault().Name ?? "x", new string('a', 1_100_000)).ToJsonString()), ExpectContinue: true);
        if (baseBody.Count > 0)
        {
            var first = baseBody.First();
            var text = baseBody.ToJsonString();
            var duplicate = string.Concat(text.AsSpan(0, text.Length - 1), $",\"{first.Key}\":{first.Value?.ToJsonString() ?? "null"}}}");
            yield return new FuzzCase($"duplicate key {first.Key}", operation.Method, path, Json(duplicate));
        }

        foreach (var (name, schema) in properties)
        {
            var type = OpenApiContract.TypeOf(schema);
            foreach (var (label, value) in WrongTypes(type))
            {
                yield return new FuzzCase($"{name}: {label}", operation.Method, path, Json(With(baseBody, name, value).ToJsonString()));
            }

            if (type == "string")
            {
                yield return new FuzzCase($"{name}: NUL", operation.Method, path, Json(With(baseBody, name, "a\u0000b").ToJsonString()));
                yield return new FuzzCase($"{name}: lone surrogate", operation.Method, path, Json(Replace(With(baseBody, name, "@@").ToJsonString(), "\"@@\"", "\"\\ud800x\"")));
                yield return new FuzzCase($"{name}: invalid UTF-8", operation.Method, path, Utf8Bytes(With(baseBody, name, "@@").ToJsonString(), "@@", [0xC3, 0x28, 0xFF]));
                yield return new FuzzCase($"{name}: 300,000 characters", operation.Method, path, Json(With(baseBody, name, new string('x', 300_000)).ToJsonString()));
                if (schema.TryGetProperty("enum", out _) || schema.TryGetProperty("format", out _))
                {
                    yield return new FuzzCase($"{name}: control characters", operation.Method, path, Json(With(baseBody, name, "\u0001\u001b[31m\u007f").ToJsonString()));
                }
            }
            else if (type is "integer" or "number")
            {
                foreach (var huge in new[] { "1e400", "99999999999999999999", "-99999999999999999999", "-2147483649", "1.5e300" })
                {
                    yield return new FuzzCase($"{name}: {huge}", operation.Method, path, Json(Replace(With(baseBody, name, "@@").ToJsonString(), "\"@@\"", huge)));
                }

                yield return new FuzzCase($"{name}: number as string", operation.Method, path, Json(With(baseBody, name, "5").ToJsonString()));
            }
        }
    }

    private static IEnumerable<(string Label, string Value)> BadQueryValues(Random random)
    {
        yield return ("NUL", "a%00b");
        yield return ("control characters", "%01%1B%7F");
        yield return ("invalid UTF-8", "%C3%28%FF%FE");
        yield return ("5000 characters", new string('q', 5000));
        yield return ("huge number", "99999999999999999999");
        yield return ("negative", "-" + random.Next(1, int.MaxValue).ToString(CultureInfo.InvariantCulture));
        yield return ("wrong type", "not-a-" + random.Next(100).ToString(CultureInfo.InvariantCulture));
        yield return ("empty list", ",,,");
    }

    private static IEnumerable<(string Label, JsonNode? Value)> WrongTypes(string? type)
    {
        if (type != "object")
        {
            yield return ("object instead", new JsonObject { ["a"] = 1 });
        }

        if (type is "string")
        {
            yield return ("number instead", 12345);
            yield return ("boolean instead", true);
        }

        if (type is "integer" or "number" or "boolean")
        {
            yield return ("string instead", "abc");
        }

        if (type is "boolean")
        {
            yield return ("boolean as string", "true");
        }

        if (type is "array")
        {
            yield return ("string instead", "a,b");
            yield return ("array of objects", new JsonArray(new JsonObject()));
        }
    }

    /// <summary>A body the operation would accept, so a case's one defect is what gets it refused.</summary>
    private JsonObject? ValidBody(ContractOperation operation)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        return operation.Id switch
        {
            "CreateCustomer" => new JsonObject { ["name"] = $"Fuzz {unique}", ["language"] = "en" },
            "UpdateCustomer" => new JsonObject { ["name"] = $"Fuzz renamed {unique}" },
            "CreateTicket" => new JsonObject { ["title"] = "Fuzz ticket", ["description"] = "Something broke in the office", ["customer_id"] = _ids["customer"], ["priority"] = "low" },
            "UpdateTicket" => new JsonObject { ["title"] = "Fuzz title", ["priority"] = "high" },
            "Login" => new JsonObject { ["email"] = $"nobody-{unique}@example.com", ["password"] = "wrong-password-123" },
            "CreateContact" => new JsonObject { ["first_name"] = "Fritz", ["last_name"] = $"Fuzz {unique}", ["email"] = $"c-{unique}@example.com" },
            "UpdateContact" => new JsonObject { ["first_name"] = "Franz", ["notes"] = "Renamed" },
            "CreateSite" => new JsonObject { ["name"] = $"Site {unique}", ["city"] = "Berlin", ["country"] = "DE" },
            "UpdateSite" => new JsonObject { ["name"] = $"Site renamed {unique}", ["notes"] = "Moved" },
            "CreateTimeEntry" => new JsonObject { ["work_date"] = "2026-11-30", ["minutes"] = 30, ["work_type"] = "remote", ["billable"] = true, ["note"] = "Fuzz work" },
            "UpdateTimeEntry" => new JsonObject { ["minutes"] = 45, ["note"] = "More fuzz work" },
            "CreateApiKey" => new JsonObject { ["name"] = $"Fuzz key {unique}", ["permissions"] = new JsonArray("ticket:view:all") },
            "CreateUser" => new JsonObject { ["email"] = $"u-{unique}@example.com", ["display_name"] = "Fuzz User", ["role"] = Roles.TechnicianL1, ["password"] = ApiServer.DefaultPassword },
            "UpdateUser" => new JsonObject { ["display_name"] = "Fuzz Admin", ["language"] = "en" },
            _ => Sample(operation),
        };
    }

    /// <summary>A body from the schema: a plausible value of each property's type.</summary>
    private JsonObject Sample(ContractOperation operation)
    {
        var body = new JsonObject();
        foreach (var (name, schema) in _contract.BodyProperties(operation))
        {
            body[name] = OpenApiContract.TypeOf(schema) switch
            {
                "string" when schema.TryGetProperty("enum", out var values) => values[0].GetString(),
                "string" when schema.TryGetProperty("format", out var format) && format.GetString() == "uuid" => _ids.GetValueOrDefault(name.Replace("_id", string.Empty, StringComparison.Ordinal), Guid.NewGuid().ToString()),
                "string" when schema.TryGetProperty("format", out var format) && format.GetString() == "date-time" => "2026-11-30T10:00:00Z",
                "string" when schema.TryGetProperty("format", out var format) && format.GetString() == "date" => "2026-11-30",
                "string" => "fuzz",
                "integer" or "number" => 1,
                "boolean" => true,
                "array" => new JsonArray(),
                _ => null,
            };
        }

        return body;
    }

    private static async Task<string?> SendAsync(HttpClient client, FuzzCase fuzz)
    {
        using var request = new HttpRequestMessage(new HttpMethod(fuzz.Method), fuzz.Url) { Content = fuzz.Body is null ? null : await CloneAsync(fuzz.Body) };
        request.Headers.ExpectContinue = fuzz.ExpectContinue;
        if (fuzz.IfMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", fuzz.IfMatch);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException exception)
        {
            return $"no answer: {exception.Message}";
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            if (status >= 500)
            {
                return $"{status} {Shorten(body)}";
            }

            if (status is >= 200 and < 300 && fuzz.Method != "GET" && fuzz.Url.Contains("/auth/", StringComparison.Ordinal) is false)
            {
                return $"{status}: bad input was accepted {Shorten(body)}";
            }

            // Kestrel refuses a NUL in the path before any middleware runs, with an empty 400 (docs/api/errors.md).
            var nulInPath = fuzz.Url.Split('?')[0].Contains("%00", StringComparison.Ordinal);
            if (status == 400 && nulInPath && body.Length == 0)
            {
                return null;
            }

            if (status >= 400 && !IsEnvelope(body))
            {
                return $"{status} without the error envelope: {Shorten(body)}";
            }

            return null;
        }
    }

    private static bool IsEnvelope(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error)
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                && error.TryGetProperty("message", out _)
                && error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array
                && error.TryGetProperty("request_id", out _)
                && error.TryGetProperty("timestamp", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A digest of every table's rows: any insert, update or delete changes it.</summary>
    private async Task<Dictionary<string, string>> SnapshotAsync()
    {
        var db = _api.Database!.DataSource;
        var tables = new List<string>();
        await using (var list = db.CreateCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var sql = string.Join(" UNION ALL ", tables.Select(t =>
            $"SELECT '{t}', count(*)::text || ':' || coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') FROM \"{t}\" x {SecurityBookkeeping.GetValueOrDefault(t)}"));
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = db.CreateCommand(sql);
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            digests[rows.GetString(0)] = rows.GetString(1);
        }

        return digests;
    }

    private async Task SeedAsync()
    {
        var admin = _api.Client;
        var unique = Guid.NewGuid().ToString("N")[..8];
        _ids["customer"] = await CreateAsync(admin, "/api/v1/customers", new JsonObject { ["name"] = $"Fuzz seed {unique}" });
        var other = await CreateAsync(admin, "/api/v1/customers", new JsonObject { ["name"] = $"Fuzz other {unique}" });
        _ids["ticket"] = await CreateAsync(admin, "/api/v1/tickets", new JsonObject { ["title"] = "Seed ticket", ["description"] = "The seeded ticket of the fuzz run", ["customer_id"] = _ids["customer"] });
        var db = _api.Database!.DataSource;
        _ids["contact"] = await db.ScalarAsync<string>("INSERT INTO contacts (customer_id, first_name, last_name, email) VALUES (@c::uuid, 'Sea', 'Seed', 'contact@example.com') RETURNING id::text", ("c", _ids["customer"]));
        _ids["site"] = await db.ScalarAsync<string>("INSERT INTO sites (customer_id, name) VALUES (@c::uuid, 'Seed site') RETURNING id::text", ("c", _ids["customer"]));
        _ids["comment"] = await db.ScalarAsync<string>("INSERT INTO ticket_comments (ticket_id, body, is_internal) VALUES (@c::uuid, 'Seed comment', false) RETURNING id::text", ("c", _ids["ticket"]));
        _ids["time-entry"] = await db.ScalarAsync<string>("INSERT INTO time_entries (ticket_id, user_id, minutes, work_date, work_type, note) SELECT @c::uuid, id, 30, current_date, 'remote', 'Seed work' FROM users LIMIT 1 RETURNING id::text", ("c", _ids["ticket"]));
        _ids["sla-policy"] = await db.ScalarAsync<string>("SELECT id::text FROM sla_policies ORDER BY is_default DESC LIMIT 1", ("c", string.Empty));
        _ids["user"] = _api.AdminId.ToString();
        _ids["ticket-number"] = await db.ScalarAsync<string>("SELECT ticket_number::text FROM tickets WHERE id = @c::uuid", ("c", _ids["ticket"]));
        _ids["api-key"] = await db.ScalarAsync<string>("SELECT coalesce((SELECT id::text FROM api_keys LIMIT 1), gen_random_uuid()::text)", ("c", string.Empty));
        var customerAdmin = await _api.CreateUserAsync(Roles.CustomerAdmin, Guid.Parse(other));
        var address = ApiServer.UniqueIp();
        foreach (var client in new[] { _api.Anonymous, _api.Client })
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        }

        var customerClient = _api.ClientFor(customerAdmin);
        customerClient.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        _callers.Add(("anonymous", _api.Anonymous));
        _callers.Add(("customer_admin", customerClient));
        _callers.Add(("system_admin", admin));
    }

    private static async Task<string> CreateAsync(HttpClient client, string path, JsonObject body) =>
        (await Rest.CreateAsync(client, path, body.ToJsonString())).Id.ToString();

    /// <summary>The path with the seeded record for each id (the resource named before it), or random UUIDs when <paramref name="ids"/> is empty.</summary>
    private static string FillPath(string path, Dictionary<string, string> ids)
    {
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (!segments[i].StartsWith('{'))
            {
                continue;
            }

            var key = segments[i] switch
            {
                "{customerId}" => "customer",
                "{ticketId}" => "ticket",
                "{userId}" => "user",
                "{number}" => "ticket-number",
                _ => segments[i - 1].TrimEnd('s') switch
                {
                    "customer" => "customer",
                    "ticket" => "ticket",
                    "contact" => "contact",
                    "site" => "site",
                    "comment" => "comment",
                    "time-entrie" => "time-entry",
                    "user" => "user",
                    "sla-policie" => "sla-policy",
                    "api-key" => "api-key",
                    var other => other,
                },
            };
            segments[i] = ids.TryGetValue(key, out var id) ? id : key == "ticket-number" ? "999999999" : Guid.NewGuid().ToString();
        }

        return string.Join('/', segments);
    }

    private static string ReplaceIds(string path, string value) =>
        string.Join('/', path.Split('/').Select(s => s.StartsWith('{') ? value : s));

    private static JsonObject With(JsonObject body, string name, JsonNode? value)
    {
        var copy = (JsonObject)body.DeepClone();
        copy[name] = value?.DeepClone();
        return copy;
    }

    private static string Replace(string text, string marker, string with) => text.Replace(marker, with, StringComparison.Ordinal);

    private static ByteArrayContent Utf8Bytes(string json, string marker, byte[] bytes)
    {
        var at = json.IndexOf(marker, StringComparison.Ordinal);
        var content = new ByteArrayContent([.. Encoding.UTF8.GetBytes(json[..at]), .. bytes, .. Encoding.UTF8.GetBytes(json[(at + marker.Length)..])]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static StringContent Json(string text) => ApiServer.Json(text);

    /// <summary>A fresh copy per send: each case goes to every caller, and a sent request disposes its content.</summary>
    private static async Task<HttpContent> CloneAsync(HttpContent content)
    {
        var bytes = await content.ReadAsByteArrayAsync();
        var copy = new ByteArrayContent(bytes);
        foreach (var header in content.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return copy;
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
