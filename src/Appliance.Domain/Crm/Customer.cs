using System.Text.RegularExpressions;
using Appliance.Domain.Common;

namespace Appliance.Domain.Crm;

public sealed record Customer(
    Guid Id,
    string CustomerNumber,
    string Name,
    string? VatId,
    string Language,
    string? Notes,
    bool IsActive,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record NewCustomer(string CustomerNumber, string Name, string? VatId, string Language, string? Notes);

/// <summary>What a valid customer looks like; no I/O.</summary>
public static partial class CustomerRules
{
    public static readonly IReadOnlyList<string> Languages = ["de", "en"];

    public static NewCustomer Validate(string? customerNumber, string? name, string? vatId, string? language, string? notes)
    {
        var errors = new List<FieldError>();
        var number = customerNumber?.Trim();
        if (string.IsNullOrEmpty(number))
        {
            errors.Add(new("customer_number", "Customer number is required"));
        }
        else if (!NumberPattern().IsMatch(number))
        {
            errors.Add(new("customer_number", "Customer number must be 1-32 letters, digits or - _ ."));
        }

        var trimmedName = name?.Trim();
        if (string.IsNullOrEmpty(trimmedName))
        {
            errors.Add(new("name", "Name is required"));
        }
        else if (trimmedName.Length is < 2 or > 200)
        {
            errors.Add(new("name", "Name must be 2 to 200 characters"));
        }

        var vat = string.IsNullOrWhiteSpace(vatId) ? null : vatId.Trim().Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (vat is not null && !VatPattern().IsMatch(vat))
        {
            errors.Add(new("vat_id", "VAT id must be a two-letter country code followed by 2-30 letters or digits, like DE123456789"));
        }

        var lang = string.IsNullOrWhiteSpace(language) ? "de" : language.Trim();
        if (!Languages.Contains(lang))
        {
            errors.Add(new("language", "Language must be one of: de, en"));
        }

        if (notes is { Length: > 10_000 })
        {
            errors.Add(new("notes", "Notes must be at most 10000 characters"));
        }

        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        return new NewCustomer(number!, trimmedName!, vat, lang, string.IsNullOrWhiteSpace(notes) ? null : notes);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,32}$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("^[A-Z]{2}[A-Z0-9]{2,30}$")]
    private static partial Regex VatPattern();
}
