using Appliance.Api.Identity;
using Serilog.Core;
using Serilog.Events;

namespace Appliance.Api.Http;

/// <summary>
/// Gives every log event written during a request the request's context, read when the event is written: the
/// request id, the route template once routing matched (<c>/api/v1/tickets/{id}</c>, never the raw path), the
/// signed-in user's id or the API key's id once authentication ran, and the status code once the response started.
/// Pushed onto Serilog's log context by <see cref="RequestIdMiddleware"/>.
/// </summary>
public sealed class RequestLogEnricher(HttpContext context, string requestId) : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(propertyFactory);
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("RequestId", requestId));
        if ((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } route)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("Route", route));
        }

        if (context.Features.Get<CurrentUser>() is { } user)
        {
            logEvent.AddPropertyIfAbsent(user.ApiKeyId is { } key
                ? propertyFactory.CreateProperty("ApiKeyId", key.ToString())
                : propertyFactory.CreateProperty("UserId", user.Id.ToString()));
        }

        if (context.Response.HasStarted)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("StatusCode", context.Response.StatusCode));
        }
    }
}
