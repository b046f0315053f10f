using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Crm;

public sealed class CreateCustomerRequest
{
    /// <summary>Optional: the next <c>K-00001</c> when left out.</summary>
    public string? CustomerNumber { get; set; }

    public string? Name { get; set; }

    public string? VatId { get; set; }

    public string? Language { get; set; }

    public string? Notes { get; set; }

    public bool? IsActive { get; set; }

    public string? Street { get; set; }

    public string? PostalCode { get; set; }

    public string? City { get; set; }

    public string? Country { get; set; }

    public CustomerInput ToInput() => new(CustomerNumber, Name, VatId, Language, Notes, IsActive, Street, PostalCode, City, Country);
}

public sealed class UpdateCustomerRequest : PatchRequest
{
    public string? CustomerNumber { get; set { field = value; Mark(nameof(CustomerNumber)); } }

    public string? Name { get; set { field = value; Mark(nameof(Name)); } }

    public string? VatId { get; set { field = value; Mark(nameof(VatId)); } }

    public string? Language { get; set { field = value; Mark(nameof(Language)); } }

    public string? Notes { get; set { field = value; Mark(nameof(Notes)); } }

    public bool? IsActive { get; set { field = value; Mark(nameof(IsActive)); } }

    public string? Street { get; set { field = value; Mark(nameof(Street)); } }

    public string? PostalCode { get; set { field = value; Mark(nameof(PostalCode)); } }

    public string? City { get; set { field = value; Mark(nameof(City)); } }

    public string? Country { get; set { field = value; Mark(nameof(Country)); } }

    public CustomerPatch ToPatch() => new(
        Field(nameof(CustomerNumber), CustomerNumber),
        Field(nameof(Name), Name),
        Field(nameof(VatId), VatId),
        Field(nameof(Language), Language),
        Field(nameof(Notes), Notes),
        Field(nameof(IsActive), IsActive),
        Field(nameof(Street), Street),
        Field(nameof(PostalCode), PostalCode),
        Field(nameof(City), City),
        Field(nameof(Country), Country));
}

/// <summary>Customers (the MSP's client companies): list, read, create, change, soft delete.</summary>
public static class CustomersApi
{
    public const string ContactsInclude = "contacts";
    public const string SitesInclude = "sites";

    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.Search("Words matched against the customer's number, name and email"),
        QueryFilter.Boolean("is_active", "Active (true) or inactive (false) customers"),
        QueryFilter.OneOf("language", CustomerRules.Languages, "Customers with this language"),
        QueryFilter.Timestamp("created_after", "Customers created at or after this instant"),
        QueryFilter.Timestamp("created_before", "Customers created before this instant"));

    internal static readonly string[] Includes = [ContactsInclude, SitesInclude];

    public static IEndpointRouteBuilder MapCustomersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/customers").WithTags("Customers");
        group.MapGet(string.Empty, ListCustomers).WithName("ListCustomers")
            .WithSummary("List customers (filters: search by name or number, is_active, language, created_after, created_before; fields; include=contacts,sites)")
            .RequireAuthorization(Permissions.CustomerView);
        group.MapGet("/{id:guid}", GetCustomer).WithName("GetCustomer").WithSummary("One customer, with its ETag (fields; include=contacts,sites)").RequireAuthorization(Permissions.CustomerView);
        group.MapPost(string.Empty, CreateCustomer).WithName("CreateCustomer").WithSummary("Create a customer (the number is generated when left out)").RequireAuthorization(Permissions.CustomerCreate);
        group.MapPatch("/{id:guid}", UpdateCustomer).WithName("UpdateCustomer").WithSummary("Change a customer (partial; If-Match)").RequireAuthorization(Permissions.CustomerUpdate);
        group.MapDelete("/{id:guid}", DeleteCustomer).WithName("DeleteCustomer").WithSummary("Soft-delete a customer with its contacts and sites (If-Match)").RequireAuthorization(Permissions.CustomerDelete);
        return routes;
    }

    public static Task<Results<Ok<ListResponse<Customer>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListCustomers(
        HttpContext context, CustomerStore store, ContactStore contacts, SiteStore sites, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. CustomerStore.SortColumns.Keys], CustomerStore.DefaultSort, ApiJsonContext.Default.Customer, Includes);
        var filter = new CustomerFilter(
            query.Text("search"),
            query.Boolean("is_active"),
            query.OneOf("language", CustomerRules.Languages),
            query.Timestamp("created_after"),
            query.Timestamp("created_before"));
        return VersionedResources.ListAsync(context, query, () => store.ListAsync(filter, query.Sort, query.Page, cancellationToken), Shaper(contacts, sites), cancellationToken);
    }

    public static Task<Results<Ok<Customer>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetCustomer(
        Guid id, HttpContext context, CustomerStore store, ContactStore contacts, SiteStore sites, CancellationToken cancellationToken) =>
        VersionedResources.GetAsync(context, "Customer", ApiJsonContext.Default.Customer, Includes, () => store.GetAsync(id, cancellationToken), Shaper(contacts, sites), cancellationToken);

    public static async Task<Results<Created<Customer>, JsonHttpResult<ErrorEnvelope>>> CreateCustomer(CreateCustomerRequest request, HttpContext context, CustomerStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var valid = CustomerRules.ValidateCreate(request.ToInput());
        var outcome = await store.CreateAsync(valid, context.Principal(), cancellationToken);
        return VersionedResources.Created(context, outcome, customer => $"/api/v1/customers/{customer.Id}");
    }

    public static Task<Results<Ok<Customer>, JsonHttpResult<ErrorEnvelope>>> UpdateCustomer(
        Guid id, UpdateCustomerRequest request, HttpContext context, CustomerStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var patch = request.ToPatch();
        return VersionedResources.ChangeAsync(context, expected => store.UpdateAsync(id, expected, current => CustomerRules.ValidateChange(current, patch), context.Principal(), cancellationToken));
    }

    public static Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteCustomer(Guid id, HttpContext context, CustomerStore store, CancellationToken cancellationToken) =>
        VersionedResources.DeleteAsync(context, expected => store.DeleteAsync(id, expected, context.Principal(), cancellationToken));

    /// <summary>Loads the page's contacts and sites once (when included) and embeds each customer's own.</summary>
    private static Shaper<Customer> Shaper(ContactStore contacts, SiteStore sites) => async (representation, items, cancellationToken) =>
    {
        var ids = items.Select(c => c.Id).ToList();
        var contactsByCustomer = representation.Has(ContactsInclude) ? await contacts.ListForCustomersAsync(ids, cancellationToken) : null;
        var sitesByCustomer = representation.Has(SitesInclude) ? await sites.ListForCustomersAsync(ids, cancellationToken) : null;
        return customer =>
        {
            var shaped = representation.Shape(customer, ApiJsonContext.Default.Customer);
            if (contactsByCustomer is not null)
            {
                shaped.Embed(ContactsInclude, contactsByCustomer[customer.Id].ToList(), ApiJsonContext.Default.ListContact);
            }

            if (sitesByCustomer is not null)
            {
                shaped.Embed(SitesInclude, sitesByCustomer[customer.Id].ToList(), ApiJsonContext.Default.ListSite);
            }

            return shaped;
        };
    };
}
