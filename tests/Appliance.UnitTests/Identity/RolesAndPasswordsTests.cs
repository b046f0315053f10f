using Appliance.Domain.Common;
using Appliance.Domain.Identity;

namespace Appliance.UnitTests.Identity;

public sealed class RolesAndPasswordsTests
{
    public static TheoryData<string, string, bool> Matrix()
    {
        // The expected matrix, written out independently of the implementation.
        var allowed = new Dictionary<string, string[]>
        {
            [Roles.SystemAdmin] = [.. Permissions.All],
            [Roles.ServiceManager] = ["ticket:view:all", "ticket:create", "ticket:update", "ticket:delete", "customer:view", "customer:create", "customer:update", "customer:delete", "billing:view", "user:view", "audit:view", "sla:view", "sla:manage"],
            [Roles.TechnicianL2] = ["ticket:view:all", "ticket:create", "ticket:update", "customer:view", "sla:view"],
            [Roles.TechnicianL1] = ["ticket:view:all", "ticket:create", "ticket:update", "customer:view", "sla:view"],
            [Roles.Billing] = ["billing:view", "billing:create", "billing:approve", "customer:view", "ticket:view:all"],
            [Roles.CustomerAdmin] = ["ticket:view:own", "ticket:create"],
        };
        var data = new TheoryData<string, string, bool>();
        foreach (var role in Roles.All)
        {
            foreach (var permission in Permissions.All)
            {
                data.Add(role, permission, allowed[role].Contains(permission));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Every_role_and_permission_pair(string role, string permission, bool expected) =>
        Assert.Equal(expected, Roles.Has(role, permission));

    [Fact]
    public void Unknown_roles_have_nothing()
    {
        Assert.False(Roles.IsKnown("root"));
        Assert.Empty(Roles.PermissionsOf("root"));
        Assert.False(Roles.Has("root", Permissions.TicketViewAll));
    }

    [Fact]
    public void Only_billing_and_admins_approve_invoices() =>
        Assert.Equal([Roles.SystemAdmin, Roles.Billing], Roles.All.Where(r => Roles.Has(r, Permissions.BillingApprove)));

    [Theory]
    [InlineData("a-long-unusual-passphrase", true)]
    [InlineData("elevenchars", false)]
    [InlineData("password1234", false)]
    [InlineData("PASSWORD1234", false)]
    [InlineData("  password1234  ", false)]
    [InlineData("qwertz123456", false)]
    [InlineData("123456789012", false)]
    public void Password_rules(string password, bool ok) =>
        Assert.Equal(ok, PasswordPolicy.Check(password, "someone@test.example").Count == 0);

    [Fact]
    public void Password_equal_to_the_email_is_rejected_case_insensitively()
    {
        var errors = PasswordPolicy.Check("Someone@Test.Example", "someone@test.example");
        Assert.Equal("Password must not be the email address", Assert.Single(errors).Message);
    }

    [Fact]
    public void Missing_and_overlong_passwords()
    {
        Assert.Equal("Password is required", Assert.Single(PasswordPolicy.Check(null, null)).Message);
        Assert.Single(PasswordPolicy.Check(new string('x', 257) + "Q1", null));
    }

    [Fact]
    public void The_shipped_list_is_loaded() => Assert.True(PasswordPolicy.IsCommon("passwort12345"));

    [Fact]
    public void Hashes_are_pbkdf2_salted_and_verify()
    {
        var first = PasswordPolicy.Hash("a@test.example", "a-long-unusual-passphrase");
        var second = PasswordPolicy.Hash("a@test.example", "a-long-unusual-passphrase");
        Assert.NotEqual(first, second);
        Assert.StartsWith("AQAAAA", first, StringComparison.Ordinal);
        Assert.Equal((true, false), PasswordPolicy.Verify("a@test.example", first, "a-long-unusual-passphrase"));
        Assert.False(PasswordPolicy.Verify("a@test.example", first, "a-long-unusual-passphrasE").Valid);
    }

    [Fact]
    public void New_users_are_normalised()
    {
        var user = UserRules.ValidateNew(" Anna.Vogel@Example.COM ", " Anna ", Roles.TechnicianL1, null, null, ["Network", " network ", "", "Printing"], "a-long-unusual-passphrase");
        Assert.Equal(("anna.vogel@example.com", "Anna", "de"), (user.Email, user.DisplayName, user.Language));
        Assert.Equal(["network", "printing"], user.Skills);
    }

    [Theory]
    [InlineData(null, "email")]
    [InlineData("anna", "email")]
    [InlineData("anna@localhost", "email")]
    [InlineData("Anna <anna@example.com>", "email")]
    public void Bad_emails(string? email, string field)
    {
        var ex = Assert.Throws<DomainValidationException>(() => UserRules.ValidateNew(email, "Anna", Roles.Billing, null, null, null, "a-long-unusual-passphrase"));
        Assert.Contains(ex.Errors, e => e.Field == field);
    }

    [Fact]
    public void Customer_scope_must_match_the_role()
    {
        var customer = Guid.NewGuid();
        Assert.Throws<DomainValidationException>(() => UserRules.ValidateNew("a@example.com", "A", Roles.CustomerAdmin, null, null, null, "a-long-unusual-passphrase"));
        Assert.Throws<DomainValidationException>(() => UserRules.ValidateNew("a@example.com", "A", Roles.TechnicianL1, customer, null, null, "a-long-unusual-passphrase"));
        Assert.Equal(customer, UserRules.ValidateNew("a@example.com", "A", Roles.CustomerAdmin, customer, null, null, "a-long-unusual-passphrase").CustomerId);
    }

    [Fact]
    public void Changing_a_staff_user_into_a_customer_user_needs_a_customer()
    {
        var staff = new User(Guid.NewGuid(), "a@example.com", "A", Roles.TechnicianL1, null, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var ex = Assert.Throws<DomainValidationException>(() => UserRules.ValidateChanges(staff, new UserChanges(null, Roles.CustomerAdmin, null, false, null, null, null)));
        Assert.Equal("customer_id", Assert.Single(ex.Errors).Field);
        UserRules.ValidateChanges(staff, new UserChanges(null, Roles.CustomerAdmin, Guid.NewGuid(), true, null, null, null));
    }
}
