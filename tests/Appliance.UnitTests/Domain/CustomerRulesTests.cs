using Appliance.Domain.Common;
using Appliance.Domain.Crm;

namespace Appliance.UnitTests.Domain;

public sealed class CustomerRulesTests
{
    private static readonly Customer Stored = new(
        Guid.NewGuid(), "K-1001", "Bäckerei Schmidt GmbH", "DE811907980", "de", "Lieferung ab 6 Uhr", true,
        "Hauptstraße 1", "10115", "Berlin", "DE", 3, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private static string[] Fields(Action act) => [.. Assert.Throws<DomainValidationException>(act).Errors.Select(e => e.Field)];

    [Fact]
    public void Valid_input_is_trimmed_and_normalised()
    {
        var customer = CustomerRules.ValidateCreate(new CustomerInput("  K-1001 ", "  Bäckerei Schmidt GmbH ", "de 811 907 980", null, "  ", null, " Hauptstraße 1 ", " 10115 ", " Berlin ", " de "));
        Assert.Equal(new CustomerData("K-1001", "Bäckerei Schmidt GmbH", "DE811907980", "de", null, true, new PostalAddress("Hauptstraße 1", "10115", "Berlin", "DE")), customer);
    }

    [Fact]
    public void A_new_customer_without_number_gets_one_generated_and_defaults()
    {
        var customer = CustomerRules.ValidateCreate(new CustomerInput(null, "Acme"));
        Assert.Null(customer.CustomerNumber);
        Assert.Equal(("de", true, "DE"), (customer.Language, customer.IsActive, customer.Address.Country));
        Assert.Null(CustomerRules.ValidateCreate(new CustomerInput("   ", "Acme")).CustomerNumber);
    }

    [Theory]
    [InlineData("K 1", "Acme", null, null, null, null, "customer_number")]
    [InlineData("K-1", null, null, null, null, null, "name")]
    [InlineData("K-1", "A", null, null, null, null, "name")]
    [InlineData("K-1", "Acme", "123", null, null, null, "vat_id")]
    [InlineData("K-1", "Acme", null, "fr", null, null, "language")]
    [InlineData("K-1", "Acme", null, null, "1", null, "postal_code")]
    [InlineData("K-1", "Acme", null, null, "1011 5!", null, "postal_code")]
    [InlineData("K-1", "Acme", null, null, null, "DEU", "country")]
    [InlineData("K-1", "Acme", null, null, null, "D1", "country")]
    public void Each_rule_names_its_field(string? number, string? name, string? vat, string? language, string? postalCode, string? country, string field) =>
        Assert.Equal([field], Fields(() => CustomerRules.ValidateCreate(new CustomerInput(number, name, vat, language, PostalCode: postalCode, Country: country))));

    [Fact]
    public void All_problems_are_reported_at_once()
    {
        var input = new CustomerInput("x y", null, "x", "xx", new string('n', 10_001), null, new string('s', 201), "!", new string('c', 101), "Deutschland");
        Assert.Equal(["customer_number", "name", "vat_id", "language", "notes", "street", "postal_code", "city", "country"], Fields(() => CustomerRules.ValidateCreate(input)));
    }

    [Fact]
    public void Length_bounds()
    {
        Assert.Equal(200, CustomerRules.ValidateCreate(new CustomerInput("K", new string('a', 200))).Name.Length);
        Assert.Equal(["name"], Fields(() => CustomerRules.ValidateCreate(new CustomerInput("K", new string('a', 201)))));
        Assert.Equal(32, CustomerRules.ValidateCreate(new CustomerInput(new string('K', 32), "Acme")).CustomerNumber!.Length);
        Assert.Equal(["customer_number"], Fields(() => CustomerRules.ValidateCreate(new CustomerInput(new string('K', 33), "Acme"))));
        Assert.Equal(10_000, CustomerRules.ValidateCreate(new CustomerInput("K", "Acme", Notes: new string('n', 10_000))).Notes!.Length);
    }

    [Fact]
    public void Notes_keep_their_layout()
    {
        Assert.Equal("  Zeile 1\n  Zeile 2\n", CustomerRules.ValidateCreate(new CustomerInput("K", "Acme", Notes: "  Zeile 1\n  Zeile 2\n")).Notes);
    }

    [Fact]
    public void An_empty_patch_changes_nothing()
    {
        Assert.Equal(CustomerRules.DataOf(Stored), CustomerRules.ValidateChange(Stored, new CustomerPatch()));
    }

    [Fact]
    public void A_patch_changes_only_what_it_names_and_null_clears_optional_fields()
    {
        var changed = CustomerRules.ValidateChange(Stored, new CustomerPatch(Name: new(true, "Bäckerei Schmidt & Söhne"), VatId: new(true, null), City: new(true, "Potsdam")));
        Assert.Equal(CustomerRules.DataOf(Stored) with { Name = "Bäckerei Schmidt & Söhne", VatId = null, Address = new PostalAddress("Hauptstraße 1", "10115", "Potsdam", "DE") }, changed);
    }

    [Theory]
    [InlineData("customer_number")]
    [InlineData("name")]
    [InlineData("language")]
    [InlineData("is_active")]
    [InlineData("country")]
    public void A_patch_cannot_clear_a_required_field(string field)
    {
        var patch = field switch
        {
            "customer_number" => new CustomerPatch(CustomerNumber: new(true, null)),
            "name" => new CustomerPatch(Name: new(true, " ")),
            "language" => new CustomerPatch(Language: new(true, null)),
            "is_active" => new CustomerPatch(IsActive: new(true, null)),
            _ => new CustomerPatch(Country: new(true, null)),
        };
        Assert.Equal([field], Fields(() => CustomerRules.ValidateChange(Stored, patch)));
    }

    [Fact]
    public void A_patch_is_validated_like_a_create()
    {
        Assert.Equal(["vat_id", "language"], Fields(() => CustomerRules.ValidateChange(Stored, new CustomerPatch(VatId: new(true, "1"), Language: new(true, "fr")))));
        Assert.False(CustomerRules.ValidateChange(Stored, new CustomerPatch(IsActive: new(true, false))).IsActive);
    }
}
