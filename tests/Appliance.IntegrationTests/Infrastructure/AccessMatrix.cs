using Appliance.Domain.Identity;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>One route of the access table: who may call it (and what they get), everyone else gets 403.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Route">The path, with placeholders the test fills with fresh records: {customer}, {contact}, {site},
/// {ticket} (assigned to the caller when a technician calls), {entry} (the caller's own when staff), {policy} (a
/// non-default, unassigned SLA policy), {default-policy}, {user} and {unique}.</param>
/// <param name="Body">The JSON body (a valid one, so allowed callers succeed), or null.</param>
/// <param name="Status">What an allowed caller gets.</param>
/// <param name="Allowed">The roles that get <paramref name="Status"/>; every other role gets 403 PERMISSION_DENIED.</param>
/// <param name="RefusedByHandler">Roles the endpoint's permission lets through but its handler refuses by role (the
/// 403 then names the rule, not the role, as the permission check's does).</param>
public sealed record RouteAccess(string Method, string Route, string? Body, int Status, IReadOnlyList<string> Allowed, IReadOnlyList<string>? RefusedByHandler = null)
{
    public string Key => $"{Method} {Route}";

    public override string ToString() => Key;
}

/// <summary>
/// The role matrix (<see cref="Roles"/>, docs/api) as the API enforces it, route by route: the single table every
/// 403 test reads. Each row runs as a real request for every role, so a route that lets one role too many in, or
/// locks one out, fails a test.
/// </summary>
public static class AccessMatrix
{
    private const string Admin = Roles.SystemAdmin;
    private const string Manager = Roles.ServiceManager;
    private const string L1 = Roles.TechnicianL1;
    private const string L2 = Roles.TechnicianL2;
    private const string Billing = Roles.Billing;
    private const string Portal = Roles.CustomerAdmin;

    private static readonly string[] Everyone = [Admin, Manager, L1, L2, Billing, Portal];
    private static readonly string[] Staff = [Admin, Manager, L1, L2, Billing];
    private static readonly string[] Technical = [Admin, Manager, L1, L2];
    private static readonly string[] Management = [Admin, Manager];
    private static readonly string[] AdminOnly = [Admin];

    private static readonly string PolicyBody = SlaJson.Policy("Zugriff {unique}");

    public static readonly IReadOnlyList<RouteAccess> Routes =
    [
        // Users, audit, settings, API keys (user:view / user:manage / audit:view / apikey:manage).
        new("GET", "/api/v1/users", null, 200, Management),
        new("GET", "/api/v1/users/{user}", null, 200, Management),
        new("POST", "/api/v1/users", """{"email":"u{unique}@test.example","display_name":"Neu","role":"technician_l1","password":"a-long-unusual-passphrase"}""", 201, AdminOnly),
        new("PATCH", "/api/v1/users/{user}", """{"language":"en"}""", 200, AdminOnly),
        new("DELETE", "/api/v1/users/{user}/mfa", null, 204, AdminOnly),
        new("GET", "/api/v1/audit-log", null, 200, Management),
        new("GET", "/api/v1/settings/mfa-policy", null, 200, Management),
        new("PUT", "/api/v1/settings/mfa-policy", """{"roles":{"billing":false}}""", 200, AdminOnly),
        new("GET", "/api/v1/api-keys", null, 200, AdminOnly),
        new("POST", "/api/v1/api-keys", """{"name":"k","permissions":["customer:view"]}""", 201, AdminOnly),

        // CRM (customer:view / create / update / delete).
        new("GET", "/api/v1/customers", null, 200, Staff),
        new("GET", "/api/v1/customers/{customer}", null, 200, Staff),
        new("POST", "/api/v1/customers", """{"name":"Neu {unique}"}""", 201, Management),
        new("PATCH", "/api/v1/customers/{customer}", """{"notes":"geprüft"}""", 200, Management),
        new("DELETE", "/api/v1/customers/{customer}", null, 204, Management),
        new("GET", "/api/v1/customers/{customer}/contacts", null, 200, Staff),
        new("POST", "/api/v1/customers/{customer}/contacts", """{"last_name":"Neu"}""", 201, Management),
        new("GET", "/api/v1/contacts", null, 200, Staff),
        new("GET", "/api/v1/contacts/{contact}", null, 200, Staff),
        new("PATCH", "/api/v1/contacts/{contact}", """{"role":"Chefin"}""", 200, Management),
        new("DELETE", "/api/v1/contacts/{contact}", null, 204, Management),
        new("GET", "/api/v1/customers/{customer}/sites", null, 200, Staff),
        new("POST", "/api/v1/customers/{customer}/sites", """{"name":"Neu"}""", 201, Management),
        new("GET", "/api/v1/sites", null, 200, Staff),
        new("GET", "/api/v1/sites/{site}", null, 200, Staff),
        new("PATCH", "/api/v1/sites/{site}", """{"name":"Umbenannt"}""", 200, Management),
        new("DELETE", "/api/v1/sites/{site}", null, 204, Management),

        // SLA policies (sla:view / sla:manage).
        new("GET", "/api/v1/sla-policies", null, 200, Technical),
        new("GET", "/api/v1/sla-policies/{default-policy}", null, 200, Technical),
        new("GET", "/api/v1/sla-policies/{default-policy}/preview", null, 200, Technical),
        new("POST", "/api/v1/sla-policies", PolicyBody, 201, Management),
        new("PUT", "/api/v1/sla-policies/{policy}", PolicyBody, 200, Management),
        new("DELETE", "/api/v1/sla-policies/{policy}", null, 204, Management),
        new("GET", "/api/v1/customers/{customer}/sla-policy", null, 200, Technical),
        new("PUT", "/api/v1/customers/{customer}/sla-policy", """{"sla_policy_id":null}""", 200, Management),

        // Tickets (ticket:view:all / view:own / create / update / delete).
        new("GET", "/api/v1/tickets", null, 200, Everyone),
        new("GET", "/api/v1/tickets/{ticket}", null, 200, Everyone),
        new("POST", "/api/v1/tickets", """{"customer_id":"{customer}","title":"Drucker","description":"<p>Der Drucker ist kaputt.</p>"}""", 201, [Admin, Manager, L1, L2, Portal]),
        new("PATCH", "/api/v1/tickets/{ticket}", """{"title":"Neu"}""", 200, Technical),
        new("DELETE", "/api/v1/tickets/{ticket}", null, 204, Management),
        new("GET", "/api/v1/tickets/{ticket}/watchers", null, 200, Staff),

        // Time entries (ticket:view:all to read, ticket:update to book and change; approval for billing and managers).
        new("GET", "/api/v1/tickets/{ticket}/time-entries", null, 200, Staff),
        new("POST", "/api/v1/tickets/{ticket}/time-entries", """{"minutes":10}""", 201, Technical),
        new("GET", "/api/v1/time-entries", null, 200, Staff),
        new("GET", "/api/v1/time-entries/{entry}", null, 200, Staff),
        new("PATCH", "/api/v1/time-entries/{entry}", """{"minutes":5}""", 200, Technical),
        new("DELETE", "/api/v1/time-entries/{entry}", null, 204, Technical),
        new("POST", "/api/v1/time-entries/{entry}/approve", "{}", 200, [Admin, Manager, Billing], RefusedByHandler: [L1, L2]),
    ];

    /// <summary>Routes guarded by a permission that are not rows, with where their access is tested instead: each
    /// needs records in a state of its own, or lets every role through to a rule about the record.</summary>
    public static readonly IReadOnlyDictionary<string, string> TestedElsewhere = new Dictionary<string, string>
    {
        ["POST /api/v1/tickets/{ticket}/merge"] = "two tickets; TicketMergeWatchersDeleteTests",
        ["POST /api/v1/tickets/{ticket}/watchers"] = "TicketMergeWatchersDeleteTests",
        ["DELETE /api/v1/tickets/{ticket}/watchers/{user}"] = "TicketMergeWatchersDeleteTests",
        ["GET /api/v1/tickets/{ticket}/comments"] = "every role; company and internal-note rules in CommentsTests",
        ["POST /api/v1/tickets/{ticket}/comments"] = "every role; CommentsTests",
        ["GET /api/v1/comments/{comment}"] = "every role; CommentsTests",
        ["PATCH /api/v1/comments/{comment}"] = "every role; author and 15-minute rules in CommentsTests",
        ["DELETE /api/v1/comments/{comment}"] = "every role; author and 15-minute rules in CommentsTests",
        ["POST /api/v1/time-entries/{entry}/unapprove"] = "an approved entry; TimeEntriesTests",
        ["GET /api/v1/api-keys/{key}"] = "an existing key; ApiKeyTests",
        ["DELETE /api/v1/api-keys/{key}"] = "an existing key; ApiKeyTests",
    };

    /// <summary>Every (route, role) pair, as theory data.</summary>
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in Routes)
        {
            foreach (var role in Roles.All)
            {
                data.Add(route.Key, role);
            }
        }

        return data;
    }

    public static RouteAccess Find(string key) => Routes.Single(r => r.Key == key);
}
