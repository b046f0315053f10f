namespace Appliance.Api.Http;

/// <summary>
/// The one check of the request line's text: PostgreSQL cannot store U+0000 in text (22021), so a NUL in the path or in
/// any query parameter name or value is refused before any handler runs (body strings: <c>NulFreeStringConverter</c>).
/// </summary>
public static class RequestText
{
    public const string NulProblem = "Must not contain NUL characters (%00)";

    /// <summary>The first place holding a NUL, or null when there is none.</summary>
    public static ErrorDetail? FindNul(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Path.Value is { } path && path.Contains('\0', StringComparison.Ordinal))
        {
            return new ErrorDetail("path", NulProblem);
        }

        if (!request.QueryString.HasValue)
        {
            return null;
        }

        foreach (var (key, values) in request.Query)
        {
            if (key.Contains('\0', StringComparison.Ordinal))
            {
                return new ErrorDetail(key.Replace("\0", "%00", StringComparison.Ordinal), NulProblem);
            }

            foreach (var value in values)
            {
                if (value is not null && value.Contains('\0', StringComparison.Ordinal))
                {
                    return new ErrorDetail(key, NulProblem);
                }
            }
        }

        return null;
    }
}
