using System.Globalization;
using Appliance.Domain.Common;
using Microsoft.Net.Http.Headers;

namespace Appliance.Api.Http;

/// <summary>
/// Optimistic concurrency over HTTP (RFC 9110 §8.8.3, §13.1.1). A versioned resource answers with a strong
/// <c>ETag: "7"</c>, its row version. <c>PATCH</c>, <c>PUT</c> and <c>DELETE</c> honour <c>If-Match</c>: when no listed
/// tag is the current version the answer is 412 <c>PRECONDITION_FAILED</c> and nothing is written; the stores compare
/// under a row lock and in the write's WHERE, so two writers holding the same tag cannot both succeed.
/// A request without <c>If-Match</c> is applied to the current version (last writer wins), as most APIs allow;
/// clients that edit what they showed a person send the tag. <c>If-Match: *</c> matches any existing version; weak
/// tags (<c>W/"7"</c>) never match, because If-Match compares strongly.
/// </summary>
public static class EntityTags
{
    public const string IfMatchHeader = "If-Match";

    public static string Format(int version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    /// <summary>The detail of a 412: which version is current, so the caller can tell "changed since" from "wrong tag".</summary>
    public static ErrorDetail CurrentVersionDetail(int current) =>
        new(IfMatchHeader, $"The current version is {Format(current)}; nothing was changed");

    public static void Write(HttpResponse response, int version)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.ETag = Format(version);
    }

    /// <summary>The versions a change may apply to, or an error detail when the header is malformed.</summary>
    public static (ExpectedVersion? Expected, ErrorDetail? Error) ReadIfMatch(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return (ExpectedVersion.Any, null);
        }

        if (!EntityTagHeaderValue.TryParseStrictList(values, out var tags) || tags.Count == 0)
        {
            return (null, new ErrorDetail(IfMatchHeader, "Must be * or a list of quoted entity tags from an ETag header, like \"3\""));
        }

        if (tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any)))
        {
            return (ExpectedVersion.Any, null);
        }

        var versions = new List<int>();
        foreach (var tag in tags)
        {
            var text = tag.Tag.AsSpan().Trim('"');
            if (!tag.IsWeak && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                versions.Add(version);
            }
        }

        return (ExpectedVersion.OneOf(versions), null);
    }
}
