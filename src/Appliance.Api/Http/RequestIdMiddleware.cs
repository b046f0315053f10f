namespace Appliance.Api.Http;

/// <summary>
/// Gives every request an id: the caller's (or HAProxy's) <c>X-Request-Id</c> when it is sane, else a new one.
/// It is echoed in the response, carried in every log line through a logging scope, and put in every error envelope.
/// With <c>Http:InstanceName</c> set, every response also names the instance that served it (<c>X-Served-By</c>).
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger, string? instanceName = null)
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
        using (logger.BeginScope(new RequestScope(requestId)))
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

    /// <summary>Renders as <c>RequestId:req_…</c> in console scopes and enumerates as a key/value pair for structured sinks.</summary>
    private sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => 1;

        public KeyValuePair<string, object> this[int index] =>
            index == 0 ? new KeyValuePair<string, object>("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "RequestId:" + requestId;
    }
}
