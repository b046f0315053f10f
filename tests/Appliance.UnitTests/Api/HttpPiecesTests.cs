using System.Text.Json;
using Appliance.Api.Http;
using Appliance.Domain.Common;
using Appliance.Platform.Redis;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace Appliance.UnitTests.Api;

public sealed class HttpPiecesTests
{
    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("req_0123456789abcdef", true)]
    [InlineData("a.b:c_d-e", true)]
    [InlineData("", false)]
    [InlineData("with space", false)]
    [InlineData("new\nline", false)]
    [InlineData("ümlaut", false)]
    [InlineData("{json}", false)]
    public void Request_id_acceptance(string value, bool acceptable) =>
        Assert.Equal(acceptable, RequestIdMiddleware.IsAcceptable(value));

    [Fact]
    public void Request_id_length_limit_is_128()
    {
        Assert.True(RequestIdMiddleware.IsAcceptable(new string('a', 128)));
        Assert.False(RequestIdMiddleware.IsAcceptable(new string('a', 129)));
    }

    [Fact]
    public void Generated_request_ids_are_acceptable_and_unique()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestIdMiddleware.NewId()).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.All(ids, id => Assert.True(RequestIdMiddleware.IsAcceptable(id)));
    }

    [Theory]
    [InlineData(400, "INVALID_INPUT")]
    [InlineData(404, "RESOURCE_NOT_FOUND")]
    [InlineData(405, "METHOD_NOT_ALLOWED")]
    [InlineData(409, "RESOURCE_CONFLICT")]
    [InlineData(413, "PAYLOAD_TOO_LARGE")]
    [InlineData(415, "UNSUPPORTED_MEDIA_TYPE")]
    [InlineData(422, "VALIDATION_ERROR")]
    [InlineData(429, "RATE_LIMIT_EXCEEDED")]
    [InlineData(500, "INTERNAL_ERROR")]
    [InlineData(502, "INTERNAL_ERROR")]
    [InlineData(503, "SERVICE_UNAVAILABLE")]
    public void Status_codes_map_to_the_seed_error_codes(int status, string code) =>
        Assert.Equal(code, ErrorCodes.ForStatus(status));

    [Fact]
    public void Domain_validation_is_422_with_details()
    {
        var (status, code, _, details) = ErrorHandlingMiddleware.Classify(new DomainValidationException([new FieldError("name", "required")]), 1024);
        Assert.Equal((422, "VALIDATION_ERROR"), (status, code));
        Assert.Equal([new ErrorDetail("name", "required")], details);
    }

    [Fact]
    public void Conflict_is_409()
    {
        var (status, code, message, _) = ErrorHandlingMiddleware.Classify(new DomainConflictException("taken", []), 1024);
        Assert.Equal((409, "RESOURCE_ALREADY_EXISTS", "taken"), (status, code, message));
    }

    [Fact]
    public void Backing_services_down_are_503()
    {
        Assert.Equal(503, ErrorHandlingMiddleware.Classify(new RedisUnavailableException("down"), 1024).Status);
        Assert.Equal(503, ErrorHandlingMiddleware.Classify(new NpgsqlException("conn", new System.Net.Sockets.SocketException()), 1024).Status);
    }

    [Theory]
    [InlineData("57P01")] // admin_shutdown: the server is stopping, or pg_terminate_backend
    [InlineData("57P02")] // crash_shutdown
    [InlineData("57P03")] // cannot_connect_now: starting up or in recovery
    [InlineData("57P05")] // idle_session_timeout
    [InlineData("53300")] // too_many_connections
    [InlineData("08006")] // connection_failure
    [InlineData("08P01")] // protocol_violation (a connection exception too)
    public void Postgres_ending_or_refusing_the_session_is_503(string sqlState)
    {
        var (status, code, message, _) = ErrorHandlingMiddleware.Classify(new PostgresException("terminating connection", "FATAL", "FATAL", sqlState), 1024);
        Assert.Equal((503, "SERVICE_UNAVAILABLE"), (status, code));
        Assert.Contains("PostgreSQL", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sql_errors_and_anything_else_are_500_without_internals()
    {
        var (status, code, message, details) = ErrorHandlingMiddleware.Classify(new PostgresException("boom", "ERROR", "ERROR", "42P01"), 1024);
        Assert.Equal((500, "INTERNAL_ERROR"), (status, code));
        Assert.DoesNotContain("boom", message, StringComparison.Ordinal);
        Assert.Empty(details);
        Assert.Equal(500, ErrorHandlingMiddleware.Classify(new InvalidOperationException("x"), 1024).Status);
    }

    [Fact]
    public void Bad_request_json_errors_name_the_field()
    {
        var json = new JsonException("The JSON value could not be converted to System.String. Path: $.name", "$.name", 0, 9);
        var (status, code, _, details) = ErrorHandlingMiddleware.Classify(new BadHttpRequestException("Failed to read", json), 1024);
        Assert.Equal((400, "INVALID_INPUT"), (status, code));
        Assert.Equal([new ErrorDetail("name", "Value has the wrong type")], details);
    }

    [Theory]
    [InlineData(413, "PAYLOAD_TOO_LARGE")]
    [InlineData(415, "UNSUPPORTED_MEDIA_TYPE")]
    public void Bad_request_status_is_kept(int statusCode, string expected)
    {
        var (status, code, _, _) = ErrorHandlingMiddleware.Classify(new BadHttpRequestException("x", statusCode), 1024);
        Assert.Equal((statusCode, expected), (status, code));
    }
}
