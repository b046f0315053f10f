namespace Appliance.Domain.Identity;

/// <summary>Who is asking, as the domain rules need it: no tokens, no HTTP.</summary>
public sealed record Actor(Guid Id, string Role, Guid? CustomerId, IReadOnlySet<string> Permissions)
{
    public bool Can(string permission) => Permissions.Contains(permission);

    /// <summary>A user of one of the MSP's clients (portal view): sees only that company and only public comments.</summary>
    public bool IsCustomerUser => Role == Roles.CustomerAdmin;
}
