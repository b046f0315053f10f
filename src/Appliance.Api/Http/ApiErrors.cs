using Appliance.Api.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Http;

/// <summary>Builds error envelopes as typed results (for handlers) or writes them directly (for middleware).</summary>
public static class ApiErrors
{
    public static ErrorEnvelope Envelope(HttpContext context, string code, string message, IReadOnlyList<ErrorDetail>? details = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ErrorEnvelope(new ErrorBody(code, message, details ?? [], context.TraceIdentifier, DateTimeOffset.UtcNow));
    }

    public static JsonHttpResult<ErrorEnvelope> Result(HttpContext context, int status, string code, string message, IReadOnlyList<ErrorDetail>? details = null) =>
        TypedResults.Json(Envelope(context, code, message, details), ApiJsonContext.Default.ErrorEnvelope, statusCode: status);

    public static JsonHttpResult<ErrorEnvelope> NotFound(HttpContext context, string what) =>
        Result(context, StatusCodes.Status404NotFound, ErrorCodes.ResourceNotFound, $"{what} not found");

    public static JsonHttpResult<ErrorEnvelope> BadQuery(HttpContext context, IReadOnlyList<ErrorDetail> details) =>
        Result(context, StatusCodes.Status400BadRequest, ErrorCodes.ValidationError, "Invalid query parameters", details);

    public static async Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyList<ErrorDetail>? details = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        // The response may have been cleared after a failure; the id must survive that.
        context.Response.Headers[RequestIdMiddleware.HeaderName] = context.TraceIdentifier;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsJsonAsync(Envelope(context, code, message, details), ApiJsonContext.Default.ErrorEnvelope, contentType: "application/json; charset=utf-8");
    }
}
