using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Api;

/// <summary>
/// <c>/metrics</c> on the API: anonymous, Prometheus text, the monitoring design's names, labels and buckets, and a
/// request counted under its route template, never its raw path. The registry is process-wide, so counts are compared
/// before and after.
/// </summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private async Task<string> ScrapeAsync()
    {
        var response = await _api.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private static double Sample(string text, string series)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [Fact]
    public async Task Metrics_have_the_designed_names_labels_and_buckets()
    {
        await _api.Client.GetAsync("/api/v1/customers");
        var text = await ScrapeAsync();

        Assert.Contains("# TYPE http_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_request_duration_seconds histogram", text, StringComparison.Ordinal);
        var buckets = BucketBound().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(["0.01", "0.05", "0.1", "0.5", "1", "2", "5", "+Inf"], buckets);
        Assert.Matches("""(?m)^http_requests_total\{method="GET",route="/api/v1/customers/?",status_code="200"\} [1-9]""", text);

        Assert.Contains("# TYPE active_tickets_total gauge", text, StringComparison.Ordinal);
        foreach (var status in new[] { "new", "assigned", "in_progress", "waiting_customer" })
        {
            foreach (var priority in new[] { "low", "medium", "high", "critical" })
            {
                Assert.Contains($"active_tickets_total{{status=\"{status}\",priority=\"{priority}\"}}", text, StringComparison.Ordinal);
            }
        }

        Assert.Matches(@"(?m)^database_connections_active \d+", text);
        Assert.Matches(@"(?m)^database_connections_max [1-9]\d*", text);
        // The Redis fail-open and fail-closed counters appear once they counted: RateLimitTests checks them.
    }

    [Fact]
    public async Task A_request_increments_the_counter_under_its_route_template()
    {
        var id = Guid.NewGuid();
        const string series = "http_requests_total{method=\"GET\",route=\"/api/v1/customers/{id:guid}\",status_code=\"404\"}";
        var before = Sample(await ScrapeAsync(), series);

        var response = await _api.Client.GetAsync($"/api/v1/customers/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var text = await ScrapeAsync();

        Assert.True(Sample(text, series) - before >= 1, $"{series} did not grow:\n{string.Join('\n', text.Split('\n').Where(l => l.StartsWith("http_requests_total", StringComparison.Ordinal)))}");
        Assert.DoesNotContain(id.ToString(), text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/customers/{id:guid}\",status_code=\"404\"}", text, StringComparison.Ordinal);

        // A path no route matches is counted as "unmatched", so clients cannot grow the label set.
        var raw = "/api/v1/no-such-thing-" + Guid.NewGuid().ToString("N");
        await _api.Client.GetAsync(raw);
        text = await ScrapeAsync();
        Assert.DoesNotContain(raw, text, StringComparison.Ordinal);
        Assert.Contains("route=\"unmatched\",status_code=\"404\"", text, StringComparison.Ordinal);
    }

    [GeneratedRegex("""http_request_duration_seconds_bucket\{[^}]*le="([^"]+)"\}""")]
    private static partial Regex BucketBound();
}
