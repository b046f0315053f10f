using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Api.Http;

/// <summary>
/// Sparse fieldsets and embedded relations: <c>fields=id,name</c> keeps only the named properties
/// (<c>id</c> always stays; an unknown name is a 400 naming it), <c>include=contacts,sites</c> embeds the named relations
/// beside them. Field names and property getters come from the source-generated <see cref="JsonTypeInfo"/> of the
/// resource (<see cref="Shaped"/> writes the selected properties straight to the response): no reflection, and a
/// resource type needs no code of its own to support it.
/// </summary>
public sealed class Representation
{
    public const string FieldsParameter = "fields";
    public const string IncludeParameter = "include";

    public static readonly IReadOnlyList<string> Parameters = [FieldsParameter, IncludeParameter];

    private Representation(IReadOnlySet<string>? fields, IReadOnlySet<string> includes)
    {
        Fields = fields;
        Includes = includes;
    }

    /// <summary>Every field, nothing embedded.</summary>
    public static Representation Full { get; } = new(null, new HashSet<string>());

    /// <summary>The fields to keep; null keeps all.</summary>
    public IReadOnlySet<string>? Fields { get; }

    public IReadOnlySet<string> Includes { get; }

    /// <summary>True when the plain typed object can be written as it is.</summary>
    public bool IsFull => Fields is null && Includes.Count == 0;

    public bool Has(string include) => Includes.Contains(include);

    /// <summary>Reads <c>fields</c> and <c>include</c>; problems are added to <paramref name="errors"/>.</summary>
    public static Representation Parse(IQueryCollection query, JsonTypeInfo typeInfo, IReadOnlyCollection<string> includes, List<ErrorDetail> errors)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(includes);
        ArgumentNullException.ThrowIfNull(errors);
        var fields = ReadList(query, FieldsParameter, errors);
        if (fields is not null)
        {
            var known = typeInfo.Properties.Select(p => p.Name).ToList();
            foreach (var field in fields.Where(f => !known.Contains(f, StringComparer.Ordinal)))
            {
                errors.Add(new ErrorDetail(FieldsParameter, $"Unknown field '{field}'; allowed: {string.Join(", ", known)}"));
            }

            fields.Add("id");
        }

        var included = ReadList(query, IncludeParameter, errors) ?? [];
        foreach (var name in included.Where(i => !includes.Contains(i, StringComparer.Ordinal)))
        {
            errors.Add(new ErrorDetail(IncludeParameter, includes.Count == 0 ? $"Cannot include '{name}'; this resource embeds nothing" : $"Cannot include '{name}'; allowed: {string.Join(", ", includes)}"));
        }

        return new Representation(fields, included);
    }

    /// <summary>For one resource: <c>fields</c> and <c>include</c> are the only query parameters it takes.</summary>
    public static Representation ParseSingle(HttpRequest request, JsonTypeInfo typeInfo, IReadOnlyCollection<string> includes, List<ErrorDetail> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var key in request.Query.Keys.Where(k => !Parameters.Contains(k, StringComparer.Ordinal)))
        {
            errors.Add(new ErrorDetail(key, $"Unknown query parameter; allowed: {string.Join(", ", Parameters)}"));
        }

        return Parse(request.Query, typeInfo, includes, errors);
    }

    /// <summary>The item with only the selected fields (all when no <c>fields</c> was given); relations are added with <see cref="Shaped.Embed{T}"/>.</summary>
    public Shaped Shape<T>(T item, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new Shaped(item, typeInfo, Fields);
    }

    private static HashSet<string>? ReadList(IQueryCollection query, string name, List<ErrorDetail> errors)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            errors.Add(new ErrorDetail(name, "Give this parameter once, as a comma-separated list"));
            return [];
        }

        var items = (values[0] ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(string.IsNullOrEmpty))
        {
            errors.Add(new ErrorDetail(name, "Must be a comma-separated list of names without empty entries"));
        }

        return items.Where(i => i.Length > 0).ToHashSet(StringComparer.Ordinal);
    }
}

/// <summary>
/// One item in its requested shape: the selected properties of the typed item, then the embedded relations.
/// Written by <see cref="ShapedConverter"/> straight from the source-generated property getters (no intermediate
/// document), in the order the type declares its properties.
/// </summary>
[JsonConverter(typeof(ShapedConverter))]
public sealed class Shaped
{
    private readonly object _item;
    private readonly JsonTypeInfo _typeInfo;
    private readonly IReadOnlySet<string>? _fields;
    private readonly List<(string Name, Action<Utf8JsonWriter> Write)> _embedded = [];

    internal Shaped(object item, JsonTypeInfo typeInfo, IReadOnlySet<string>? fields)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        _item = item;
        _typeInfo = typeInfo;
        _fields = fields;
    }

    /// <summary>Adds a relation (an object, a list, or null) under <paramref name="name"/>.</summary>
    public Shaped Embed<T>(string name, T value, JsonTypeInfo<T> typeInfo)
    {
        _embedded.Add((name, writer => JsonSerializer.Serialize(writer, value, typeInfo)));
        return this;
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var property in _typeInfo.Properties)
        {
            if (property.Get is not { } get || (_fields is not null && !_fields.Contains(property.Name)))
            {
                continue;
            }

            var value = get(_item);
            if (property.ShouldSerialize is { } should && !should(_item, value))
            {
                continue;
            }

            writer.WritePropertyName(property.Name);
            JsonSerializer.Serialize(writer, value, _typeInfo.Options.GetTypeInfo(property.PropertyType));
        }

        foreach (var (name, write) in _embedded)
        {
            writer.WritePropertyName(name);
            write(writer);
        }

        writer.WriteEndObject();
    }
}

/// <summary>Writes <see cref="Shaped"/> items; they are response-only.</summary>
public sealed class ShapedConverter : JsonConverter<Shaped>
{
    public override Shaped Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("shaped items are written, never read");

    public override void Write(Utf8JsonWriter writer, Shaped value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        value.WriteTo(writer);
    }
}
