using System.Net.Sockets;
using System.Text;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

/// <summary>
/// What Kestrel answers itself, before any middleware runs (docs/api/errors.md, "Answers without the envelope"): the
/// status and an empty body, then it closes the connection. Sent over raw sockets, as a client that breaks HTTP would.
/// </summary>
public sealed class ServerRejectionTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() =>
        _api = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Http:RequestHeadersTimeoutSeconds"] = "2" }, withDatabase: false);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_url_longer_than_the_request_line_limit_is_414_without_a_body()
    {
        var response = await SendRawAsync($"GET /api/v1/customers?search={new string('a', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        AssertBodyless(response, 414);
    }

    [Fact]
    public async Task Headers_larger_than_the_limit_are_431_without_a_body()
    {
        var response = await SendRawAsync($"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', 40_000)}\r\n\r\n");
        AssertBodyless(response, 431);
    }

    [Fact]
    public async Task A_malformed_request_line_is_400_without_a_body()
    {
        var response = await SendRawAsync("GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n");
        AssertBodyless(response, 400);
    }

    [Fact]
    public async Task A_nul_in_a_header_value_is_400_without_a_body()
    {
        // Never reaches the audit log's user_agent column.
        var response = await SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: a\0b\r\n\r\n");
        AssertBodyless(response, 400);
    }

    [Fact]
    public async Task Headers_not_finished_within_the_header_timeout_are_408_without_a_body()
    {
        // Kestrel checks its timeouts about once a second; the test API allows 2 s (Http:RequestHeadersTimeoutSeconds).
        var response = await SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: still typing");
        AssertBodyless(response, 408);
    }

    [Fact]
    public async Task A_request_the_server_can_read_gets_the_envelope_even_for_a_bad_query()
    {
        var response = await SendRawAsync("GET /api/v1/customers?search=%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 4", response, StringComparison.Ordinal);
        Assert.Contains("\"error\":{\"code\":", response, StringComparison.Ordinal);
    }

    private static void AssertBodyless(string response, int status)
    {
        Assert.StartsWith($"HTTP/1.1 {status} ", response, StringComparison.Ordinal);
        var headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headEnd > 0, response);
        Assert.Contains("Content-Length: 0", response[..headEnd], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection: close", response[..headEnd], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(string.Empty, response[(headEnd + 4)..]);
    }

    private async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_api.BaseAddress.Host, _api.BaseAddress.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the answer: what was read is the answer.
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }
}
