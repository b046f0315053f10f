using System.Net.Http.Headers;
using System.Text;
using Appliance.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace Appliance.IntegrationTests.Api;

/// <summary>Every malformed input gets the seed's envelope with the right status and code, and writes nothing.</summary>
public sealed class ErrorEnvelopeTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() =>
        _api = await ApiServer.StartAsync(
            new() { ["Http:MaxRequestBodyBytes"] = "4096" },
            app =>
            {
                app.MapGet("/api/v1/test/boom", string () => throw new InvalidOperationException("secret internal detail at Foo.Bar()"));
                app.MapGet("/api/v1/test/sql", string () => throw new PostgresException("relation \"x\" does not exist", "ERROR", "ERROR", "42P01"));
            });

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData("{\"name\":", "name")]
    [InlineData("{\"name\": \"Acme\", }", "body")]
    [InlineData("not json at all", "body")]
    [InlineData("[1,2,3]", "body")]
    public async Task Malformed_json_is_400_invalid_input_and_writes_nothing(string body, string field)
    {
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json(body));
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal(field, detail.GetProperty("field").GetString());
        Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Unknown_field_is_named_in_the_details()
    {
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-1\",\"name\":\"Acme\",\"colour\":\"red\"}"));
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("colour", detail.GetProperty("field").GetString());
        Assert.Equal("Unknown field", detail.GetProperty("message").GetString());
        Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Wrong_value_type_is_named_in_the_details()
    {
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-1\",\"name\":42}"));
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("name", detail.GetProperty("field").GetString());
        Assert.Equal("Value has the wrong type", detail.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json(string.Empty));
        await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Wrong_content_type_is_415(string contentType)
    {
        var content = new StringContent("{\"customer_number\":\"K-1\",\"name\":\"Acme\"}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var response = await _api.Client.PostAsync("/api/v1/customers", content);
        var error = await ApiServer.AssertErrorAsync(response, 415, "UNSUPPORTED_MEDIA_TYPE");
        Assert.Contains("application/json", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Oversized_body_with_content_length_is_413_at_the_configured_limit()
    {
        var body = "{\"customer_number\":\"K-1\",\"name\":\"" + new string('a', 5000) + "\"}";
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json(body));
        var error = await ApiServer.AssertErrorAsync(response, 413, "PAYLOAD_TOO_LARGE");
        Assert.Contains("4096", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Oversized_chunked_body_is_413()
    {
        var body = Encoding.UTF8.GetBytes("{\"customer_number\":\"K-1\",\"name\":\"" + new string('a', 5000) + "\"}");
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/customers") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await _api.Client.SendAsync(request);
        await ApiServer.AssertErrorAsync(response, 413, "PAYLOAD_TOO_LARGE");
        Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Body_just_under_the_limit_is_accepted()
    {
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-1\",\"name\":\"" + new string('a', 150) + "\"}"));
        Assert.Equal(201, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/api/v2/customers")]
    [InlineData("/api/v1/customers/not-a-uuid")]
    public async Task Unknown_route_is_404_resource_not_found(string path)
    {
        var response = await _api.Client.GetAsync(path);
        await ApiServer.AssertErrorAsync(response, 404, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Wrong_method_is_405()
    {
        var response = await _api.Client.DeleteAsync("/api/v1/customers");
        await ApiServer.AssertErrorAsync(response, 405, "METHOD_NOT_ALLOWED");
    }

    [Fact]
    public async Task Unknown_id_is_404()
    {
        var response = await _api.Client.GetAsync($"/api/v1/customers/{Guid.NewGuid()}");
        var error = await ApiServer.AssertErrorAsync(response, 404, "RESOURCE_NOT_FOUND");
        Assert.Equal("Customer not found", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("/api/v1/test/boom")]
    [InlineData("/api/v1/test/sql")]
    public async Task Unhandled_exception_is_500_without_internals_and_is_logged_with_the_request_id(string path)
    {
        var response = await _api.Client.GetAsync(path);
        var error = await ApiServer.AssertErrorAsync(response, 500, "INTERNAL_ERROR");
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Foo.Bar", text, StringComparison.Ordinal);
        Assert.DoesNotContain("42P01", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
        var requestId = error.GetProperty("request_id").GetString()!;
        Assert.Contains(_api.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) && line.Contains(requestId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validation_error_is_422_with_field_details_and_writes_nothing()
    {
        var response = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K 1\",\"name\":\"A\",\"language\":\"fr\",\"vat_id\":\"123\"}"));
        var error = await ApiServer.AssertErrorAsync(response, 422, "VALIDATION_ERROR");
        var fields = error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToList();
        Assert.Equal(["customer_number", "name", "vat_id", "language"], fields);
        Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Duplicate_is_409_and_the_first_row_stays()
    {
        var first = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-1\",\"name\":\"Acme GmbH\"}"));
        Assert.Equal(201, (int)first.StatusCode);
        var second = await _api.Client.PostAsync("/api/v1/customers", ApiServer.Json("{\"customer_number\":\"K-2\",\"name\":\"ACME GmbH\"}"));
        var error = await ApiServer.AssertErrorAsync(second, 409, "RESOURCE_ALREADY_EXISTS");
        Assert.Equal("name", error.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM customers"));
    }

    [Fact]
    public async Task Caller_request_id_is_echoed_in_header_envelope_and_log_lines()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/customers") { Content = ApiServer.Json("{") };
        request.Headers.Add("X-Request-Id", "haproxy-abc-123");
        var response = await _api.Client.SendAsync(request);
        var error = await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
        Assert.Equal("haproxy-abc-123", error.GetProperty("request_id").GetString());
        Assert.Contains(_api.Logs.Lines, line => line.Contains("RequestId:haproxy-abc-123", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bad id with spaces")]
    [InlineData("id/with/slashes")]
    [InlineData("")]
    public async Task Unsafe_request_id_is_replaced_by_a_generated_one(string incoming)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.TryAddWithoutValidation("X-Request-Id", incoming);
        var response = await _api.Client.SendAsync(request);
        var echoed = response.Headers.GetValues("X-Request-Id").Single();
        Assert.StartsWith("req_", echoed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_long_request_id_is_replaced()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("X-Request-Id", new string('a', 129));
        var response = await _api.Client.SendAsync(request);
        Assert.StartsWith("req_", response.Headers.GetValues("X-Request-Id").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_request_gets_a_distinct_id()
    {
        var ids = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var response = await _api.Client.GetAsync("/health");
            ids.Add(response.Headers.GetValues("X-Request-Id").Single());
        }

        Assert.Equal(20, ids.Count);
    }

    [Fact]
    public async Task Malformed_json_in_a_request_with_a_charset_is_still_400()
    {
        var content = new StringContent("{\"name\" \"x\"}", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        var response = await _api.Client.PostAsync("/api/v1/customers", content);
        await ApiServer.AssertErrorAsync(response, 400, "INVALID_INPUT");
    }
}
