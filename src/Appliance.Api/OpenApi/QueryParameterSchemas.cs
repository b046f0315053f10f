using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Api.Http;
using Appliance.Platform;
using Microsoft.OpenApi;

namespace Appliance.Api.OpenApi;

/// <summary>Turns an <see cref="EndpointQuery"/> into OpenAPI query parameters.</summary>
internal static class QueryParameterSchemas
{
    public static IEnumerable<OpenApiParameter> For(EndpointQuery query)
    {
        if (query.SortFields is { } sortFields)
        {
            yield return Query("page", "The page to return, from 1; a page beyond the last one is a 400", new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Format = "int32",
                Minimum = "1",
                Maximum = int.MaxValue.ToString(CultureInfo.InvariantCulture),
                Default = JsonValue.Create(1),
            });
            yield return Query("limit", $"Items per page, 1 to {PageRequest.MaxLimit}", new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Format = "int32",
                Minimum = "1",
                Maximum = PageRequest.MaxLimit.ToString(CultureInfo.InvariantCulture),
                Default = JsonValue.Create(PageRequest.DefaultLimit),
            });
            var alternatives = string.Join('|', sortFields);
            yield return Query(
                "sort",
                $"Comma-separated sort keys, each optionally prefixed with - (descending) or +: {string.Join(", ", sortFields)}",
                new OpenApiSchema { Type = JsonSchemaType.String, Pattern = $"^[-+]?({alternatives})(,[-+]?({alternatives}))*$", MaxLength = 200 });
            yield return Query(
                "order",
                "asc or desc for each sort key, by position (needs sort)",
                new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^(asc|desc)(,(asc|desc))*$", MaxLength = 200 });
        }

        foreach (var filter in query.Filters.Items)
        {
            yield return Filter(filter);
        }

        if (query.ItemType is { } itemType)
        {
            var names = itemType.Properties.Select(p => p.Name).ToList();
            yield return CommaList(Representation.FieldsParameter, $"Only these fields of each item (id always stays): {string.Join(", ", names)}", names);
            if (query.Includes.Count > 0)
            {
                yield return CommaList(Representation.IncludeParameter, $"Embed these related records: {string.Join(", ", query.Includes)}", [.. query.Includes]);
            }
            else
            {
                // The parameter is understood (so naming a relation is a clear 400), but this resource embeds nothing.
                yield return Query(Representation.IncludeParameter, "This resource embeds no related records; any value is a 400", new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String },
                    MaxItems = 0,
                });
            }
        }
    }

    private static OpenApiParameter Filter(QueryFilter filter)
    {
        switch (filter.Kind)
        {
            case QueryFilterKind.AnyOf:
                return CommaList(filter.Name, filter.Description, filter.Values ?? []);
            case QueryFilterKind.OneOf:
                return Query(filter.Name, filter.Description, Enumeration(filter.Values ?? []));
            case QueryFilterKind.Uuid when filter.Values is { Count: > 0 } words:
                return Query(filter.Name, filter.Description, new OpenApiSchema
                {
                    AnyOf = [new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" }, Enumeration(words)],
                });
            case QueryFilterKind.Uuid:
                return Query(filter.Name, filter.Description, new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" });
            case QueryFilterKind.Boolean:
                return Query(filter.Name, filter.Description, new OpenApiSchema { Type = JsonSchemaType.Boolean });
            case QueryFilterKind.Timestamp:
                return Query(filter.Name, filter.Description + " (ISO 8601 date or timestamp; UTC when it names no offset)", new OpenApiSchema
                {
                    AnyOf = [new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" }, new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" }],
                });
            case QueryFilterKind.Date:
                return Query(filter.Name, filter.Description + " (yyyy-MM-dd)", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" });
            default:
                return Query(filter.Name, filter.Description, new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = filter.MaxLength ?? 200 });
        }
    }

    private static OpenApiSchema Enumeration(IReadOnlyList<string> values) =>
        new() { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] };

    /// <summary>A comma-separated list (<c>style=form, explode=false</c>: <c>status=new,assigned</c>).</summary>
    private static OpenApiParameter CommaList(string name, string description, IReadOnlyList<string> values)
    {
        var parameter = Query(name, description, new OpenApiSchema { Type = JsonSchemaType.Array, Items = Enumeration(values), MinItems = 1, UniqueItems = true });
        parameter.Style = ParameterStyle.Form;
        parameter.Explode = false;
        return parameter;
    }

    private static OpenApiParameter Query(string name, string description, OpenApiSchema schema) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = false,
        Description = description,
        Schema = schema,
    };
}
