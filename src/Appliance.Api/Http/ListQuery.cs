using System.Globalization;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Appliance.Platform;
using Microsoft.Extensions.Primitives;

namespace Appliance.Api.Http;

/// <param name="Page">The page answered.</param>
/// <param name="Limit">Items per page.</param>
/// <param name="Total">Matching items; a lower bound when <paramref name="TotalIsLowerBound"/> is true.</param>
/// <param name="TotalPages">Pages of <paramref name="Total"/> items.</param>
/// <param name="TotalIsLowerBound">True when the list stopped counting (a ticket search reads a bounded window of matches,
/// docs/api/lists.md): more items match than <paramref name="Total"/>, and narrowing the filter reaches them.</param>
public sealed record ListMeta(int Page, int Limit, long Total, int TotalPages, bool TotalIsLowerBound = false);

public sealed record ListLinks(string Self, string? Next, string? Prev, string First, string Last);

/// <summary>The list shape of every collection endpoint (docs/api/lists.md): <c>{data, meta, links}</c>.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, ListMeta Meta, ListLinks Links);

/// <summary>
/// Parses and validates the shared list parameters (<c>page</c>, <c>limit</c>, <c>sort</c>, <c>order</c>) and rejects
/// query parameters an endpoint does not know, so a typo in a filter is an error and never a silently unfiltered list.
/// </summary>
public sealed class ListQuery
{
    private static readonly string[] PagingParameters = ["page", "limit", "sort", "order"];

    private ListQuery(PageRequest page, IReadOnlyList<SortField> sort, IQueryCollection query, List<ErrorDetail> errors, Representation representation)
    {
        Page = page;
        Sort = sort;
        Query = query;
        Errors = errors;
        Representation = representation;
    }

    public PageRequest Page { get; }

    public IReadOnlyList<SortField> Sort { get; }

    public IQueryCollection Query { get; }

    /// <summary>Problems found so far; filter parsing adds to them.</summary>
    public List<ErrorDetail> Errors { get; }

    public bool IsValid => Errors.Count == 0;

    /// <summary><c>fields</c> and <c>include</c> when the endpoint shapes its items; <see cref="Representation.Full"/> otherwise.</summary>
    public Representation Representation { get; }

    /// <param name="request">The request.</param>
    /// <param name="filters">The filter parameters the endpoint declares.</param>
    /// <param name="sortFields">What it may sort by.</param>
    /// <param name="defaultSort">The order without <c>sort</c>.</param>
    /// <param name="itemType">The item type when the endpoint supports <c>fields</c> and <c>include</c>.</param>
    /// <param name="includes">The relations <c>include</c> may name.</param>
    public static ListQuery Parse(
        HttpRequest request,
        IReadOnlyCollection<string> filters,
        IReadOnlyCollection<string> sortFields,
        IReadOnlyList<SortField> defaultSort,
        JsonTypeInfo? itemType = null,
        IReadOnlyCollection<string>? includes = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(sortFields);
        var query = request.Query;
        var errors = new List<ErrorDetail>();
        var known = PagingParameters.Concat(filters).Concat(itemType is null ? [] : Representation.Parameters).ToList();
        foreach (var key in query.Keys)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(new ErrorDetail(key, $"Unknown query parameter; allowed: {string.Join(", ", known)}"));
            }
        }

        var page = ParseInt(query, "page", 1, 1, int.MaxValue, errors);
        var limit = ParseInt(query, "limit", PageRequest.DefaultLimit, 1, PageRequest.MaxLimit, errors);
        var sort = ParseSort(query, sortFields, defaultSort, errors);
        var representation = itemType is null ? Representation.Full : Representation.Parse(query, itemType, includes ?? [], errors);
        return new ListQuery(new PageRequest(page, limit), sort, query, errors, representation);
    }

    public string? Text(string name, int maxLength = 200)
    {
        var value = Single(name);
        if (value is not null && value.Length > maxLength)
        {
            Errors.Add(new ErrorDetail(name, $"Must be at most {maxLength} characters"));
            return null;
        }

        return value;
    }

    public string? OneOf(string name, IReadOnlyList<string> allowed)
    {
        var value = Single(name);
        if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
        {
            Errors.Add(new ErrorDetail(name, $"Must be one of: {string.Join(", ", allowed)}"));
            return null;
        }

        return value;
    }

    public Guid? Uuid(string name)
    {
        var value = Single(name);
        if (value is null)
        {
            return null;
        }

        if (!Guid.TryParse(value, out var id))
        {
            Errors.Add(new ErrorDetail(name, "Must be a UUID"));
            return null;
        }

        return id;
    }

    /// <summary>An ISO 8601 date (midnight UTC) or timestamp (UTC when it names no offset).</summary>
    public DateTimeOffset? Timestamp(string name)
    {
        var text = Text(name, 40);
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value.ToUniversalTime();
        }

        Errors.Add(new ErrorDetail(name, "Must be an ISO 8601 date or timestamp"));
        return null;
    }

    public bool? Boolean(string name)
    {
        var value = Single(name);
        switch (value)
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                Errors.Add(new ErrorDetail(name, "Must be true or false"));
                return null;
        }
    }

    /// <summary>Builds the response, or an error when the requested page lies beyond the last one.</summary>
    public ListResponse<T>? ToResponse<TRow, T>(HttpRequest request, Paged<TRow> rows, Func<TRow, T> map)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(map);
        var totalPages = rows.TotalPages;
        if (Page.Page > Math.Max(totalPages, 1))
        {
            Errors.Add(new ErrorDetail("page", $"Page {Page.Page} is beyond the last page ({totalPages})"));
            return null;
        }

        var last = Math.Max(totalPages, 1);
        var links = new ListLinks(
            Link(request, Page.Page),
            Page.Page < last ? Link(request, Page.Page + 1) : null,
            Page.Page > 1 ? Link(request, Page.Page - 1) : null,
            Link(request, 1),
            Link(request, last));
        return new ListResponse<T>(rows.Items.Select(map).ToList(), new ListMeta(Page.Page, Page.Limit, rows.Total, totalPages, rows.TotalIsLowerBound), links);
    }

    private string? Single(string name)
    {
        var values = Query[name];
        if (values.Count > 1)
        {
            Errors.Add(new ErrorDetail(name, "Give this parameter once"));
            return null;
        }

        var value = values.ToString();
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static int ParseInt(IQueryCollection query, string name, int fallback, int min, int max, List<ErrorDetail> errors)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return fallback;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
        {
            return parsed;
        }

        errors.Add(new ErrorDetail(name, max == int.MaxValue ? $"Must be a whole number from {min}" : $"Must be a whole number from {min} to {max}"));
        return fallback;
    }

    /// <summary><c>sort=a,b&amp;order=desc,asc</c> or <c>sort=-a,b</c>; <c>order</c> pairs with <c>sort</c> by position.</summary>
    private static List<SortField> ParseSort(IQueryCollection query, IReadOnlyCollection<string> sortFields, IReadOnlyList<SortField> defaultSort, List<ErrorDetail> errors)
    {
        var sortText = query["sort"].ToString();
        var orderText = query["order"].ToString();
        if (string.IsNullOrWhiteSpace(sortText))
        {
            if (!string.IsNullOrWhiteSpace(orderText))
            {
                errors.Add(new ErrorDetail("order", "order needs sort"));
            }

            return [.. defaultSort];
        }

        var fields = sortText.Split(',', StringSplitOptions.TrimEntries);
        var orders = string.IsNullOrWhiteSpace(orderText) ? [] : orderText.Split(',', StringSplitOptions.TrimEntries);
        if (orders.Length > fields.Length)
        {
            errors.Add(new ErrorDetail("order", "More order values than sort fields"));
        }

        var keys = new List<SortField>();
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            var descending = field.StartsWith('-');
            field = field.TrimStart('-', '+');
            if (i < orders.Length)
            {
                switch (orders[i].ToLowerInvariant())
                {
                    case "asc":
                        break;
                    case "desc":
                        descending = true;
                        break;
                    default:
                        errors.Add(new ErrorDetail("order", "Must be asc or desc"));
                        break;
                }
            }

            if (!sortFields.Contains(field, StringComparer.Ordinal))
            {
                errors.Add(new ErrorDetail("sort", $"Cannot sort by '{field}'; allowed: {string.Join(", ", sortFields)}"));
            }
            else if (keys.Any(k => k.Field == field))
            {
                errors.Add(new ErrorDetail("sort", $"'{field}' is given twice"));
            }
            else
            {
                keys.Add(new SortField(field, descending));
            }
        }

        return keys;
    }

    private static string Link(HttpRequest request, int page)
    {
        var builder = new StringBuilder(request.PathBase).Append(request.Path);
        var separator = '?';
        foreach (var (key, values) in request.Query.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            if (key == "page")
            {
                continue;
            }

            foreach (var value in values)
            {
                builder.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? string.Empty));
                separator = '&';
            }
        }

        return builder.Append(separator).Append("page=").Append(page.ToString(CultureInfo.InvariantCulture)).ToString();
    }
}
