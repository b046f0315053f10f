using System.Text.Json;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

/// <summary>One operation of the served OpenAPI document.</summary>
public sealed record ContractOperation(string Method, string Path, JsonElement Operation)
{
    public string Id => Operation.GetProperty("operationId").GetString()!;

    public IEnumerable<JsonElement> Parameters(string location) =>
        Operation.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == location)
            : [];

    public List<string> QueryNames => [.. Parameters("query").Select(p => p.GetProperty("name").GetString()!)];

    public bool HasBody => Operation.TryGetProperty("requestBody", out _);

    public override string ToString() => $"{Method} {Path} ({Id})";
}

/// <summary>The served OpenAPI document, read the way a client generator reads it.</summary>
public sealed class OpenApiContract
{
    private OpenApiContract(string text)
    {
        Text = text;
        Document = JsonDocument.Parse(text).RootElement.Clone();
        var operations = new List<ContractOperation>();
        foreach (var path in Document.GetProperty("paths").EnumerateObject())
        {
            foreach (var item in path.Value.EnumerateObject().Where(i => i.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                operations.Add(new ContractOperation(item.Name.ToUpperInvariant(), path.Name, item.Value));
            }
        }

        Operations = operations;
    }

    public string Text { get; }

    public JsonElement Document { get; }

    public IReadOnlyList<ContractOperation> Operations { get; }

    public static async Task<OpenApiContract> LoadAsync(ApiServer api)
    {
        ArgumentNullException.ThrowIfNull(api);
        using var response = await api.Anonymous.GetAsync("/api/v1/openapi.json");
        Assert.Equal(200, (int)response.StatusCode);
        return new OpenApiContract(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Follows a <c>$ref</c> to its component schema.</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            schema = Document.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }

        return schema;
    }

    /// <summary>The JSON schema type of <paramref name="schema"/> ("string", "integer", ...), ignoring "null".</summary>
    public static string? TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return null;
        }

        return type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null")
            : type.GetString();
    }

    /// <summary>The request body's schema with its properties (name, schema), resolved.</summary>
    public List<(string Name, JsonElement Schema)> BodyProperties(ContractOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (!operation.Operation.TryGetProperty("requestBody", out var body)
            || !body.GetProperty("content").TryGetProperty("application/json", out var media)
            || !media.TryGetProperty("schema", out var schema))
        {
            return [];
        }

        schema = Resolve(schema);
        return schema.TryGetProperty("properties", out var properties)
            ? [.. properties.EnumerateObject().Select(p => (p.Name, Resolve(p.Value)))]
            : [];
    }
}
