using System.Text.Json;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Crm;

/// <summary>One answer: status, body (JSON or nothing) and the ETag header.</summary>
public sealed record Answer(int Status, JsonElement Body, string? ETag, HttpResponseMessage Response)
{
    public Guid Id => Body.GetProperty("id").GetGuid();

    public override string ToString() => $"{Status} {Body}";
}

/// <summary>Shared moves of the CRM tests: requests with bodies and If-Match, and counts straight from PostgreSQL.</summary>
public static class Crm
{
    public static async Task<Answer> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null, string? ifMatch = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = ApiServer.Json(json);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new Answer((int)response.StatusCode, body, response.Headers.ETag?.ToString(), response);
    }

    public static Task<Answer> GetAsync(HttpClient client, string url) => SendAsync(client, HttpMethod.Get, url);

    public static Task<Answer> PostAsync(HttpClient client, string url, string json) => SendAsync(client, HttpMethod.Post, url, json);

    public static Task<Answer> PatchAsync(HttpClient client, string url, string json, string? ifMatch = null) => SendAsync(client, HttpMethod.Patch, url, json, ifMatch);

    public static Task<Answer> DeleteAsync(HttpClient client, string url, string? ifMatch = null) => SendAsync(client, HttpMethod.Delete, url, null, ifMatch);

    /// <summary>POST that must answer 201.</summary>
    public static async Task<Answer> CreateAsync(HttpClient client, string url, string json)
    {
        var answer = await PostAsync(client, url, json);
        Assert.True(answer.Status == 201, $"POST {url}: {answer.Status} {answer.Body}");
        return answer;
    }

    public static async Task<long> CountAsync(ApiServer api, string sql, params (string Name, object Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(api);
        await using var command = api.Database!.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Rows in the tables every mutation writes to: nothing written means none of these moved.</summary>
    public static async Task<(long Customers, long Contacts, long Sites, long Audit, long Outbox, long Versions)> FootprintAsync(ApiServer api) =>
        (await CountAsync(api, "SELECT count(*) FROM customers WHERE deleted_at IS NULL"),
         await CountAsync(api, "SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
         await CountAsync(api, "SELECT count(*) FROM sites WHERE deleted_at IS NULL"),
         await CountAsync(api, "SELECT count(*) FROM audit_log"),
         await CountAsync(api, "SELECT count(*) FROM outbox_events"),
         await CountAsync(api, "SELECT coalesce(sum(version), 0)::bigint FROM (SELECT version FROM customers UNION ALL SELECT version FROM contacts UNION ALL SELECT version FROM sites) v"));

    /// <summary>The field names of an error's details.</summary>
    public static List<string?> DetailFields(JsonElement error) => [.. error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString())];
}
