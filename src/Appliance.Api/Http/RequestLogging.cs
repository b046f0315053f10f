using Serilog.AspNetCore;
using Serilog.Events;

namespace Appliance.Api.Http;

/// <summary>
/// Serilog's request logging: one event per finished request, <c>HTTP {RequestMethod} {RequestPath} responded
/// {StatusCode} in {Elapsed} ms</c>, carrying the route, caller and request id (<see cref="RequestLogEnricher"/>).
/// Debug for answered requests (rejections already have their Information line from <see cref="ErrorHandlingMiddleware"/>),
/// Error for a 5xx, so the default Information level costs nothing per request.
/// </summary>
public static class RequestLogging
{
    public static Action<RequestLoggingOptions> Configure(IServiceProvider services) => options =>
    {
        // The host's own logger, not the static Log.Logger (several APIs share a process in the integration tests).
        options.Logger = services.GetRequiredService<Serilog.ILogger>();
        options.GetLevel = (context, _, exception) =>
            exception is not null || context.Response.StatusCode >= StatusCodes.Status500InternalServerError ? LogEventLevel.Error : LogEventLevel.Debug;
    };
}
