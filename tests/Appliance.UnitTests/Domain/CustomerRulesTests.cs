using Appliance.Domain.Common;
using Appliance.Domain.Crm;

namespace Appliance.UnitTests.Domain;

public sealed class CustomerRulesTests
{
    [Fact]
    public void Valid_input_is_trimmed_and_normalised()
    {
        var customer = CustomerRules.Validate("  K-1001 ", "  Bäckerei Schmidt GmbH ", "de 811 907 980", null, "  ");
        Assert.Equal(new NewCustomer("K-1001", "Bäckerei Schmidt GmbH", "DE811907980", "de", null), customer);
    }

    [Theory]
    [InlineData(null, "Acme", null, null, "customer_number")]
    [InlineData("K 1", "Acme", null, null, "customer_number")]
    [InlineData("K-1", null, null, null, "name")]
    [InlineData("K-1", "A", null, null, "name")]
    [InlineData("K-1", "Acme", "123", null, "vat_id")]
    [InlineData("K-1", "Acme", null, "fr", "language")]
    public void Each_rule_names_its_field(string? number, string? name, string? vat, string? language, string field)
    {
        var ex = Assert.Throws<DomainValidationException>(() => CustomerRules.Validate(number, name, vat, language, null));
        Assert.Equal(field, Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void All_problems_are_reported_at_once()
    {
        var ex = Assert.Throws<DomainValidationException>(() => CustomerRules.Validate(null, null, "x", "xx", new string('n', 10_001)));
        Assert.Equal(["customer_number", "name", "vat_id", "language", "notes"], ex.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Name_length_bounds()
    {
        Assert.Equal(200, CustomerRules.Validate("K", new string('a', 200), null, "en", null).Name.Length);
        Assert.Throws<DomainValidationException>(() => CustomerRules.Validate("K", new string('a', 201), null, "en", null));
    }
}
