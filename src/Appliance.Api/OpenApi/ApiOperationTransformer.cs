using System.Globalization;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Appliance.Api.OpenApi;

/// <summary>
/// Completes each operation from the endpoint's own metadata and declarations: its query parameters
/// (<see cref="QueryParameterCatalog"/>), the <c>If-Match</c> header where writes honour it, every error answer with the
/// error envelope, the headers every answer carries, and which credentials it takes (none, a user's bearer token, or
/// a bearer token or API key).
/// </summary>
internal sealed class ApiOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var name = metadata.OfType<IEndpointNameMetadata>().LastOrDefault()?.EndpointName ?? operation.OperationId;
        var method = description.HttpMethod ?? "GET";
        var path = "/" + description.RelativePath;
        var access = EndpointAccess.Of(metadata);
        var document = context.Document ?? throw new InvalidOperationException("the operation has no document");
        var envelope = await ApiDocumentTransformer.ErrorEnvelopeAsync(document, context, cancellationToken);

        operation.Parameters ??= [];
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path))
        {
            parameter.Description ??= parameter.Schema?.Format == "uuid" ? $"The {parameter.Name} (a UUID)" : $"The {parameter.Name}";
        }

        var query = QueryParameterCatalog.For(name);
        if (query is null && method == "GET" && description.SupportedResponseTypes.Any(r => r.Type is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(ListResponse<>)))
        {
            // A list whose parameters nobody described would reach clients undocumented; fail the document instead.
            throw new InvalidOperationException($"{name} answers a list but QueryParameterCatalog does not describe its query parameters");
        }

        foreach (var parameter in query is null ? [] : QueryParameterSchemas.For(query))
        {
            operation.Parameters.Add(parameter);
        }

        var ifMatch = QueryParameterCatalog.HonoursIfMatch(name);
        if (ifMatch)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = EntityTags.IfMatchHeader,
                In = ParameterLocation.Header,
                Required = false,
                Description = "Apply the change only to this version: the ETag of an earlier read (\"7\"), a list of them, or *. Without it the change applies to the current version.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        var readsBody = description.ParameterDescriptions.Any(p => p.Source == BindingSource.Body);
        if (readsBody && operation.RequestBody is OpenApiRequestBody body)
        {
            body.Required = true;
        }

        operation.Responses ??= [];
        await DescribeFullShapeAsync(operation, context, cancellationToken);
        foreach (var (status, response) in operation.Responses)
        {
            if (response is OpenApiResponse success && status.StartsWith('2'))
            {
                AddHeaders(success, document, access, versioned: query?.SortFields is null && (query?.ItemType is not null || ifMatch) && status != "204");
            }
        }

        var hasPathId = description.ParameterDescriptions.Any(p => p.Source == BindingSource.Path);
        var errors = new SortedDictionary<int, string>();
        if (query is not null)
        {
            errors[400] = "A query parameter is unknown, given twice or malformed (details name each one)";
        }

        if (readsBody)
        {
            errors[400] = "The body is not valid JSON, has a value of the wrong type, a duplicate or unknown property, or a query parameter is wrong";
            errors[413] = "The body is larger than the server accepts";
            errors[415] = "The body is not application/json";
            errors[422] = "The input breaks a rule (details name each field)";
        }

        if (access.Kind != AccessKind.Anonymous)
        {
            errors[401] = "No credentials, or an expired, revoked or invalid token or API key";
            errors[403] = access.Kind == AccessKind.UserSession
                ? "The caller lacks the permission, is an API key (this endpoint needs a signed-in user), or must enrol in MFA first"
                : "The caller lacks the permission, or must enrol in MFA first";
        }

        if (hasPathId)
        {
            errors[404] = "No such record, or one the caller may not see";
        }

        if (method is "POST" or "PUT" or "PATCH" or "DELETE" && access.Kind != AccessKind.Anonymous)
        {
            errors[409] = "The change conflicts with the current state (a duplicate, or a record still in use)";
        }

        if (ifMatch)
        {
            errors[412] = "If-Match names no current version: someone else changed the record; read it again";
        }

        if (!path.StartsWith("/health", StringComparison.Ordinal) && !path.StartsWith("/ready", StringComparison.Ordinal))
        {
            errors[429] = "Too many requests from this caller or address; retry after Retry-After seconds";
        }

        if (!path.StartsWith("/health", StringComparison.Ordinal))
        {
            errors[503] = "PostgreSQL or Redis cannot answer right now; retry shortly";
        }

        if (path == "/ready" && operation.Responses.TryGetValue("200", out var ready))
        {
            // Not ready answers the same report as ready, with 503.
            operation.Responses["503"] = new OpenApiResponse { Description = "PostgreSQL, Redis or the schema is not usable; the report says which", Content = ready.Content, Headers = ready.Headers };
        }

        foreach (var (status, text) in errors)
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key))
            {
                continue;
            }

            var response = new OpenApiResponse
            {
                Description = text,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["application/json"] = new() { Schema = envelope } },
            };
            AddRequestId(response);
            if (status == 429)
            {
                response.Headers!["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };
            }

            if (status == 401)
            {
                response.Headers!["WWW-Authenticate"] = new OpenApiHeader { Description = "Bearer", Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }

            operation.Responses[key] = response;
        }

        operation.Security = access.Kind switch
        {
            AccessKind.Anonymous => null,
            AccessKind.UserSession => [Requirement(document, ApiDocumentTransformer.BearerScheme)],
            _ => [Requirement(document, ApiDocumentTransformer.BearerScheme), Requirement(document, ApiDocumentTransformer.ApiKeyScheme)],
        };
        var who = access.Kind switch
        {
            AccessKind.Anonymous => "Anonymous: needs no credentials.",
            AccessKind.UserSession => "Needs a signed-in user's access token (never an API key).",
            _ => "Needs an access token or an API key.",
        };
        if (access.Permissions.Count > 0)
        {
            who += $" Permission: {string.Join(" or ", access.Permissions)}.";
        }

        operation.Description = string.IsNullOrEmpty(operation.Description) ? who : $"{operation.Description}\n\n{who}";
    }

    /// <summary>
    /// A handler that shapes its answer (<c>fields</c>, <c>include</c>) declares two 200 types, the full item and the
    /// shaped one; the document names the full type (what a client gets without those parameters), not the shaped one.
    /// </summary>
    private static async Task DescribeFullShapeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        // The API description keeps one type per status, so read both from the endpoint's metadata.
        var ok = context.Description.ActionDescriptor.EndpointMetadata.OfType<IProducesResponseTypeMetadata>()
            .Where(r => r.StatusCode == StatusCodes.Status200OK && r.Type is not null).ToList();
        var full = ok.FirstOrDefault(r => !IsShaped(r.Type!))?.Type;
        if (ok.Count < 2 || full is null || operation.Responses?.TryGetValue("200", out var response) != true || response is not OpenApiResponse success)
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(full, null, cancellationToken);
        success.Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["application/json"] = new() { Schema = schema } };
        success.Description = "OK. With fields or include, each item holds only the named properties (id always) and the embedded relations.";
    }

    private static bool IsShaped(Type type) =>
        type == typeof(Shaped) || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ListResponse<>) && type.GetGenericArguments()[0] == typeof(Shaped));

    private static OpenApiSecurityRequirement Requirement(OpenApiDocument document, string scheme) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static void AddRequestId(OpenApiResponse response)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
        response.Headers[RequestIdMiddleware.HeaderName] = new OpenApiHeader
        {
            Description = "The request's id (also error.request_id and in the server's log lines)",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        };
    }

    private static void AddHeaders(OpenApiResponse response, OpenApiDocument document, EndpointAccess access, bool versioned)
    {
        _ = document;
        AddRequestId(response);
        if (versioned)
        {
            response.Headers!["ETag"] = new OpenApiHeader
            {
                Description = "The record's version, to send back in If-Match",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        if (access.Kind != AccessKind.Anonymous)
        {
            foreach (var header in new[] { "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset" })
            {
                response.Headers![header] = new OpenApiHeader { Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };
            }
        }
    }
}

internal enum AccessKind
{
    Anonymous,
    UserSession,
    TokenOrApiKey,
}

/// <summary>Who may call an endpoint, read from the same metadata the authentication layer enforces.</summary>
internal sealed record EndpointAccess(AccessKind Kind, IReadOnlyList<string> Permissions)
{
    public static EndpointAccess Of(IList<object> metadata)
    {
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return new EndpointAccess(AccessKind.Anonymous, []);
        }

        // Policies are attached by name (one per permission) or as policy objects (any-of, user session).
        var requirements = metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements).ToList();
        var permissions = requirements.OfType<PermissionRequirement>().SelectMany(r => r.AnyOf)
            .Concat(metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>())
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var kind = requirements.OfType<UserSessionRequirement>().Any() ? AccessKind.UserSession : AccessKind.TokenOrApiKey;
        return new EndpointAccess(kind, permissions);
    }
}
