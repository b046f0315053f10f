using Appliance.Api.Http;
using Appliance.Domain.Identity;

namespace Appliance.Api.Identity;

public static class ActorContext
{
    /// <summary>The signed-in caller as the domain rules see them (id, role, company, permissions from the token).</summary>
    public static Actor Actor(this HttpContext context)
    {
        var user = context.CurrentUser();
        return new Actor(user.Id, user.Role, user.CustomerId, user.Permissions);
    }

    /// <summary>
    /// The principal every store write acts for: the caller's rights, and the audit actor (the user, or the API key
    /// when one signed the request) with the request's address, user agent and id.
    /// </summary>
    public static Principal Principal(this HttpContext context)
    {
        var user = context.CurrentUser();
        return new Principal(new Actor(user.Id, user.Role, user.CustomerId, user.Permissions), RequestAudit.For(context, user.Actor));
    }
}
