using System.Text.RegularExpressions;
using Appliance.Domain.Common;

namespace Appliance.Domain.Crm;

/// <summary>One of the MSP's client companies.</summary>
public sealed record Customer(
    Guid Id,
    string CustomerNumber,
    string Name,
    string? VatId,
    string Language,
    string? Notes,
    bool IsActive,
    string? Street,
    string? PostalCode,
    string? City,
    string Country,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersioned;

/// <summary>A customer as the client sent it; nothing checked yet.</summary>
public sealed record CustomerInput(
    string? CustomerNumber,
    string? Name,
    string? VatId = null,
    string? Language = null,
    string? Notes = null,
    bool? IsActive = null,
    string? Street = null,
    string? PostalCode = null,
    string? City = null,
    string? Country = null);

/// <summary>A partial update: only the fields that are set change.</summary>
public sealed record CustomerPatch(
    PatchField<string?> CustomerNumber = default,
    PatchField<string?> Name = default,
    PatchField<string?> VatId = default,
    PatchField<string?> Language = default,
    PatchField<string?> Notes = default,
    PatchField<bool?> IsActive = default,
    PatchField<string?> Street = default,
    PatchField<string?> PostalCode = default,
    PatchField<string?> City = default,
    PatchField<string?> Country = default);

/// <summary>A valid customer. <see cref="CustomerNumber"/> null: the database hands out the next <c>K-00001</c>.</summary>
public sealed record CustomerData(string? CustomerNumber, string Name, string? VatId, string Language, string? Notes, bool IsActive, PostalAddress Address);

/// <summary>What a valid customer looks like; no I/O.</summary>
public static partial class CustomerRules
{
    public static readonly IReadOnlyList<string> Languages = ["de", "en"];

    /// <summary>A new customer: a missing number is generated, language defaults to de, country to DE, active to true.</summary>
    public static CustomerData ValidateCreate(CustomerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Validate(input, isNew: true);
    }

    /// <summary>The customer after <paramref name="patch"/>; every field keeps its rule (a required field cannot be cleared).</summary>
    public static CustomerData ValidateChange(Customer current, CustomerPatch patch)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(patch);
        var merged = new CustomerInput(
            patch.CustomerNumber.Or(current.CustomerNumber),
            patch.Name.Or(current.Name),
            patch.VatId.Or(current.VatId),
            patch.Language.Or(current.Language),
            patch.Notes.Or(current.Notes),
            patch.IsActive.Or(current.IsActive),
            patch.Street.Or(current.Street),
            patch.PostalCode.Or(current.PostalCode),
            patch.City.Or(current.City),
            patch.Country.Or(current.Country));
        return Validate(merged, isNew: false);
    }

    /// <summary>The writable fields of a stored customer, for "did anything change".</summary>
    public static CustomerData DataOf(Customer customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        return new CustomerData(
            customer.CustomerNumber,
            customer.Name,
            customer.VatId,
            customer.Language,
            customer.Notes,
            customer.IsActive,
            new PostalAddress(customer.Street, customer.PostalCode, customer.City, customer.Country));
    }

    private static CustomerData Validate(CustomerInput input, bool isNew)
    {
        var checks = new FieldChecks();
        string? number;
        if (isNew && string.IsNullOrWhiteSpace(input.CustomerNumber))
        {
            number = null;
        }
        else
        {
            number = input.CustomerNumber?.Trim();
            if (string.IsNullOrEmpty(number))
            {
                checks.Add("customer_number", "Customer number cannot be removed");
            }
            else if (!NumberPattern().IsMatch(number))
            {
                checks.Add("customer_number", "Customer number must be 1-32 letters, digits or - _ .");
            }
        }

        var name = checks.Required("name", input.Name, "Name", 2, 200);
        var vat = checks.Matching(
            "vat_id",
            input.VatId,
            VatPattern(),
            "VAT id must be a two-letter country code followed by 2-30 letters or digits, like DE123456789",
            v => v.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant());
        var language = checks.OneOf("language", input.Language, Languages, "Language", isNew ? "de" : null);
        var notes = checks.Notes("notes", input.Notes);
        var active = checks.Flag("is_active", input.IsActive, isNew ? true : null);
        var address = AddressRules.Check(checks, input.Street, input.PostalCode, input.City, input.Country, isNew ? AddressRules.DefaultCountry : null);
        checks.ThrowIfAny();
        return new CustomerData(number, name!, vat, language!, notes, active, address);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,32}$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("^[A-Z]{2}[A-Z0-9]{2,30}$")]
    private static partial Regex VatPattern();
}
