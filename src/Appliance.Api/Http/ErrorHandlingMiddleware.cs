using System.Net.Sockets;
using System.Text.Json;
using Appliance.Domain.Common;
using Appliance.Platform.Redis;
using Npgsql;

namespace Appliance.Api.Http;

/// <summary>
/// Turns every failure into the error envelope with the right status: bad bodies are the client's fault (4xx),
/// an unreachable PostgreSQL or Redis is 503, anything else is a 500 with no internals shown to the client.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, long maxRequestBodyBytes)
{

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.ContentLength > maxRequestBodyBytes)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, TooLarge(maxRequestBodyBytes));
            return;
        }

        if (RequestText.FindNul(context.Request) is { } nul)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "The request line contains a NUL character", [nul]);
            return;
        }

        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, code, message, details) = Classify(ex, maxRequestBodyBytes);
            if (ex is PostgresException && context.RequestServices.GetService<NpgsqlDataSource>() is { } dataSource)
            {
                // A statement failed in PostgreSQL and nothing handled it: its connection may be out of step with Npgsql's
                // prepared statements (docs: FailedStatements), so the pool discards its connections rather than lend it out.
                dataSource.Clear();
            }

            if (ex is RedisUnavailableException)
            {
                RedisFailClosed.Count();
            }

            if (status >= 500)
            {
                logger.LogError(ex, "{Method} {Path} failed: {Code}", context.Request.Method, context.Request.Path, code);
            }
            else
            {
                logger.LogInformation("{Method} {Path} rejected: {Status} {Code} {Message}", context.Request.Method, context.Request.Path, status, code, message);
            }

            context.Response.Clear();
            if (ex is PreconditionFailedException precondition)
            {
                // The current tag lets a client tell "changed since" from "wrong tag" without another round trip.
                EntityTags.Write(context.Response, precondition.CurrentVersion);
            }

            await ApiErrors.WriteAsync(context, status, code, message, details);
        }
    }

    /// <summary>The message for a status some framework component set without writing a body.</summary>
    public static string DescribeStatus(HttpContext context, int status, long maxRequestBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        return status switch
        {
            StatusCodes.Status404NotFound => $"No resource at {context.Request.Method} {context.Request.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}",
            StatusCodes.Status413PayloadTooLarge => TooLarge(maxRequestBodyBytes),
            StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
            _ => $"Request failed with status {status}",
        };
    }

    private const string UnsupportedMediaType = "Request body must be JSON (Content-Type: application/json)";

    private static string TooLarge(long maxRequestBodyBytes) => $"Request body is larger than the limit of {maxRequestBodyBytes} bytes";

    public static (int Status, string Code, string Message, IReadOnlyList<ErrorDetail> Details) Classify(Exception exception, long maxRequestBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case DomainValidationException validation:
                return (StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationError, "Invalid input data", Details(validation.Errors));
            case DomainConflictException conflict:
                return (StatusCodes.Status409Conflict, conflict.IsDuplicate ? ErrorCodes.ResourceAlreadyExists : ErrorCodes.ResourceConflict, conflict.Message, Details(conflict.Errors));
            case PreconditionFailedException precondition:
                return (StatusCodes.Status412PreconditionFailed, ErrorCodes.PreconditionFailed, precondition.Message,
                    [EntityTags.CurrentVersionDetail(precondition.CurrentVersion)]);
            case DomainNotFoundException notFound:
                return (StatusCodes.Status404NotFound, ErrorCodes.ResourceNotFound, notFound.Message, []);
            case BadHttpRequestException bad:
                return ClassifyBadRequest(bad, maxRequestBodyBytes);
            case RedisUnavailableException:
                return (StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "A backing service (Redis) is unavailable; try again shortly", []);
            case NpgsqlException npgsql when IsDatabaseOutage(npgsql):
                return (StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, "A backing service (PostgreSQL) is unavailable; try again shortly", []);
            default:
                return (StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "An unexpected error occurred; quote the request id when reporting it", []);
        }
    }

    /// <summary>
    /// PostgreSQL cannot be reached or is going away: the connection failed or timed out, or the server ended the session
    /// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P05 idle_session_timeout), refuses
    /// connections (53300 too_many_connections) or reports a connection exception (class 08).
    /// </summary>
    public static bool IsDatabaseOutage(NpgsqlException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is PostgresException postgres)
        {
            return postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                    or "57P05" or PostgresErrorCodes.TooManyConnections
                || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);
        }

        return exception.IsTransient || exception.InnerException is SocketException or TimeoutException or IOException
            || (exception.InnerException is NpgsqlException inner && IsDatabaseOutage(inner));
    }

    private static (int, string, string, IReadOnlyList<ErrorDetail>) ClassifyBadRequest(BadHttpRequestException bad, long maxRequestBodyBytes)
    {
        switch (bad.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                return (StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, TooLarge(maxRequestBodyBytes), []);
            case StatusCodes.Status415UnsupportedMediaType:
                return (StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, UnsupportedMediaType, []);
        }

        if (FindInner<JsonException>(bad) is { } json)
        {
            var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : JsonPathToField(json.Path);
            var problem = json is Json.NulCharacterException ? Json.NulCharacterException.Problem
                : json.Message.Contains("uplicate", StringComparison.Ordinal) ? "Given more than once; give each field once"
                : json.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "Unknown field"
                : json.Message.Contains("could not be converted", StringComparison.Ordinal) ? "Value has the wrong type"
                : json.LineNumber is { } line ? $"Malformed JSON near line {line + 1}, position {json.BytePositionInLine + 1}"
                : "Malformed JSON";
            return (StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "Request body is not valid JSON for this endpoint", [new ErrorDetail(field, problem)]);
        }

        if (bad.Message.Contains("was not provided from body", StringComparison.Ordinal) || bad.Message.Contains("body was empty", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "Request body is required", [new ErrorDetail("body", "A JSON object is required")]);
        }

        return (bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "The request could not be read", []);
    }

    private static List<ErrorDetail> Details(IReadOnlyList<FieldError> errors) => errors.Select(e => new ErrorDetail(e.Field, e.Message, e.ExistingId)).ToList();

    private static string JsonPathToField(string path) => path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (var current = exception.InnerException; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
