using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Crm;

public sealed class CreateCustomerRequest
{
    public string? CustomerNumber { get; set; }

    public string? Name { get; set; }

    public string? VatId { get; set; }

    public string? Language { get; set; }

    public string? Notes { get; set; }
}

/// <summary>Customers (the MSP's client companies).</summary>
public static class CustomersApi
{
    private static readonly string[] Filters = ["search", "is_active"];

    public static IEndpointRouteBuilder MapCustomersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/customers").WithTags("Customers");
        group.MapGet(string.Empty, ListCustomers).WithName("ListCustomers").WithSummary("List customers (filters: search, is_active)").RequirePermission(Permissions.CustomerView);
        group.MapGet("/{id:guid}", GetCustomer).WithName("GetCustomer").WithSummary("One customer").RequirePermission(Permissions.CustomerView);
        group.MapPost(string.Empty, CreateCustomer).WithName("CreateCustomer").WithSummary("Create a customer").RequirePermission(Permissions.CustomerCreate);
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<Customer>>, JsonHttpResult<ErrorEnvelope>>> ListCustomers(
        HttpContext context, CustomerStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. CustomerStore.SortColumns.Keys], CustomerStore.DefaultSort);
        var filter = new CustomerFilter(query.Text("search"), query.Boolean("is_active"));
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await store.ListAsync(filter, query.Sort, query.Page, cancellationToken);
        var response = query.ToResponse(context.Request, rows, c => c);
        return response is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<Customer>, JsonHttpResult<ErrorEnvelope>>> GetCustomer(
        Guid id, HttpContext context, CustomerStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var customer = await store.GetAsync(id, cancellationToken);
        return customer is null ? ApiErrors.NotFound(context, "Customer") : TypedResults.Ok(customer);
    }

    public static async Task<Created<Customer>> CreateCustomer(CreateCustomerRequest request, CustomerStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        var valid = CustomerRules.Validate(request.CustomerNumber, request.Name, request.VatId, request.Language, request.Notes);
        var customer = await store.CreateAsync(valid, cancellationToken);
        return TypedResults.Created($"/api/v1/customers/{customer.Id}", customer);
    }
}
