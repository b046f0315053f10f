using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Domain.Sla;
using Appliance.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Appliance.Api.Sla;

public sealed record SlaTargetView(int ResponseMinutes, int ResolutionMinutes);

public sealed record SlaTargetsView(SlaTargetView Critical, SlaTargetView High, SlaTargetView Medium, SlaTargetView Low);

public sealed record OpeningHoursView(string Weekday, string Start, string End);

public sealed record HolidayView(DateOnly Date, string? Name);

/// <summary>An SLA policy as the API shows it; <c>assigned_customers</c> counts the customers that chose it explicitly.</summary>
public sealed record SlaPolicyView(
    Guid Id,
    string Name,
    string? Description,
    bool IsDefault,
    string TimeZone,
    SlaTargetsView Targets,
    IReadOnlyList<OpeningHoursView> OpeningHours,
    IReadOnlyList<HolidayView> Holidays,
    long AssignedCustomers,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary><c>{"sla_policy_id": "…"}</c> gives the customer its own policy, <c>{"sla_policy_id": null}</c> lets it follow the default.</summary>
public sealed class AssignSlaPolicyRequest
{
    private Guid? _slaPolicyId;

    public Guid? SlaPolicyId
    {
        get => _slaPolicyId;
        set
        {
            _slaPolicyId = value;
            SlaPolicyIdGiven = true;
        }
    }

    /// <summary>The body named <c>sla_policy_id</c> (null included), so an empty body is not mistaken for "use the default".</summary>
    [JsonIgnore]
    public bool SlaPolicyIdGiven { get; private set; }
}

public sealed record SlaPreviewEntry(string Priority, int ResponseTargetMinutes, int ResolutionTargetMinutes, DateTimeOffset ResponseDue, DateTimeOffset ResolutionDue);

/// <summary>Due dates of a new ticket opened at <c>start</c>, in the policy's local time.</summary>
public sealed record SlaPreview(Guid PolicyId, string TimeZone, DateTimeOffset Start, bool OpenAtStart, DateTimeOffset NextOpening, IReadOnlyList<SlaPreviewEntry> Priorities);

/// <summary>SLA policies, their business-hours calendars and which policy each customer uses.</summary>
public static partial class SlaApi
{
    internal static readonly QueryFilterCollection Filters = new(
        QueryFilter.Search("Words matched against the policy's name and description"),
        QueryFilter.Boolean("is_default", "Only the default policy (true) or only the others (false)"));

    internal static readonly QueryFilterCollection PreviewParameters = new(
        QueryFilter.Timestamp("start", "When the imagined ticket is opened (default now)"),
        QueryFilter.OneOf("priority", TicketVocabulary.Priorities, "Only this priority (default all)"));

    public static IEndpointRouteBuilder MapSlaApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/sla-policies").WithTags("SLA policies");
        group.MapGet(string.Empty, ListSlaPolicies).WithName("ListSlaPolicies").WithSummary("List SLA policies (filters: search, is_default)").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.SlaView, Permissions.SlaManage));
        group.MapGet("/{id:guid}", GetSlaPolicy).WithName("GetSlaPolicy").WithSummary("One SLA policy").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.SlaView, Permissions.SlaManage));
        group.MapPost(string.Empty, CreateSlaPolicy).WithName("CreateSlaPolicy").WithSummary("Create an SLA policy").RequireAuthorization(Permissions.SlaManage);
        group.MapPut("/{id:guid}", ReplaceSlaPolicy).WithName("ReplaceSlaPolicy").WithSummary("Replace an SLA policy's definition (is_default omitted keeps the flag)").RequireAuthorization(Permissions.SlaManage);
        group.MapDelete("/{id:guid}", DeleteSlaPolicy).WithName("DeleteSlaPolicy").WithSummary("Delete an SLA policy that is neither the default nor assigned").RequireAuthorization(Permissions.SlaManage);
        group.MapGet("/{id:guid}/preview", PreviewSlaPolicy).WithName("PreviewSlaPolicy").WithSummary("Due dates of a ticket opened at start (default now), for one priority or all").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.SlaView, Permissions.SlaManage));

        var customers = routes.MapGroup("/api/v1/customers/{id:guid}/sla-policy").WithTags("SLA policies");
        customers.MapGet(string.Empty, GetCustomerSlaPolicy).WithName("GetCustomerSlaPolicy").WithSummary("The customer's own SLA policy and the one in effect").RequireAuthorization(PermissionPolicies.AnyOf(Permissions.SlaView, Permissions.SlaManage));
        customers.MapPut(string.Empty, AssignCustomerSlaPolicy).WithName("AssignCustomerSlaPolicy").WithSummary("Give the customer its own SLA policy, or null for the default").RequireAuthorization(Permissions.SlaManage);
        return routes;
    }

    public static async Task<Results<Ok<ListResponse<SlaPolicyView>>, JsonHttpResult<ErrorEnvelope>>> ListSlaPolicies(
        HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        var query = ListQuery.Parse(context.Request, Filters, [.. SlaPolicyStore.SortColumns.Keys], SlaPolicyStore.DefaultSort);
        var filter = new SlaPolicyFilter(query.Text("search"), query.Boolean("is_default"));
        if (!query.IsValid)
        {
            return ApiErrors.BadQuery(context, query.Errors);
        }

        var rows = await store.ListAsync(filter, query.Sort, query.Page, cancellationToken);
        var response = query.ToResponse(context.Request, rows, View);
        return response is null ? ApiErrors.BadQuery(context, query.Errors) : TypedResults.Ok(response);
    }

    public static async Task<Results<Ok<SlaPolicyView>, JsonHttpResult<ErrorEnvelope>>> GetSlaPolicy(
        Guid id, HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var policy = await store.GetAsync(id, cancellationToken);
        return policy is null ? ApiErrors.NotFound(context, "SLA policy") : TypedResults.Ok(View(policy));
    }

    public static async Task<Results<Created<SlaPolicyView>, JsonHttpResult<ErrorEnvelope>>> CreateSlaPolicy(SlaPolicyInput request, HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var definition = SlaPolicyRules.Validate(request);
        var outcome = await store.CreateAsync(definition, context.Principal(), cancellationToken);
        return outcome.Value is { } policy
            ? TypedResults.Created($"/api/v1/sla-policies/{policy.Id}", View(policy))
            : VersionedResources.Refusal(context, outcome.Refusal!);
    }

    public static async Task<Results<Ok<SlaPolicyView>, JsonHttpResult<ErrorEnvelope>>> ReplaceSlaPolicy(
        Guid id, SlaPolicyInput request, HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var definition = SlaPolicyRules.Validate(request);
        var outcome = await store.UpdateAsync(id, definition, context.Principal(), cancellationToken);
        return outcome.Value is { } policy ? TypedResults.Ok(View(policy)) : VersionedResources.Refusal(context, outcome.Refusal!);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ErrorEnvelope>>> DeleteSlaPolicy(
        Guid id, HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var outcome = await store.DeleteAsync(id, context.Principal(), cancellationToken);
        return outcome.Refusal is { } refusal ? VersionedResources.Refusal(context, refusal) : TypedResults.NoContent();
    }

    public static async Task<Results<Ok<CustomerSlaAssignment>, JsonHttpResult<ErrorEnvelope>>> GetCustomerSlaPolicy(
        Guid id, HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var assignment = await store.GetAssignmentAsync(id, cancellationToken);
        return assignment is null ? ApiErrors.NotFound(context, "Customer") : TypedResults.Ok(assignment);
    }

    public static async Task<Results<Ok<CustomerSlaAssignment>, JsonHttpResult<ErrorEnvelope>>> AssignCustomerSlaPolicy(
        Guid id, AssignSlaPolicyRequest request, HttpContext context, SlaPolicyStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        if (!request.SlaPolicyIdGiven)
        {
            throw new DomainValidationException([new FieldError("sla_policy_id", "Required: an SLA policy id, or null to follow the default policy")]);
        }

        var outcome = await store.AssignAsync(id, request.SlaPolicyId, context.Principal(), cancellationToken);
        return outcome.Value is { } assignment ? TypedResults.Ok(assignment) : VersionedResources.Refusal(context, outcome.Refusal!);
    }

    public static async Task<Results<Ok<SlaPreview>, JsonHttpResult<ErrorEnvelope>>> PreviewSlaPolicy(
        Guid id, HttpContext context, SlaPolicyStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        var errors = new List<ErrorDetail>();
        foreach (var key in context.Request.Query.Keys.Where(k => !PreviewParameters.Contains(k, StringComparer.Ordinal)))
        {
            errors.Add(new ErrorDetail(key, $"Unknown query parameter; allowed: {string.Join(", ", PreviewParameters)}"));
        }

        var start = ParseStart(context.Request.Query["start"], time, errors);
        var priorityText = context.Request.Query["priority"].ToString();
        var priorities = string.IsNullOrEmpty(priorityText) ? TicketVocabulary.Priorities : [priorityText];
        if (!string.IsNullOrEmpty(priorityText) && !TicketVocabulary.Priorities.Contains(priorityText, StringComparer.Ordinal))
        {
            errors.Add(new ErrorDetail("priority", $"Must be one of: {string.Join(", ", TicketVocabulary.Priorities)}"));
        }

        if (errors.Count > 0)
        {
            return ApiErrors.BadQuery(context, errors);
        }

        var policy = await store.GetAsync(id, cancellationToken);
        if (policy is null)
        {
            return ApiErrors.NotFound(context, "SLA policy");
        }

        var calendar = policy.Calendar;
        DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, calendar.TimeZone);
        var entries = priorities.Select(priority =>
        {
            var target = policy.Targets.For(priority);
            return new SlaPreviewEntry(
                priority,
                (int)target.Response.TotalMinutes,
                (int)target.Resolution.TotalMinutes,
                Local(SlaClock.DueFor(calendar, start, target.Response)),
                Local(SlaClock.DueFor(calendar, start, target.Resolution)));
        }).ToList();
        return TypedResults.Ok(new SlaPreview(policy.Id, calendar.TimeZoneId, Local(start), calendar.IsOpen(start), Local(calendar.NextOpening(start)), entries));
    }

    /// <summary>An ISO 8601 instant with its offset (Z or ±hh:mm); a '+' that arrived unencoded (as a space) is put back.</summary>
    private static DateTimeOffset ParseStart(string? text, TimeProvider time, List<ErrorDetail> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return time.GetUtcNow();
        }

        var candidate = text.Trim().Replace(' ', '+');
        if (!InstantPattern().IsMatch(candidate)
            || !DateTimeOffset.TryParse(candidate, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            || start.UtcDateTime.Year is < 1970 or > 2999)
        {
            errors.Add(new ErrorDetail("start", "Must be an instant with its offset between 1970 and 2999, like 2026-03-02T09:00:00+01:00 or 2026-03-02T08:00:00Z (encode + as %2B)"));
            return default;
        }

        return start;
    }


    public static SlaPolicyView View(SlaPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        static SlaTargetView Target(SlaTarget target) => new((int)target.Response.TotalMinutes, (int)target.Resolution.TotalMinutes);
        var targets = policy.Targets;
        return new SlaPolicyView(
            policy.Id,
            policy.Name,
            policy.Description,
            policy.IsDefault,
            policy.Calendar.TimeZoneId,
            new SlaTargetsView(Target(targets.Critical), Target(targets.High), Target(targets.Medium), Target(targets.Low)),
            [.. policy.Calendar.OpeningHours.Select(h => new OpeningHoursView(SlaPolicyRules.FormatWeekday(h.Day), SlaPolicyRules.FormatTime(h.Start), SlaPolicyRules.FormatTime(h.End)))],
            [.. policy.Calendar.Holidays.Select(h => new HolidayView(h.Date, h.Name))],
            policy.AssignedCustomers,
            policy.CreatedAt,
            policy.UpdatedAt);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex InstantPattern();
}
