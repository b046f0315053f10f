using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;

namespace Appliance.UnitTests.Tickets;

public sealed class TicketAccessTests
{
    private static readonly Guid CompanyA = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    private static readonly Guid CompanyB = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");

    private static Actor As(string role, Guid? customer = null) =>
        new(Guid.NewGuid(), role, customer, Roles.PermissionsOf(role).ToHashSet());

    [Theory]
    [InlineData("system_admin", true)]
    [InlineData("service_manager", true)]
    [InlineData("technician_l1", true)]
    [InlineData("technician_l2", true)]
    [InlineData("billing", true)]
    public void Staff_with_view_all_see_every_company(string role, bool expected)
    {
        var actor = As(role);
        Assert.Null(TicketAccess.ScopeCustomer(actor));
        Assert.Equal(expected, TicketAccess.CanView(actor, CompanyA));
        Assert.Equal(expected, TicketAccess.CanView(actor, CompanyB));
    }

    [Fact]
    public void Customer_admins_see_and_create_only_for_their_company()
    {
        var actor = As(Roles.CustomerAdmin, CompanyA);
        Assert.Equal(CompanyA, TicketAccess.ScopeCustomer(actor));
        Assert.True(TicketAccess.CanView(actor, CompanyA));
        Assert.False(TicketAccess.CanView(actor, CompanyB));
        Assert.True(TicketAccess.CanCreateFor(actor, CompanyA));
        Assert.False(TicketAccess.CanCreateFor(actor, CompanyB));
        Assert.False(TicketAccess.CanUpdate(actor, null));
        Assert.False(TicketAccess.CanDelete(actor));
    }

    [Fact]
    public void A_caller_with_only_view_own_and_no_company_sees_nothing()
    {
        var actor = new Actor(Guid.NewGuid(), "integration", null, new HashSet<string> { Permissions.TicketViewOwn });
        Assert.Equal(Guid.Empty, TicketAccess.ScopeCustomer(actor));
        Assert.False(TicketAccess.CanView(actor, CompanyA));
    }

    [Theory]
    [InlineData("technician_l1")]
    [InlineData("technician_l2")]
    public void Technicians_update_only_their_own_tickets_or_take_unassigned_ones(string role)
    {
        var tech = As(role);
        Assert.True(TicketAccess.CanUpdate(tech, tech.Id));
        Assert.False(TicketAccess.CanUpdate(tech, Guid.NewGuid()));
        Assert.False(TicketAccess.CanUpdate(tech, null));
        Assert.True(TicketAccess.CanUpdate(tech, null, takesTicketForSelf: true));
        Assert.False(TicketAccess.CanUpdate(tech, Guid.NewGuid(), takesTicketForSelf: true));
        Assert.False(TicketAccess.CanDelete(tech));
        Assert.True(TicketAccess.CanCreateFor(tech, CompanyB));
    }

    [Theory]
    [InlineData("system_admin")]
    [InlineData("service_manager")]
    public void Managers_update_and_delete_any_ticket(string role)
    {
        var actor = As(role);
        Assert.True(TicketAccess.CanUpdate(actor, Guid.NewGuid()));
        Assert.True(TicketAccess.CanUpdate(actor, null));
        Assert.True(TicketAccess.CanDelete(actor));
    }

    [Fact]
    public void Billing_reads_but_never_changes_tickets()
    {
        var actor = As(Roles.Billing);
        Assert.False(TicketAccess.CanUpdate(actor, actor.Id));
        Assert.False(TicketAccess.CanCreateFor(actor, CompanyA));
        Assert.False(TicketAccess.CanDelete(actor));
    }

    [Fact]
    public void Internal_comments_are_hidden_from_customer_users_only()
    {
        var customer = As(Roles.CustomerAdmin, CompanyA);
        var tech = As(Roles.TechnicianL1);
        Assert.False(TicketAccess.CanSeeComment(customer, isInternal: true));
        Assert.True(TicketAccess.CanSeeComment(customer, isInternal: false));
        Assert.True(TicketAccess.CanSeeComment(tech, isInternal: true));
        Assert.False(TicketAccess.CanComment(customer, CompanyA, isInternal: true));
        Assert.True(TicketAccess.CanComment(customer, CompanyA, isInternal: false));
        Assert.False(TicketAccess.CanComment(customer, CompanyB, isInternal: false));
    }

    [Fact]
    public void First_response_is_a_public_staff_reply()
    {
        Assert.True(TicketAccess.CountsAsFirstResponse(As(Roles.TechnicianL1), isInternal: false));
        Assert.False(TicketAccess.CountsAsFirstResponse(As(Roles.TechnicianL1), isInternal: true));
        Assert.False(TicketAccess.CountsAsFirstResponse(As(Roles.CustomerAdmin, CompanyA), isInternal: false));
    }
}
