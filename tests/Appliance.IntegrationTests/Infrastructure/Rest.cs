using System.Text.Json;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>One answer: status, body (JSON or nothing) and the ETag header.</summary>
public sealed record Answer(int Status, JsonElement Body, string? ETag, HttpResponseMessage Response)
{
    public Guid Id => Body.GetProperty("id").GetGuid();

    public override string ToString() => $"{Status} {Body}";
}

/// <summary>Requests every API test sends: a JSON body, an If-Match header, and answers read as JSON.</summary>
public static class Rest
{
    /// <summary>Sends <paramref name="method"/> <paramref name="url"/> with an optional body and If-Match (sent as given,
    /// unvalidated, so tests can send malformed tags).</summary>
    public static async Task<HttpResponseMessage> RequestAsync(HttpClient client, HttpMethod method, string url, HttpContent? content = null, string? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }

    public static async Task<Answer> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null, string? ifMatch = null)
    {
        var response = await RequestAsync(client, method, url, json is null ? null : ApiServer.Json(json), ifMatch);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new Answer((int)response.StatusCode, body, response.Headers.ETag?.ToString(), response);
    }

    public static Task<Answer> GetAsync(HttpClient client, string url) => SendAsync(client, HttpMethod.Get, url);

    public static Task<Answer> PostAsync(HttpClient client, string url, string json) => SendAsync(client, HttpMethod.Post, url, json);

    public static Task<Answer> PatchAsync(HttpClient client, string url, string json, string? ifMatch = null) => SendAsync(client, HttpMethod.Patch, url, json, ifMatch);

    public static Task<Answer> DeleteAsync(HttpClient client, string url, string? ifMatch = null) => SendAsync(client, HttpMethod.Delete, url, null, ifMatch);

    /// <summary>A request that must answer <paramref name="status"/>; the message names the request and the answer.</summary>
    public static async Task<Answer> ExpectAsync(HttpClient client, HttpMethod method, string url, int status, string? json = null)
    {
        var answer = await SendAsync(client, method, url, json);
        Assert.True(answer.Status == status, $"{method} {url}: expected {status}, got {answer.Status} {answer.Body}");
        return answer;
    }

    /// <summary>POST that must answer 201.</summary>
    public static Task<Answer> CreateAsync(HttpClient client, string url, string json) => ExpectAsync(client, HttpMethod.Post, url, 201, json);

    /// <summary>GET that must answer 200; returns the body.</summary>
    public static async Task<JsonElement> GetOkAsync(HttpClient client, string url) => (await ExpectAsync(client, HttpMethod.Get, url, 200)).Body;

    /// <summary>A customer created through the API (201 asserted), named uniquely unless given; without
    /// <paramref name="number"/> the server generates the customer number.</summary>
    public static Task<Answer> CreateCustomerAsync(HttpClient client, string? number = null, string? name = null)
    {
        var body = new Dictionary<string, string> { ["name"] = name ?? (number is null ? $"Kunde {Guid.NewGuid():N}" : $"Kunde {number}") };
        if (number is not null)
        {
            body["customer_number"] = number;
        }

        return CreateAsync(client, "/api/v1/customers", JsonSerializer.Serialize(body));
    }

    /// <summary>The audit actions of one entity as <c>GET /audit-log</c> lists them (newest first unless
    /// <paramref name="query"/> sorts otherwise, e.g. <c>&amp;sort=occurred_at&amp;order=asc</c>).</summary>
    public static async Task<List<string?>> AuditActionsAsync(HttpClient client, string entityType, string entityId, string query = "")
    {
        var audit = await GetOkAsync(client, $"/api/v1/audit-log?entity_type={entityType}&entity_id={entityId}{query}");
        return [.. Data(audit).Select(e => e.GetProperty("action").GetString())];
    }

    /// <summary>The <c>data</c> rows of a list answer.</summary>
    public static List<JsonElement> Data(JsonElement body) => [.. body.GetProperty("data").EnumerateArray()];

    /// <summary>A list answer's <c>meta.total</c>.</summary>
    public static long Total(JsonElement body) => body.GetProperty("meta").GetProperty("total").GetInt64();

    /// <summary>The field names of an error's details.</summary>
    public static List<string?> DetailFields(JsonElement error) => [.. error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString())];

    /// <summary>A numeric response header (rate-limit counters).</summary>
    public static long Header(HttpResponseMessage response, string name)
    {
        ArgumentNullException.ThrowIfNull(response);
        return long.Parse(response.Headers.GetValues(name).Single(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
