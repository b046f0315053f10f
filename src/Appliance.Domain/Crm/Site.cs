using Appliance.Domain.Common;

namespace Appliance.Domain.Crm;

/// <summary>A customer location (head office, branch, data centre) where the MSP works.</summary>
public sealed record Site(
    Guid Id,
    Guid CustomerId,
    string Name,
    string? Street,
    string? PostalCode,
    string? City,
    string Country,
    string? Notes,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersioned, ICustomerOwned;

/// <summary>A site as the client sent it; nothing checked yet.</summary>
public sealed record SiteInput(string? Name, string? Street = null, string? PostalCode = null, string? City = null, string? Country = null, string? Notes = null);

/// <summary>A partial update: only the fields that are set change.</summary>
public sealed record SitePatch(
    PatchField<string?> Name = default,
    PatchField<string?> Street = default,
    PatchField<string?> PostalCode = default,
    PatchField<string?> City = default,
    PatchField<string?> Country = default,
    PatchField<string?> Notes = default);

/// <summary>A valid site; its name is unique among the customer's live sites.</summary>
public sealed record SiteData(string Name, PostalAddress Address, string? Notes);

/// <summary>What a valid site looks like; no I/O.</summary>
public static class SiteRules
{
    public static SiteData ValidateCreate(SiteInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Validate(input, isNew: true);
    }

    public static SiteData ValidateChange(Site current, SitePatch patch)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(patch);
        return Validate(
            new SiteInput(
                patch.Name.Or(current.Name),
                patch.Street.Or(current.Street),
                patch.PostalCode.Or(current.PostalCode),
                patch.City.Or(current.City),
                patch.Country.Or(current.Country),
                patch.Notes.Or(current.Notes)),
            isNew: false);
    }

    public static SiteData DataOf(Site site)
    {
        ArgumentNullException.ThrowIfNull(site);
        return new SiteData(site.Name, new PostalAddress(site.Street, site.PostalCode, site.City, site.Country), site.Notes);
    }

    private static SiteData Validate(SiteInput input, bool isNew)
    {
        var checks = new FieldChecks();
        var name = checks.Required("name", input.Name, "Name", 2, 200);
        var address = AddressRules.Check(checks, input.Street, input.PostalCode, input.City, input.Country, isNew ? AddressRules.DefaultCountry : null);
        var notes = checks.Notes("notes", input.Notes);
        checks.ThrowIfAny();
        return new SiteData(name!, address, notes);
    }
}
