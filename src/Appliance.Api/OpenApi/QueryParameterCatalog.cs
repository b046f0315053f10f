using System.Text.Json.Serialization.Metadata;
using Appliance.Api.Crm;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Api.Sla;
using Appliance.Api.Tickets;
using Appliance.Domain.Audit;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Appliance.Domain.Sla;
using Appliance.Domain.Tickets;

namespace Appliance.Api.OpenApi;

/// <summary>
/// The query parameters of an endpoint, from the declarations its handler parses with: the filters
/// (<see cref="QueryFilterCollection"/>), the sort columns of its store, and the item type and relations that <c>fields</c> and
/// <c>include</c> accept. A list endpoint takes <c>page</c>, <c>limit</c>, <c>sort</c> and <c>order</c> as well.
/// </summary>
/// <param name="Filters">The filters (or, for a single resource, the other parameters it takes).</param>
/// <param name="SortFields">What <c>sort</c> may name; null for an endpoint that is not a paged list.</param>
/// <param name="ItemType">The resource type <c>fields</c> names properties of; null when the endpoint does not shape.</param>
/// <param name="Includes">What <c>include</c> may name.</param>
public sealed record EndpointQuery(QueryFilterCollection Filters, IReadOnlyCollection<string>? SortFields, JsonTypeInfo? ItemType, IReadOnlyCollection<string> Includes)
{
    public static EndpointQuery List(QueryFilterCollection filters, IEnumerable<string> sortFields, JsonTypeInfo? itemType = null, IReadOnlyCollection<string>? includes = null) =>
        new(filters, [.. sortFields], itemType, includes ?? []);

    public static EndpointQuery Resource(JsonTypeInfo itemType, IReadOnlyCollection<string>? includes = null) => new(new QueryFilterCollection(), null, itemType, includes ?? []);

    public static EndpointQuery Parameters(QueryFilterCollection parameters) => new(parameters, null, null, []);
}

/// <summary>Which endpoint (by its name, the operationId) takes which query parameters. Every other endpoint takes none.</summary>
public static class QueryParameterCatalog
{
    private static readonly Dictionary<string, EndpointQuery> Endpoints = new(StringComparer.Ordinal)
    {
        ["ListTickets"] = EndpointQuery.List(TicketsApi.Filters, TicketStore.SortColumns.Keys, ApiJsonContext.Default.Ticket, TicketsApi.Includes),
        ["GetTicket"] = EndpointQuery.Resource(ApiJsonContext.Default.Ticket, TicketsApi.Includes),
        ["GetTicketByNumber"] = EndpointQuery.Resource(ApiJsonContext.Default.Ticket, TicketsApi.Includes),
        ["ListCustomers"] = EndpointQuery.List(CustomersApi.Filters, CustomerStore.SortColumns.Keys, ApiJsonContext.Default.Customer, CustomersApi.Includes),
        ["GetCustomer"] = EndpointQuery.Resource(ApiJsonContext.Default.Customer, CustomersApi.Includes),
        ["ListContacts"] = EndpointQuery.List(ContactsApi.Filters, ContactStore.SortColumns.Keys, ApiJsonContext.Default.Contact, CustomerChildResources.Includes),
        ["ListCustomerContacts"] = EndpointQuery.List(ContactsApi.NestedFilters, ContactStore.SortColumns.Keys, ApiJsonContext.Default.Contact, CustomerChildResources.Includes),
        ["GetContact"] = EndpointQuery.Resource(ApiJsonContext.Default.Contact, CustomerChildResources.Includes),
        ["ListSites"] = EndpointQuery.List(SitesApi.Filters, SiteStore.SortColumns.Keys, ApiJsonContext.Default.Site, CustomerChildResources.Includes),
        ["ListCustomerSites"] = EndpointQuery.List(SitesApi.NestedFilters, SiteStore.SortColumns.Keys, ApiJsonContext.Default.Site, CustomerChildResources.Includes),
        ["GetSite"] = EndpointQuery.Resource(ApiJsonContext.Default.Site, CustomerChildResources.Includes),
        ["ListTicketComments"] = EndpointQuery.List(CommentsApi.Filters, CommentStore.SortColumns.Keys, ApiJsonContext.Default.TicketComment),
        ["GetComment"] = EndpointQuery.Resource(ApiJsonContext.Default.TicketComment),
        ["ListTimeEntries"] = EndpointQuery.List(TimeEntriesApi.Filters, TimeEntryStore.SortColumns.Keys, ApiJsonContext.Default.TimeEntry),
        ["ListTicketTimeEntries"] = EndpointQuery.List(TimeEntriesApi.TicketFilters, TimeEntryStore.SortColumns.Keys, ApiJsonContext.Default.TimeEntry),
        ["GetTimeEntry"] = EndpointQuery.Resource(ApiJsonContext.Default.TimeEntry),
        ["ListUsers"] = EndpointQuery.List(UsersApi.Filters, UserStore.SortColumns.Keys),
        ["ListApiKeys"] = EndpointQuery.List(ApiKeysApi.Filters, ApiKeyStore.SortColumns.Keys),
        ["ListAuditLog"] = EndpointQuery.List(AuditApi.Filters, AuditLog.SortColumns.Keys),
        ["ListSlaPolicies"] = EndpointQuery.List(SlaApi.Filters, SlaPolicyStore.SortColumns.Keys),
        ["PreviewSlaPolicy"] = EndpointQuery.Parameters(SlaApi.PreviewParameters),
    };

    /// <summary>Endpoints whose writes honour <c>If-Match</c> (412 when no listed tag is the current version).</summary>
    private static readonly HashSet<string> ConditionalWrites = new(StringComparer.Ordinal)
    {
        "UpdateTicket", "DeleteTicket", "MergeTicket",
        "UpdateCustomer", "DeleteCustomer", "UpdateContact", "DeleteContact", "UpdateSite", "DeleteSite",
        "UpdateComment", "DeleteComment", "UpdateTimeEntry", "DeleteTimeEntry", "ApproveTimeEntry", "UnapproveTimeEntry",
    };

    public static EndpointQuery? For(string? endpointName) =>
        endpointName is not null && Endpoints.TryGetValue(endpointName, out var query) ? query : null;

    public static bool HonoursIfMatch(string? endpointName) => endpointName is not null && ConditionalWrites.Contains(endpointName);
}
