using System.Text.Json.Serialization;

namespace Appliance.Api.Http;

/// <summary>The one error shape of the API (docs/api/errors.md).</summary>
public sealed record ErrorEnvelope(ErrorBody Error);

public sealed record ErrorBody(string Code, string Message, IReadOnlyList<ErrorDetail> Details, string RequestId, DateTimeOffset Timestamp);

/// <param name="Field">The input field, query parameter or header.</param>
/// <param name="Message">What is wrong with it.</param>
/// <param name="ExistingId">For a duplicate (409): the record that already holds the value; left out otherwise.</param>
public sealed record ErrorDetail(string Field, string Message, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? ExistingId = null);

/// <summary>Error codes the API answers with; the seed's names where it has one.</summary>
public static class ErrorCodes
{
    public const string ValidationError = "VALIDATION_ERROR";
    public const string InvalidInput = "INVALID_INPUT";
    public const string ResourceNotFound = "RESOURCE_NOT_FOUND";
    public const string ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";
    public const string ResourceConflict = "RESOURCE_CONFLICT";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string RateLimitExceeded = "RATE_LIMIT_EXCEEDED";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    public const string InternalError = "INTERNAL_ERROR";
    public const string AuthenticationRequired = "AUTHENTICATION_REQUIRED";
    public const string InvalidCredentials = "INVALID_CREDENTIALS";
    public const string TokenExpired = "TOKEN_EXPIRED";
    public const string TokenInvalid = "TOKEN_INVALID";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string AccountLocked = "ACCOUNT_LOCKED";
    public const string MfaTokenInvalid = "MFA_TOKEN_INVALID";
    public const string MfaCodeInvalid = "MFA_CODE_INVALID";
    public const string MfaEnrollmentRequired = "MFA_ENROLLMENT_REQUIRED";
    public const string ApiKeyInvalid = "API_KEY_INVALID";
    public const string ApiKeyRevoked = "API_KEY_REVOKED";
    public const string ApiKeyExpired = "API_KEY_EXPIRED";
    public const string PreconditionFailed = "PRECONDITION_FAILED";

    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => InvalidInput,
        StatusCodes.Status401Unauthorized => AuthenticationRequired,
        StatusCodes.Status403Forbidden => PermissionDenied,
        StatusCodes.Status404NotFound => ResourceNotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status409Conflict => ResourceConflict,
        StatusCodes.Status412PreconditionFailed => PreconditionFailed,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status422UnprocessableEntity => ValidationError,
        StatusCodes.Status429TooManyRequests => RateLimitExceeded,
        StatusCodes.Status503ServiceUnavailable => ServiceUnavailable,
        >= 500 => InternalError,
        _ => InvalidInput,
    };
}
