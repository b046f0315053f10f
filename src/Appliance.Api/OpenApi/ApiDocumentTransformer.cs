using System.Text.RegularExpressions;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Appliance.Api.OpenApi;

/// <summary>The document's title, its security schemes and the error envelope every error answer uses.</summary>
internal sealed partial class ApiDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "bearer";
    public const string ApiKeyScheme = "apiKey";
    public const string ErrorEnvelopeSchema = "ErrorEnvelope";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "PSA Appliance API";
        document.Info.Version = "v1";
        document.Info.Description = "Errors always answer with the envelope {error:{code,message,details[{field,message}],request_id,timestamp}}. "
            + "Lists answer {data,meta,links} and take page, limit, sort and order besides their filters; an unknown query parameter is a 400.";
        AddSecuritySchemes(document);
        MergeSameShapePaths(document);
        return Task.CompletedTask;
    }

    /// <summary>
    /// OpenAPI allows one path per shape, but routing tells <c>/tickets/{id:guid}</c> from <c>/tickets/{number:long}</c> by
    /// their constraints. The second is described inside the first: its path parameter takes either form.
    /// </summary>
    private static void MergeSameShapePaths(OpenApiDocument document)
    {
        var firstByShape = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in document.Paths.Keys.ToList())
        {
            var shape = PathParameter().Replace(path, "{}");
            if (!firstByShape.TryGetValue(shape, out var first))
            {
                firstByShape[shape] = path;
                continue;
            }

            if (document.Paths[first] is not OpenApiPathItem target || document.Paths[path].Operations is not { } aliases)
            {
                continue;
            }

            target.Operations ??= [];
            var names = PathParameter().Matches(first).Select(m => m.Value.Trim('{', '}')).ToList();
            var aliasNames = PathParameter().Matches(path).Select(m => m.Value.Trim('{', '}')).ToList();
            foreach (var (method, alias) in aliases)
            {
                if (!target.Operations.TryGetValue(method, out var existing))
                {
                    foreach (var parameter in alias.Parameters?.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path) ?? [])
                    {
                        parameter.Name = names[aliasNames.IndexOf(parameter.Name!)];
                    }

                    target.Operations[method] = alias;
                    continue;
                }

                for (var i = 0; i < names.Count; i++)
                {
                    var mine = existing.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Path && p.Name == names[i]);
                    var theirs = alias.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Path && p.Name == aliasNames[i]);
                    if (mine?.Schema is { } a && theirs?.Schema is { } b && names[i] != aliasNames[i])
                    {
                        mine.Schema = new OpenApiSchema { AnyOf = [a, b] };
                        mine.Description = $"{mine.Description}; or {theirs.Description ?? aliasNames[i]} ({alias.OperationId})";
                    }
                }

                existing.Description = $"{existing.Description}\n\nAlso {alias.OperationId}: {alias.Summary}.";
            }

            document.Paths.Remove(path);
        }
    }

    [GeneratedRegex("{[^}]+}")]
    private static partial Regex PathParameter();

    public static void AddSecuritySchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "Authorization: Bearer <access token> from /api/v1/auth/login (an API key psa_… is accepted here too)",
        };
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApplianceAuthentication.ApiKeyHeader,
            Description = "An API key (psa_…) for integrations; it cannot call endpoints that need a signed-in user",
        };
    }

    /// <summary>A reference to the error envelope's schema, registered in the document on first use.</summary>
    public static async Task<IOpenApiSchema> ErrorEnvelopeAsync(OpenApiDocument document, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        if (!document.Components.Schemas.ContainsKey(ErrorEnvelopeSchema))
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(ErrorEnvelope), null, cancellationToken);
            document.AddComponent(ErrorEnvelopeSchema, schema);
        }

        // Security schemes are referenced by operations before the document transformers run.
        AddSecuritySchemes(document);
        return new OpenApiSchemaReference(ErrorEnvelopeSchema, document);
    }
}
