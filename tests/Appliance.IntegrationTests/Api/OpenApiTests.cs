using Appliance.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.IntegrationTests.Api;

public sealed class OpenApiTests
{
    [Fact]
    public async Task Document_lists_every_mapped_endpoint_with_its_methods()
    {
        await using var api = await ApiServer.StartAsync();
        var response = await api.Client.GetAsync("/api/v1/openapi.json");
        Assert.Equal(200, (int)response.StatusCode);
        var document = await ApiServer.ReadJsonAsync(response);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths");

        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null)
            .Where(e => e.RoutePattern.RawText != "/api/{documentName}/openapi.json")
            .ToList();
        Assert.True(endpoints.Count >= 7, $"only {endpoints.Count} endpoints mapped");
        foreach (var endpoint in endpoints)
        {
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
                _ => string.Empty,
            }))));
            Assert.True(paths.TryGetProperty(path, out var item), $"OpenAPI document lacks {path}");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"OpenAPI document lacks {method} {path}");
                Assert.True(operation.TryGetProperty("operationId", out _), $"{method} {path} has no operationId");
            }
        }
    }
}
