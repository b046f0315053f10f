using System.Collections;

namespace Appliance.Api.Http;

/// <summary>What a filter query parameter takes; the OpenAPI document turns it into the parameter's schema.</summary>
public enum QueryFilterKind
{
    /// <summary>Free text up to <see cref="QueryFilter.MaxLength"/> characters.</summary>
    Text,

    /// <summary>Exactly one of <see cref="QueryFilter.Values"/>.</summary>
    OneOf,

    /// <summary>One or more of <see cref="QueryFilter.Values"/>, comma-separated.</summary>
    AnyOf,

    /// <summary>A UUID, or one of <see cref="QueryFilter.Values"/> when any are given (<c>me</c>, <c>none</c>).</summary>
    Uuid,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>An ISO 8601 date or timestamp (UTC when it names no offset).</summary>
    Timestamp,

    /// <summary>An ISO 8601 date (<c>yyyy-MM-dd</c>).</summary>
    Date,
}

/// <summary>One filter a list endpoint accepts: its name, what it takes and what it means.</summary>
public sealed record QueryFilter(string Name, QueryFilterKind Kind, string Description, int? MaxLength = null, IReadOnlyList<string>? Values = null)
{
    public static QueryFilter Text(string name, string description, int maxLength = 200) => new(name, QueryFilterKind.Text, description, maxLength);

    /// <summary>The full-text or name search every list offers.</summary>
    public static QueryFilter Search(string description, int maxLength = 200) => new("search", QueryFilterKind.Text, description, maxLength);

    public static QueryFilter OneOf(string name, IReadOnlyList<string> values, string description) => new(name, QueryFilterKind.OneOf, description, null, values);

    public static QueryFilter AnyOf(string name, IReadOnlyList<string> values, string description) => new(name, QueryFilterKind.AnyOf, description, 200, values);

    public static QueryFilter Uuid(string name, string description, params string[] orValues) => new(name, QueryFilterKind.Uuid, description, null, orValues);

    public static QueryFilter Boolean(string name, string description) => new(name, QueryFilterKind.Boolean, description);

    public static QueryFilter Timestamp(string name, string description) => new(name, QueryFilterKind.Timestamp, description, 40);

    public static QueryFilter Date(string name, string description) => new(name, QueryFilterKind.Date, description, 10);
}

/// <summary>
/// The filters a list endpoint declares, in one place: <see cref="ListQuery.Parse"/> reads the names (any other query
/// parameter is a 400), and the OpenAPI document describes each one from the same declaration.
/// </summary>
public sealed class QueryFilterCollection : IReadOnlyCollection<string>
{
    private readonly List<string> _names;

    public QueryFilterCollection(params IEnumerable<QueryFilter> filters)
    {
        Items = [.. filters];
        _names = [.. Items.Select(f => f.Name)];
    }

    public IReadOnlyList<QueryFilter> Items { get; }

    public int Count => _names.Count;

    /// <summary>These filters and <paramref name="more"/> (a wider list that adds, say, the parent's id).</summary>
    public QueryFilterCollection With(params IEnumerable<QueryFilter> more) => new([.. more, .. Items]);

    public IEnumerator<string> GetEnumerator() => _names.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
