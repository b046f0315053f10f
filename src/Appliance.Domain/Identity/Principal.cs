using Appliance.Domain.Audit;

namespace Appliance.Domain.Identity;

/// <summary>
/// Who a write acts for: the caller as the resource checks need them (<see cref="Actor"/>: role, company, permissions)
/// and where the call came from, for the audit row and the outbox event (<see cref="Audit"/>). Every store write takes one.
/// </summary>
public sealed record Principal(Actor Actor, AuditContext Audit)
{
    /// <summary>The appliance itself (a command-line tool or a job): every permission, audited as <c>system</c> from <paramref name="source"/>.</summary>
    public static Principal System(string source) =>
        new(new Actor(Guid.Empty, Roles.SystemAdmin, null, Permissions.All.ToHashSet(StringComparer.Ordinal)), new AuditContext(AuditActor.System, null, source, null));
}
