using Appliance.Domain.Common;
using Appliance.Domain.Crm;

namespace Appliance.UnitTests.Domain;

public sealed class ContactAndSiteRulesTests
{
    private static readonly Contact StoredContact = new(
        Guid.NewGuid(), Guid.NewGuid(), "Anna", "Vogel", "anna.vogel@example.com", "+49 30 1234567", null, "IT-Leitung", true, null, 2, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private static readonly Site StoredSite = new(
        Guid.NewGuid(), Guid.NewGuid(), "Hauptsitz", "Hauptstraße 1", "10115", "Berlin", "DE", null, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private static string[] Fields(Action act) => [.. Assert.Throws<DomainValidationException>(act).Errors.Select(e => e.Field)];

    [Fact]
    public void A_contact_is_trimmed_and_its_email_lower_cased()
    {
        var contact = ContactRules.ValidateCreate(new ContactInput(" Anna ", " Vogel ", " Anna.Vogel@Example.COM ", " +49 (30) 123-45/67 ", "0171 1234567", " IT-Leitung ", null, " "));
        Assert.Equal(new ContactData("Anna", "Vogel", "anna.vogel@example.com", "+49 (30) 123-45/67", "0171 1234567", "IT-Leitung", false, null), contact);
    }

    [Fact]
    public void Only_the_last_name_is_required()
    {
        Assert.Equal(new ContactData(null, "Vogel", null, null, null, null, false, null), ContactRules.ValidateCreate(new ContactInput(null, "Vogel")));
        Assert.Equal(["last_name"], Fields(() => ContactRules.ValidateCreate(new ContactInput("Anna", "  "))));
    }

    [Theory]
    [InlineData("not-an-email", null, "email")]
    [InlineData("anna@localhost", null, "email")]
    [InlineData("anna vogel@example.com", null, "email")]
    [InlineData(null, "12", "phone")]
    [InlineData(null, "+49 abc 123", "phone")]
    [InlineData(null, "--1-2-", "phone")]
    [InlineData(null, "1 2", "phone")]
    public void Each_contact_rule_names_its_field(string? email, string? phone, string field) =>
        Assert.Equal([field], Fields(() => ContactRules.ValidateCreate(new ContactInput(null, "Vogel", email, phone))));

    [Fact]
    public void All_contact_problems_at_once()
    {
        var input = new ContactInput(new string('a', 101), null, "x", "x", "y", new string('r', 101), null, new string('n', 10_001));
        Assert.Equal(["first_name", "last_name", "email", "phone", "mobile", "role", "notes"], Fields(() => ContactRules.ValidateCreate(input)));
    }

    [Fact]
    public void Phone_numbers_need_three_digits_and_at_most_40_characters()
    {
        Assert.Equal("112", ContactRules.ValidateCreate(new ContactInput(null, "V", Phone: "112")).Phone);
        Assert.Equal(40, ContactRules.ValidateCreate(new ContactInput(null, "V", Phone: "+" + new string('1', 39))).Phone!.Length);
        Assert.Equal(["phone"], Fields(() => ContactRules.ValidateCreate(new ContactInput(null, "V", Phone: "+" + new string('1', 40)))));
    }

    [Fact]
    public void A_contact_patch_keeps_what_it_does_not_name()
    {
        Assert.Equal(ContactRules.DataOf(StoredContact), ContactRules.ValidateChange(StoredContact, new ContactPatch()));
        var changed = ContactRules.ValidateChange(StoredContact, new ContactPatch(Email: new(true, null), IsPrimary: new(true, false), Mobile: new(true, "0171 1234567")));
        Assert.Equal(ContactRules.DataOf(StoredContact) with { Email = null, IsPrimary = false, Mobile = "0171 1234567" }, changed);
        Assert.Equal(["last_name", "is_primary"], Fields(() => ContactRules.ValidateChange(StoredContact, new ContactPatch(LastName: new(true, null), IsPrimary: new(true, null)))));
    }

    [Fact]
    public void A_site_has_a_name_and_an_address_with_country_default()
    {
        Assert.Equal(new SiteData("Lager Nord", new PostalAddress(null, null, "Hamburg", "DE"), null), SiteRules.ValidateCreate(new SiteInput(" Lager Nord ", City: "Hamburg")));
        Assert.Equal(new PostalAddress(null, "SW1A 1AA", null, "GB"), SiteRules.ValidateCreate(new SiteInput("London", PostalCode: "sw1a 1aa", Country: "gb")).Address);
        Assert.Equal(["name", "postal_code", "country", "notes"], Fields(() => SiteRules.ValidateCreate(new SiteInput("X", PostalCode: "-", Country: "Germany", Notes: new string('n', 10_001)))));
    }

    [Fact]
    public void A_site_patch_keeps_what_it_does_not_name_and_cannot_clear_name_or_country()
    {
        Assert.Equal(SiteRules.DataOf(StoredSite), SiteRules.ValidateChange(StoredSite, new SitePatch()));
        Assert.Equal(SiteRules.DataOf(StoredSite) with { Notes = "Schlüssel beim Pförtner" }, SiteRules.ValidateChange(StoredSite, new SitePatch(Notes: new(true, "Schlüssel beim Pförtner"))));
        Assert.Equal(["name", "country"], Fields(() => SiteRules.ValidateChange(StoredSite, new SitePatch(Name: new(true, null), Country: new(true, "")))));
    }

    [Fact]
    public void Expected_versions()
    {
        Assert.True(ExpectedVersion.Any.Accepts(7));
        Assert.True(ExpectedVersion.OneOf([3, 7]).Accepts(7));
        Assert.False(ExpectedVersion.OneOf([3]).Accepts(7));
        Assert.False(ExpectedVersion.OneOf([]).Accepts(1));
        var ex = Assert.Throws<PreconditionFailedException>(() => ExpectedVersion.OneOf([3]).Check("customer", 4));
        Assert.Equal(("customer", 4), (ex.EntityType, ex.CurrentVersion));
        ExpectedVersion.OneOf([4]).Check("customer", 4);
    }

    [Fact]
    public void Patch_fields()
    {
        Assert.Equal("kept", default(PatchField<string?>).Or("kept"));
        Assert.Null(new PatchField<string?>(true, null).Or("kept"));
    }
}
