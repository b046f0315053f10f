namespace Appliance.Api.OpenApi;

/// <summary>
/// The OpenAPI document at <c>/api/v1/openapi.json</c>: Microsoft.AspNetCore.OpenApi builds it from the endpoints
/// (the request-delegate generator's parameter and response metadata, source-generated JSON type info), and the two
/// transformers here, registered as instances (no reflection activation), add what the endpoints do not declare
/// themselves: query parameters, error answers, headers and security.
/// </summary>
public static class ApiDocumentation
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer(new ApiDocumentTransformer());
            options.AddOperationTransformer(new ApiOperationTransformer());
        });
}
