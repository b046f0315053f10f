using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.Api.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Appliance.IntegrationTests.Api;

/// <summary>The OpenAPI document describes every mapped route as it behaves, so a typed client can be generated from it.</summary>
public sealed class OpenApiTests : IAsyncLifetime
{
    private static readonly int[] ErrorStatuses = [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503];

    private ApiServer _api = null!;
    private OpenApiContract _contract = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiServer.StartAsync(RateLimitsOff);
        _contract = await OpenApiContract.LoadAsync(_api);
        if (Environment.GetEnvironmentVariable("APPLIANCE_OPENAPI_DUMP") is { Length: > 0 } dump)
        {
            await File.WriteAllTextAsync(dump, _contract.Text);
        }
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    /// <summary>Settings that keep the rate limits out of the way of tests that send many requests.</summary>
    public static Dictionary<string, string?> RateLimitsOff => new()
    {
        ["RateLimit:PerUserPerMinute"] = "1000000",
        ["RateLimit:PerIpPerMinute"] = "1000000",
    };

    [Fact]
    public void Every_mapped_endpoint_is_described_with_parameters_body_responses_and_security()
    {
        var document = _contract.Document;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths");
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("http", schemes.GetProperty("bearer").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("apiKey", schemes.GetProperty("apiKey").GetProperty("type").GetString());
        Assert.Equal(ApplianceAuthentication.ApiKeyHeader, schemes.GetProperty("apiKey").GetProperty("name").GetString());

        var endpoints = MappedEndpoints(_api);
        Assert.True(endpoints.Count >= 60, $"only {endpoints.Count} endpoints mapped");
        var problems = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var path = DocumentPath(endpoint.RoutePattern);
            // OpenAPI allows one path per shape: /tickets/{number} is described under /tickets/{id} (UUID or number).
            path = paths.EnumerateObject().Select(p => p.Name).FirstOrDefault(p => Shape(p) == Shape(path)) ?? path;
            if (!paths.TryGetProperty(path, out var item))
            {
                problems.Add($"document lacks {path}");
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                var where = $"{method} {path}";
                if (!item.TryGetProperty(method.ToLowerInvariant(), out var json))
                {
                    problems.Add($"document lacks {where}");
                    continue;
                }

                var operation = new ContractOperation(method, path, json);
                if (!json.TryGetProperty("operationId", out _))
                {
                    problems.Add($"{where}: no operationId");
                }

                var pathNames = operation.Parameters("path").Select(p => p.GetProperty("name").GetString()).ToList();
                var templateNames = Regex.Matches(path, "{([^}]+)}").Select(m => m.Groups[1].Value).ToList();
                if (!pathNames.Order(StringComparer.Ordinal).SequenceEqual(templateNames.Order(StringComparer.Ordinal)) || templateNames.Count != endpoint.RoutePattern.Parameters.Count)
                {
                    problems.Add($"{where}: path parameters {string.Join(",", pathNames)}, route has {string.Join(",", endpoint.RoutePattern.Parameters.Select(p => p.Name))}");
                }

                var readsBody = endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not null;
                if (readsBody != operation.HasBody)
                {
                    problems.Add($"{where}: reads a body: {readsBody}, documents one: {operation.HasBody}");
                }
                else if (readsBody && !json.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _))
                {
                    problems.Add($"{where}: the body is not described as application/json");
                }

                problems.AddRange(ResponseProblems(where, json, readsBody));
                problems.AddRange(SecurityProblems(where, json, endpoint.Metadata));
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_document_reads_without_errors_and_every_reference_resolves()
    {
        var result = OpenApiDocument.Parse(_contract.Text, OpenApiConstants.Json, new OpenApiReaderSettings());
        var errors = result.Diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}").ToList() ?? [];
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        Assert.NotNull(result.Document);
        var schemas = _contract.Document.GetProperty("components").GetProperty("schemas");
        foreach (var reference in References(_contract.Document))
        {
            Assert.StartsWith("#/components/schemas/", reference, StringComparison.Ordinal);
            Assert.True(schemas.TryGetProperty(reference.Split('/')[^1], out _), $"{reference} does not resolve");
        }
    }

    /// <summary>Each GET names what it accepts when given an unknown parameter; that list is what the document says.</summary>
    [Fact]
    public async Task Documented_query_parameters_are_exactly_the_ones_the_endpoints_accept()
    {
        var problems = new List<string>();
        foreach (var operation in _contract.Operations.Where(o => o.Method == "GET"))
        {
            var url = FillPath(operation.Path) + "?zz_not_a_parameter=1";
            using var response = await _api.Client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            var documented = operation.QueryNames.Order(StringComparer.Ordinal).ToList();
            var allowed = AllowedFrom(body);
            if (allowed is null)
            {
                // Endpoints that take no query parameters need not reject one; they must not document any either.
                if (documented.Count > 0)
                {
                    problems.Add($"{operation}: documents {string.Join(",", documented)} but did not reject an unknown parameter ({(int)response.StatusCode} {body})");
                }

                continue;
            }

            if (!allowed.SequenceEqual(documented))
            {
                problems.Add($"{operation}: accepts {string.Join(",", allowed)}; documents {string.Join(",", documented)}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>A value of the documented type for every documented query parameter at once is accepted (no 400).</summary>
    [Fact]
    public async Task Values_of_the_documented_types_are_accepted()
    {
        var customer = await CreateAsync("/api/v1/customers", """{"name":"OpenAPI GmbH"}""");
        var problems = new List<string>();
        foreach (var operation in _contract.Operations.Where(o => o.Method == "GET" && o.QueryNames.Count > 0))
        {
            var query = string.Join('&', operation.Parameters("query").Where(p => SampleValue(p) is not null).Select(p => $"{p.GetProperty("name").GetString()}={Uri.EscapeDataString(SampleValue(p)!)}"));
            var url = FillPath(operation.Path.Replace("{customerId}", customer.ToString(), StringComparison.Ordinal)) + "?" + query;
            using var response = await _api.Client.GetAsync(url);
            if ((int)response.StatusCode == 400)
            {
                problems.Add($"{operation}: {url} answered 400 {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>The web UI generates its client with openapi-typescript (pinned in tests/openapi/package-lock.json).</summary>
    [Fact]
    public async Task Openapi_typescript_generates_types_from_the_document()
    {
        var directory = Path.Combine(RepositoryRoot(), "tests", "openapi");
        var generator = Path.Combine(directory, "node_modules", ".bin", "openapi-typescript");
        if (!File.Exists(generator))
        {
            var install = await RunAsync("npm", "ci --no-audit --no-fund --loglevel=error", directory);
            Assert.True(install.ExitCode == 0, $"npm ci failed ({install.ExitCode}): {install.Output}");
        }

        var work = Directory.CreateTempSubdirectory("openapi-ts-").FullName;
        try
        {
            var input = Path.Combine(work, "openapi.json");
            var output = Path.Combine(work, "api.d.ts");
            await File.WriteAllTextAsync(input, _contract.Text);
            var run = await RunAsync(generator, $"{input} -o {output}", directory);
            Assert.True(run.ExitCode == 0, $"openapi-typescript failed ({run.ExitCode}): {run.Output}");
            var types = await File.ReadAllTextAsync(output);
            Assert.Contains("\"/api/v1/tickets\"", types, StringComparison.Ordinal);
            Assert.Contains("ErrorEnvelope", types, StringComparison.Ordinal);
            Assert.Contains("customer_id?:", types, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    public static List<RouteEndpoint> MappedEndpoints(ApiServer api)
    {
        ArgumentNullException.ThrowIfNull(api);
        return [.. api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null)
            .Where(e => e.RoutePattern.RawText != "/api/{documentName}/openapi.json")];
    }

    private static string Shape(string path) => Regex.Replace(path, "{[^}]+}", "{}");

    public static string DocumentPath(RoutePattern pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            _ => string.Empty,
        }))));
    }

    private static IEnumerable<string> ResponseProblems(string where, JsonElement operation, bool readsBody)
    {
        if (!operation.TryGetProperty("responses", out var responses))
        {
            yield return $"{where}: no responses";
            yield break;
        }

        var statuses = responses.EnumerateObject().ToDictionary(r => r.Name, r => r.Value);
        var successes = statuses.Keys.Where(s => s.StartsWith('2')).ToList();
        if (successes.Count == 0)
        {
            yield return $"{where}: no success response";
        }

        foreach (var status in successes.Where(s => s != "204"))
        {
            if (!statuses[status].TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var media) || !media.TryGetProperty("schema", out _))
            {
                yield return $"{where}: {status} has no application/json schema";
            }
        }

        foreach (var (status, response) in statuses.Where(s => s.Key.StartsWith('4') || s.Key.StartsWith('5')))
        {
            if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var media)
                || !media.TryGetProperty("schema", out var schema) || !schema.TryGetProperty("$ref", out var reference)
                || reference.GetString() != "#/components/schemas/ErrorEnvelope")
            {
                if (!(where.EndsWith("/ready", StringComparison.Ordinal) && status == "503"))
                {
                    yield return $"{where}: {status} is not the error envelope";
                }
            }
        }

        foreach (var status in successes.Where(s => s != "204"))
        {
            var schema = statuses[status].GetProperty("content").GetProperty("application/json").GetProperty("schema");
            if (schema.TryGetProperty("$ref", out var reference) && reference.GetString()!.Contains("Shaped", StringComparison.Ordinal))
            {
                yield return $"{where}: {status} names the shaped type, not the resource";
            }
        }

        var expected = new List<int> { 503 };
        if (readsBody)
        {
            expected.AddRange([400, 413, 415, 422]);
        }

        foreach (var status in expected.Where(s => !statuses.ContainsKey(s.ToString(System.Globalization.CultureInfo.InvariantCulture))))
        {
            if (!where.EndsWith(" /health", StringComparison.Ordinal))
            {
                yield return $"{where}: {status} is not documented";
            }
        }

        foreach (var status in statuses.Keys.Where(s => s[0] is '4' or '5'))
        {
            if (!ErrorStatuses.Contains(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture)))
            {
                yield return $"{where}: unexpected error status {status}";
            }
        }
    }

    private static IEnumerable<string> SecurityProblems(string where, JsonElement operation, EndpointMetadataCollection metadata)
    {
        var anonymous = metadata.GetMetadata<IAllowAnonymous>() is not null;
        var schemes = operation.TryGetProperty("security", out var security)
            ? security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(s => s.Name)).Order(StringComparer.Ordinal).ToList()
            : [];
        var responses = operation.GetProperty("responses");
        if (anonymous)
        {
            if (schemes.Count > 0)
            {
                yield return $"{where}: anonymous, yet documents security {string.Join(",", schemes)}";
            }

            yield break;
        }

        // RequireUserSession() attaches the user-session policy: API keys cannot call those endpoints.
        var userSessionOnly = metadata.GetOrderedMetadata<AuthorizationPolicy>().SelectMany(p => p.Requirements).OfType<UserSessionRequirement>().Any();
        List<string> expected = userSessionOnly ? ["bearer"] : ["apiKey", "bearer"];
        if (!schemes.SequenceEqual(expected))
        {
            yield return $"{where}: security {string.Join(",", schemes)}, expected {string.Join(",", expected)}";
        }

        if (!responses.TryGetProperty("401", out _) || !responses.TryGetProperty("403", out _))
        {
            yield return $"{where}: needs credentials but documents no 401/403";
        }
    }

    private static IEnumerable<string> References(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "$ref" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }
                    else
                    {
                        foreach (var reference in References(property.Value))
                        {
                            yield return reference;
                        }
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var reference in element.EnumerateArray().SelectMany(References))
                {
                    yield return reference;
                }

                break;
        }
    }

    /// <summary>The names listed in a 400's "Unknown query parameter; allowed: a, b" detail, sorted; null when there is none.</summary>
    private static List<string>? AllowedFrom(string body)
    {
        const string Marker = "allowed: ";
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("error", out var error))
            {
                return null;
            }

            foreach (var detail in error.GetProperty("details").EnumerateArray())
            {
                var message = detail.GetProperty("message").GetString() ?? string.Empty;
                if (detail.GetProperty("field").GetString() == "zz_not_a_parameter" && message.IndexOf(Marker, StringComparison.Ordinal) is var at and >= 0)
                {
                    return [.. message[(at + Marker.Length)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string FillPath(string path) => path
        .Replace("{number}", "1", StringComparison.Ordinal)
        .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{customerId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{ticketId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{userId}", Guid.NewGuid().ToString(), StringComparison.Ordinal);

    /// <summary>A valid value for a query parameter, from its schema alone; null when it takes none (include on a resource that embeds nothing).</summary>
    public static string? SampleValue(JsonElement parameter)
    {
        var schema = parameter.GetProperty("schema");
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            schema = anyOf[0];
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            return values[0].GetString()!;
        }

        if (schema.TryGetProperty("pattern", out var pattern))
        {
            // sort: the first alternative of ^[-+]?(a|b)...; order: asc.
            var text = pattern.GetString()!;
            return text.Contains("asc", StringComparison.Ordinal) ? "asc" : text[(text.IndexOf('(', StringComparison.Ordinal) + 1)..].Split('|', ')')[0];
        }

        return OpenApiContract.TypeOf(schema) switch
        {
            "array" => schema.GetProperty("items").TryGetProperty("enum", out var items) ? items[0].GetString() : null,
            "integer" => "1",
            "boolean" => "true",
            _ when schema.TryGetProperty("format", out var format) => format.GetString() switch
            {
                "uuid" => Guid.NewGuid().ToString(),
                "date" => "2026-01-31",
                "date-time" => "2026-01-31T10:00:00Z",
                _ => "a",
            },
            _ => parameter.GetProperty("name").GetString() == "country" ? "DE" : "abc",
        };
    }

    private async Task<Guid> CreateAsync(string path, string json) => (await Rest.CreateAsync(_api.Client, path, json)).Id;

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Appliance.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string directory)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception missing)
        {
            throw new InvalidOperationException($"{file} is missing: install the Debian packages nodejs and npm (.ci/run installs them)", missing);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output + await error);
        }
    }
}
