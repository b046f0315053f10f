using System.Text.RegularExpressions;
using Appliance.Domain.Common;

namespace Appliance.Domain.Crm;

/// <summary>A postal address as customers and sites carry it.</summary>
public sealed record PostalAddress(string? Street, string? PostalCode, string? City, string Country);

/// <summary>What a valid address looks like; no I/O.</summary>
public static partial class AddressRules
{
    public const string DefaultCountry = "DE";

    /// <param name="checks">Collects the problems.</param>
    /// <param name="street">Street and house number.</param>
    /// <param name="postalCode">Letters, digits, spaces and hyphens (covers DE, AT, CH, NL, GB ...).</param>
    /// <param name="city">City.</param>
    /// <param name="country">ISO 3166-1 alpha-2; <paramref name="countryFallback"/> when not given (null: required).</param>
    /// <param name="countryFallback">The default for new records.</param>
    public static PostalAddress Check(FieldChecks checks, string? street, string? postalCode, string? city, string? country, string? countryFallback)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var checkedStreet = checks.Optional("street", street, "Street", 200);
        var checkedPostalCode = checks.Matching("postal_code", postalCode, PostalCodePattern(), "Postal code must be 2 to 12 letters, digits, spaces or hyphens", p => p.ToUpperInvariant());
        var checkedCity = checks.Optional("city", city, "City", 100);
        var code = string.IsNullOrWhiteSpace(country) ? countryFallback : country.Trim().ToUpperInvariant();
        if (code is null || !CountryPattern().IsMatch(code))
        {
            checks.Add("country", "Country must be a two-letter ISO 3166 code like DE, AT or CH");
            code = countryFallback ?? DefaultCountry;
        }

        return new PostalAddress(checkedStreet, checkedPostalCode, checkedCity, code);
    }

    [GeneratedRegex("^[A-Z0-9][A-Z0-9 -]{0,10}[A-Z0-9]$")]
    private static partial Regex PostalCodePattern();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryPattern();
}
