using System.Text.Json.Serialization.Metadata;
using Appliance.Api.Http;
using Appliance.Api.Json;
using Appliance.Domain.Crm;
using Appliance.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Crm;

/// <summary>What the contacts and sites endpoints share: <c>include=customer</c> and lists nested under a customer.</summary>
internal static class CustomerChildResources
{
    public const string CustomerInclude = "customer";

    public static readonly string[] Includes = [CustomerInclude];

    /// <summary>Loads the page's customers once (when included) and embeds each item's own.</summary>
    public static Shaper<T> Shaper<T>(CustomerStore customers, JsonTypeInfo<T> typeInfo)
        where T : ICustomerOwned => async (representation, items, cancellationToken) =>
    {
        var owners = representation.Has(CustomerInclude)
            ? (await customers.GetManyAsync([.. items.Select(i => i.CustomerId).Distinct()], cancellationToken)).ToDictionary(c => c.Id)
            : null;
        return item =>
        {
            var shaped = representation.Shape(item, typeInfo);
            return owners is null ? shaped : shaped.Embed(CustomerInclude, owners.GetValueOrDefault(item.CustomerId), ApiJsonContext.Default.Customer);
        };
    };

    /// <summary>A list under <c>/customers/{id}/…</c>: 404 when that customer does not exist or was deleted.</summary>
    public static async Task<Results<Ok<ListResponse<T>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListOfCustomerAsync<T>(
        HttpContext context, Guid customerId, CustomerStore customers, ListQuery query, Func<Task<Paged<T>>> read, Shaper<T> shaper, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(query);
        if (query.IsValid && await customers.GetAsync(customerId, cancellationToken) is null)
        {
            return ApiErrors.NotFound(context, "Customer");
        }

        return await VersionedResources.ListAsync(context, query, read, shaper, cancellationToken);
    }
}
