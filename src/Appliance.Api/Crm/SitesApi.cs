using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Crm;

public sealed class CreateSiteRequest
{
    public string? Name { get; set; }

    public string? Street { get; set; }

    public string? PostalCode { get; set; }

    public string? City { get; set; }

    public string? Country { get; set; }

    public string? Notes { get; set; }

    public SiteInput ToInput() => new(Name, Street, PostalCode, City, Country, Notes);
}

public sealed class UpdateSiteRequest : PatchRequest
{
    public string? Name { get; set { field = value; Mark(nameof(Name)); } }

    public string? Street { get; set { field = value; Mark(nameof(Street)); } }

    public string? PostalCode { get; set { field = value; Mark(nameof(PostalCode)); } }

    public string? City { get; set { field = value; Mark(nameof(City)); } }

    public string? Country { get; set { field = value; Mark(nameof(Country)); } }

    public string? Notes { get; set { field = value; Mark(nameof(Notes)); } }

    public SitePatch ToPatch() => new(
        Field(nameof(Name), Name),
        Field(nameof(Street), Street),
        Field(nameof(PostalCode), PostalCode),
        Field(nameof(City), City),
        Field(nameof(Country), Country),
        Field(nameof(Notes), Notes));
}

/// <summary>Sites: a customer's locations. Created and listed under their customer, read and changed by their own id.</summary>
public static class SitesApi
{
    internal static readonly QueryFilterCollection NestedFilters = new(
        QueryFilter.Search("Words matched against the site's name and address"),
        QueryFilter.Text("country", "Sites in this country: a two-letter ISO 3166 code (either case)", 2));

    internal static readonly QueryFilterCollection Filters = NestedFilters.With(QueryFilter.Uuid("customer_id", "Sites of this customer"));

    public static IEndpointRouteBuilder MapSitesApi(this IEndpointRouteBuilder routes)
    {
        var nested = routes.MapGroup("/api/v1/customers/{customerId:guid}/sites").WithTags("Sites");
        nested.MapGet(string.Empty, ListCustomerSites).WithName("ListCustomerSites")
            .WithSummary("A customer's sites (filters: search by name or city, country; fields; include=customer)").RequireAuthorization(Permissions.CustomerView);
        nested.MapPost(string.Empty, CreateSite).WithName("CreateSite").WithSummary("Add a site to a customer").RequireAuthorization(Permissions.CustomerUpdate);

        var group = routes.MapGroup("/api/v1/sites").WithTags("Sites");
        group.MapGet(string.Empty, ListSites).WithName("ListSites")
            .WithSummary("Sites of all customers (filters: customer_id, search, country; fields; include=customer)").RequireAuthorization(Permissions.CustomerView);
        group.MapGet("/{id:guid}", GetSite).WithName("GetSite").WithSummary("One site, with its ETag").RequireAuthorization(Permissions.CustomerView);
        group.MapPatch("/{id:guid}", UpdateSite).WithName("UpdateSite").WithSummary("Change a site (partial; If-Match)").RequireAuthorization(Permissions.CustomerUpdate);
        group.MapDelete("/{id:guid}", DeleteSite).WithName("DeleteSite").WithSummary("Soft-delete a site (If-Match)").RequireAuthorization(Permissions.CustomerUpdate);
        return routes;
    }

    public static Task<Results<Ok<ListResponse<Site>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListCustomerSites(
        Guid customerId, HttpContext context, SiteStore store, CustomerStore customers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = Query(context, NestedFilters);
        var filter = new SiteFilter(customerId, query.Text("search"), Country(query));
        return CustomerChildResources.ListOfCustomerAsync(
            context, customerId, customers, query, () => store.ListAsync(filter, query.Sort, query.Page, cancellationToken), Shaper(customers), cancellationToken);
    }

    public static Task<Results<Ok<ListResponse<Site>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListSites(
        HttpContext context, SiteStore store, CustomerStore customers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = Query(context, Filters);
        var filter = new SiteFilter(query.Uuid("customer_id"), query.Text("search"), Country(query));
        return VersionedResources.ListAsync(context, query, () => store.ListAsync(filter, query.Sort, query.Page, cancellationToken), Shaper(customers), cancellationToken);
    }

    public static Task<Results<Ok<Site>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetSite(
        Guid id, HttpContext context, SiteStore store, CustomerStore customers, CancellationToken cancellationToken) =>
        VersionedResources.GetAsync(context, "Site", ApiJsonContext.Default.Site, CustomerChildResources.Includes, () => store.GetAsync(id, cancellationToken), Shaper(customers), cancellationToken);

    public static async Task<Results<Created<Site>, JsonHttpResult<ErrorEnvelope>>> CreateSite(Guid customerId, CreateSiteRequest request, HttpContext context, SiteStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var valid = SiteRules.ValidateCreate(request.ToInput());
        var outcome = await store.CreateAsync(customerId, valid, context.Principal(), cancellationToken);
        return VersionedResources.Created(context, outcome, site => $"/api/v1/sites/{site.Id}");
    }

    public static Task<Results<Ok<Site>, JsonHttpResult<ErrorEnvelope>>> UpdateSite(
        Guid id, UpdateSiteRequest request, HttpContext context, SiteStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var patch = request.ToPatch();
        return VersionedResources.ChangeAsync(context, expected => store.UpdateAsync(id, expected, current => SiteRules.ValidateChange(current, patch), context.Principal(), cancellationToken));
    }

    public static Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteSite(Guid id, HttpContext context, SiteStore store, CancellationToken cancellationToken) =>
        VersionedResources.DeleteAsync(context, expected => store.DeleteAsync(id, expected, context.Principal(), cancellationToken));

    /// <summary>The country filter takes the two-letter code in either case.</summary>
    private static string? Country(ListQuery query)
    {
        var text = query.Text("country", 2)?.ToUpperInvariant();
        if (text is not null && (text.Length != 2 || !text.All(char.IsAsciiLetterUpper)))
        {
            query.Errors.Add(new ErrorDetail("country", "Must be a two-letter ISO 3166 code like DE"));
            return null;
        }

        return text;
    }

    private static ListQuery Query(HttpContext context, QueryFilterCollection filters) =>
        ListQuery.Parse(context.Request, filters, [.. SiteStore.SortColumns.Keys], SiteStore.DefaultSort, ApiJsonContext.Default.Site, CustomerChildResources.Includes);

    private static Shaper<Site> Shaper(CustomerStore customers) => CustomerChildResources.Shaper(customers, ApiJsonContext.Default.Site);
}
