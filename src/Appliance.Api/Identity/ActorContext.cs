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
}
