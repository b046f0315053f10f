using System.Collections.Frozen;

namespace Appliance.Domain.Identity;

/// <summary>The permissions of the role matrix, plus the administrative ones the appliance needs.</summary>
public static class Permissions
{
    public const string TicketViewAll = "ticket:view:all";
    public const string TicketViewOwn = "ticket:view:own";
    public const string TicketCreate = "ticket:create";
    public const string TicketUpdate = "ticket:update";
    public const string TicketDelete = "ticket:delete";
    public const string CustomerView = "customer:view";
    public const string CustomerCreate = "customer:create";
    public const string CustomerUpdate = "customer:update";
    public const string CustomerDelete = "customer:delete";
    public const string BillingView = "billing:view";
    public const string BillingCreate = "billing:create";
    public const string BillingApprove = "billing:approve";
    public const string UserView = "user:view";
    public const string UserManage = "user:manage";
    public const string AuditView = "audit:view";
    public const string SlaView = "sla:view";
    public const string SlaManage = "sla:manage";
    public const string ApiKeyManage = "apikey:manage";

    public static readonly IReadOnlyList<string> All =
    [
        TicketViewAll, TicketViewOwn, TicketCreate, TicketUpdate, TicketDelete,
        CustomerView, CustomerCreate, CustomerUpdate, CustomerDelete,
        BillingView, BillingCreate, BillingApprove,
        UserView, UserManage, AuditView, ApiKeyManage,
        SlaView, SlaManage,
    ];
}

/// <summary>The roles of the brief and what each may do: one matrix, in one place, enforced on every endpoint.</summary>
public static class Roles
{
    public const string SystemAdmin = "system_admin";
    public const string ServiceManager = "service_manager";
    public const string TechnicianL1 = "technician_l1";
    public const string TechnicianL2 = "technician_l2";
    public const string Billing = "billing";
    public const string CustomerAdmin = "customer_admin";

    public static readonly IReadOnlyList<string> All = [SystemAdmin, ServiceManager, TechnicianL1, TechnicianL2, Billing, CustomerAdmin];

    // Technicians see the whole queue (they pick up unassigned work) but may change only tickets assigned to
    // them; that resource rule lives with the tickets. The seed's "view:own" is kept for customer users, who see
    // their own company's tickets only.
    private static readonly FrozenDictionary<string, FrozenSet<string>> Matrix = new Dictionary<string, FrozenSet<string>>
    {
        [SystemAdmin] = Permissions.All.ToFrozenSet(),
        [ServiceManager] = new[]
        {
            Permissions.TicketViewAll, Permissions.TicketCreate, Permissions.TicketUpdate, Permissions.TicketDelete,
            Permissions.CustomerView, Permissions.CustomerCreate, Permissions.CustomerUpdate, Permissions.CustomerDelete,
            Permissions.BillingView, Permissions.UserView, Permissions.AuditView,
            Permissions.SlaView, Permissions.SlaManage,
        }.ToFrozenSet(),
        [TechnicianL2] = new[] { Permissions.TicketViewAll, Permissions.TicketCreate, Permissions.TicketUpdate, Permissions.CustomerView, Permissions.SlaView }.ToFrozenSet(),
        [TechnicianL1] = new[] { Permissions.TicketViewAll, Permissions.TicketCreate, Permissions.TicketUpdate, Permissions.CustomerView, Permissions.SlaView }.ToFrozenSet(),
        [Billing] = new[] { Permissions.BillingView, Permissions.BillingCreate, Permissions.BillingApprove, Permissions.CustomerView, Permissions.TicketViewAll }.ToFrozenSet(),
        [CustomerAdmin] = new[] { Permissions.TicketViewOwn, Permissions.TicketCreate }.ToFrozenSet(),
    }.ToFrozenDictionary();

    public static bool IsKnown(string role) => Matrix.ContainsKey(role);

    public static IReadOnlyCollection<string> PermissionsOf(string role) =>
        Matrix.TryGetValue(role, out var permissions) ? permissions : FrozenSet<string>.Empty;

    public static bool Has(string role, string permission) =>
        Matrix.TryGetValue(role, out var permissions) && permissions.Contains(permission);
}
