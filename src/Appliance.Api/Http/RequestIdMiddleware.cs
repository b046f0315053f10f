using Serilog.Context;

namespace Appliance.Api.Http;

/// <summary>
/// Gives every request an id: the caller's (or HAProxy's) <c>X-Request-Id</c> when it is sane, else a new one.
/// It is echoed in the response, carried in every log line (with the route, caller and status: <see cref="RequestLogEnricher"/>),
/// and put in every error envelope.
/// With <c>Http:InstanceName</c> set, every response also names the instance that served it (<c>X-Served-By</c>).
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next, string? instanceName = null)
{
    public const string HeaderName = "X-Request-Id";

    public const string ServedByHeaderName = "X-Served-By";

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var incoming = context.Request.Headers[HeaderName].ToString();
        var requestId = IsAcceptable(incoming) ? incoming : NewId();
        context.TraceIdentifier = requestId;
        context.Response.Headers[HeaderName] = requestId;
        if (instanceName is not null)
        {
            context.Response.Headers[ServedByHeaderName] = instanceName;
        }
        using (LogContext.Push(new RequestLogEnricher(context, requestId)))
        {
            await next(context);
        }
    }

    public static string NewId() => "req_" + Guid.CreateVersion7().ToString("N");

    /// <summary>Printable, bounded ids only: a client must not be able to inject log lines or huge headers.</summary>
    public static bool IsAcceptable(string value)
    {
        if (value.Length is 0 or > 128)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }
}
