using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Crm;

public sealed class CreateContactRequest
{
    public string? FirstName { get; set; }

    public string? LastName { get; set; }

    public string? Email { get; set; }

    public string? Phone { get; set; }

    public string? Mobile { get; set; }

    /// <summary>The person's role at the customer (free text: "IT-Leitung", "Geschäftsführer").</summary>
    public string? Role { get; set; }

    public bool? IsPrimary { get; set; }

    public string? Notes { get; set; }

    public ContactInput ToInput() => new(FirstName, LastName, Email, Phone, Mobile, Role, IsPrimary, Notes);
}

public sealed class UpdateContactRequest : PatchRequest
{
    public string? FirstName { get; set { field = value; Mark(nameof(FirstName)); } }

    public string? LastName { get; set { field = value; Mark(nameof(LastName)); } }

    public string? Email { get; set { field = value; Mark(nameof(Email)); } }

    public string? Phone { get; set { field = value; Mark(nameof(Phone)); } }

    public string? Mobile { get; set { field = value; Mark(nameof(Mobile)); } }

    public string? Role { get; set { field = value; Mark(nameof(Role)); } }

    public bool? IsPrimary { get; set { field = value; Mark(nameof(IsPrimary)); } }

    public string? Notes { get; set { field = value; Mark(nameof(Notes)); } }

    public ContactPatch ToPatch() => new(
        Field(nameof(FirstName), FirstName),
        Field(nameof(LastName), LastName),
        Field(nameof(Email), Email),
        Field(nameof(Phone), Phone),
        Field(nameof(Mobile), Mobile),
        Field(nameof(Role), Role),
        Field(nameof(IsPrimary), IsPrimary),
        Field(nameof(Notes), Notes));
}

/// <summary>Contacts: people at a customer. Created and listed under their customer, read and changed by their own id.</summary>
public static class ContactsApi
{
    internal static readonly QueryFilterCollection NestedFilters = new(
        QueryFilter.Search("Words matched against the contact's name, email and phone"),
        QueryFilter.Boolean("is_primary", "Only the primary contact (true) or only the others (false)"));

    internal static readonly QueryFilterCollection Filters = NestedFilters.With(QueryFilter.Uuid("customer_id", "Contacts of this customer"));

    public static IEndpointRouteBuilder MapContactsApi(this IEndpointRouteBuilder routes)
    {
        var nested = routes.MapGroup("/api/v1/customers/{customerId:guid}/contacts").WithTags("Contacts");
        nested.MapGet(string.Empty, ListCustomerContacts).WithName("ListCustomerContacts")
            .WithSummary("A customer's contacts (filters: search by name or email, is_primary; fields; include=customer)").RequireAuthorization(Permissions.CustomerView);
        nested.MapPost(string.Empty, CreateContact).WithName("CreateContact").WithSummary("Add a contact to a customer").RequireAuthorization(Permissions.CustomerUpdate);

        var group = routes.MapGroup("/api/v1/contacts").WithTags("Contacts");
        group.MapGet(string.Empty, ListContacts).WithName("ListContacts")
            .WithSummary("Contacts of all customers (filters: customer_id, search, is_primary; fields; include=customer)").RequireAuthorization(Permissions.CustomerView);
        group.MapGet("/{id:guid}", GetContact).WithName("GetContact").WithSummary("One contact, with its ETag").RequireAuthorization(Permissions.CustomerView);
        group.MapPatch("/{id:guid}", UpdateContact).WithName("UpdateContact").WithSummary("Change a contact (partial; If-Match)").RequireAuthorization(Permissions.CustomerUpdate);
        group.MapDelete("/{id:guid}", DeleteContact).WithName("DeleteContact").WithSummary("Soft-delete a contact (If-Match)").RequireAuthorization(Permissions.CustomerUpdate);
        return routes;
    }

    public static Task<Results<Ok<ListResponse<Contact>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListCustomerContacts(
        Guid customerId, HttpContext context, ContactStore store, CustomerStore customers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = Query(context, NestedFilters);
        var filter = new ContactFilter(customerId, query.Text("search"), query.Boolean("is_primary"));
        return CustomerChildResources.ListOfCustomerAsync(
            context, customerId, customers, query, () => store.ListAsync(filter, query.Sort, query.Page, cancellationToken), Shaper(customers), cancellationToken);
    }

    public static Task<Results<Ok<ListResponse<Contact>>, Ok<ListResponse<Shaped>>, JsonHttpResult<ErrorEnvelope>>> ListContacts(
        HttpContext context, ContactStore store, CustomerStore customers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = Query(context, Filters);
        var filter = new ContactFilter(query.Uuid("customer_id"), query.Text("search"), query.Boolean("is_primary"));
        return VersionedResources.ListAsync(context, query, () => store.ListAsync(filter, query.Sort, query.Page, cancellationToken), Shaper(customers), cancellationToken);
    }

    public static Task<Results<Ok<Contact>, Ok<Shaped>, JsonHttpResult<ErrorEnvelope>>> GetContact(
        Guid id, HttpContext context, ContactStore store, CustomerStore customers, CancellationToken cancellationToken) =>
        VersionedResources.GetAsync(context, "Contact", ApiJsonContext.Default.Contact, CustomerChildResources.Includes, () => store.GetAsync(id, cancellationToken), Shaper(customers), cancellationToken);

    public static async Task<Results<Created<Contact>, JsonHttpResult<ErrorEnvelope>>> CreateContact(Guid customerId, CreateContactRequest request, HttpContext context, ContactStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var valid = ContactRules.ValidateCreate(request.ToInput());
        var outcome = await store.CreateAsync(customerId, valid, context.Principal(), cancellationToken);
        return VersionedResources.Created(context, outcome, contact => $"/api/v1/contacts/{contact.Id}");
    }

    public static Task<Results<Ok<Contact>, JsonHttpResult<ErrorEnvelope>>> UpdateContact(
        Guid id, UpdateContactRequest request, HttpContext context, ContactStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var patch = request.ToPatch();
        return VersionedResources.ChangeAsync(context, expected => store.UpdateAsync(id, expected, current => ContactRules.ValidateChange(current, patch), context.Principal(), cancellationToken));
    }

    public static Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteContact(Guid id, HttpContext context, ContactStore store, CancellationToken cancellationToken) =>
        VersionedResources.DeleteAsync(context, expected => store.DeleteAsync(id, expected, context.Principal(), cancellationToken));

    private static ListQuery Query(HttpContext context, QueryFilterCollection filters) =>
        ListQuery.Parse(context.Request, filters, [.. ContactStore.SortColumns.Keys], ContactStore.DefaultSort, ApiJsonContext.Default.Contact, CustomerChildResources.Includes);

    private static Shaper<Contact> Shaper(CustomerStore customers) => CustomerChildResources.Shaper(customers, ApiJsonContext.Default.Contact);
}
