using System.Diagnostics;
using System.Globalization;
using Appliance.Platform.Metrics;

namespace Appliance.Api.Http;

/// <summary>
/// Counts every request in <c>http_requests_total{method,route,status_code}</c> and
/// <c>http_request_duration_seconds</c>. The route is the matched endpoint's template (<c>/api/v1/tickets/{id}</c>),
/// never the raw path, and <c>unmatched</c> for 404s without a route, so the label set stays bounded whatever clients send.
/// </summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next)
{
    public const string UnmatchedRoute = "unmatched";

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? UnmatchedRoute;
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            string[] labels = [Method(context.Request.Method), route, status.ToString(CultureInfo.InvariantCulture)];
            ApplianceMetrics.HttpRequests.WithLabels(labels).Inc();
            ApplianceMetrics.HttpRequestDuration.WithLabels(labels).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>The standard methods by name, anything else as OTHER (a client can send any token as a method).</summary>
    private static string Method(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "PATCH" or "DELETE" or "HEAD" or "OPTIONS" => method,
        _ => "OTHER",
    };
}
