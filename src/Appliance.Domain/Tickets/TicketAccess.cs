using Appliance.Domain.Identity;

namespace Appliance.Domain.Tickets;

/// <summary>The resource-level rules on top of the permission matrix: whose tickets and which comments a caller may touch.</summary>
public static class TicketAccess
{
    public const string UpdateRefusal = "Technicians change only tickets assigned to them (or take an unassigned one)";
    public const string CreateRefusal = "You can open tickets for your own company only";

    /// <summary>The customer a caller is confined to, or null when they may see every customer's tickets.</summary>
    public static Guid? ScopeCustomer(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Can(Permissions.TicketViewAll))
        {
            return null;
        }

        // A caller with only "view:own" and no company sees nothing: an impossible id rather than everything.
        return actor.CustomerId ?? Guid.Empty;
    }

    public static bool CanView(Actor actor, Guid ticketCustomerId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Can(Permissions.TicketViewAll))
        {
            return true;
        }

        return actor.Can(Permissions.TicketViewOwn) && actor.CustomerId == ticketCustomerId;
    }

    /// <summary>May the caller open a ticket for this customer? Customer users only for their own company.</summary>
    public static bool CanCreateFor(Actor actor, Guid customerId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Can(Permissions.TicketCreate) && (!actor.IsCustomerUser || actor.CustomerId == customerId);
    }

    /// <summary>
    /// Technicians change only tickets assigned to them (an unassigned ticket they may take: assigning it to themselves);
    /// service managers and admins change any ticket.
    /// </summary>
    public static bool CanUpdate(Actor actor, Guid? assignedTo, bool takesTicketForSelf = false)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.Can(Permissions.TicketUpdate))
        {
            return false;
        }

        if (actor.Role is Roles.SystemAdmin or Roles.ServiceManager)
        {
            return true;
        }

        return assignedTo == actor.Id || (assignedTo is null && takesTicketForSelf);
    }

    public static bool CanDelete(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Can(Permissions.TicketDelete);
    }

    /// <summary>Internal comments are for the MSP's staff only.</summary>
    public static bool CanSeeComment(Actor actor, bool isInternal)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return !isInternal || !actor.IsCustomerUser;
    }

    /// <summary>Customer users comment publicly only; everyone who may view the ticket may comment on it.</summary>
    public static bool CanComment(Actor actor, Guid ticketCustomerId, bool isInternal)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return CanView(actor, ticketCustomerId) && CanSeeComment(actor, isInternal);
    }

    /// <summary>The first public reply by a member of staff is the SLA's first response.</summary>
    public static bool CountsAsFirstResponse(Actor actor, bool isInternal)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return !isInternal && !actor.IsCustomerUser;
    }
}
