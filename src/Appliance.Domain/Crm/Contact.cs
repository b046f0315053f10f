using System.Text.RegularExpressions;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;

namespace Appliance.Domain.Crm;

/// <summary>A person at a customer.</summary>
public sealed record Contact(
    Guid Id,
    Guid CustomerId,
    string? FirstName,
    string LastName,
    string? Email,
    string? Phone,
    string? Mobile,
    string? Role,
    bool IsPrimary,
    string? Notes,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersioned, ICustomerOwned;

/// <summary>A contact as the client sent it; nothing checked yet.</summary>
public sealed record ContactInput(
    string? FirstName,
    string? LastName,
    string? Email = null,
    string? Phone = null,
    string? Mobile = null,
    string? Role = null,
    bool? IsPrimary = null,
    string? Notes = null);

/// <summary>A partial update: only the fields that are set change.</summary>
public sealed record ContactPatch(
    PatchField<string?> FirstName = default,
    PatchField<string?> LastName = default,
    PatchField<string?> Email = default,
    PatchField<string?> Phone = default,
    PatchField<string?> Mobile = default,
    PatchField<string?> Role = default,
    PatchField<bool?> IsPrimary = default,
    PatchField<string?> Notes = default);

/// <summary>A valid contact. Email is stored lower-case and unique among live contacts.</summary>
public sealed record ContactData(string? FirstName, string LastName, string? Email, string? Phone, string? Mobile, string? Role, bool IsPrimary, string? Notes);

/// <summary>What a valid contact looks like; no I/O.</summary>
public static partial class ContactRules
{
    public static ContactData ValidateCreate(ContactInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Validate(input, isNew: true);
    }

    public static ContactData ValidateChange(Contact current, ContactPatch patch)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(patch);
        return Validate(
            new ContactInput(
                patch.FirstName.Or(current.FirstName),
                patch.LastName.Or(current.LastName),
                patch.Email.Or(current.Email),
                patch.Phone.Or(current.Phone),
                patch.Mobile.Or(current.Mobile),
                patch.Role.Or(current.Role),
                patch.IsPrimary.Or(current.IsPrimary),
                patch.Notes.Or(current.Notes)),
            isNew: false);
    }

    public static ContactData DataOf(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return new ContactData(contact.FirstName, contact.LastName, contact.Email, contact.Phone, contact.Mobile, contact.Role, contact.IsPrimary, contact.Notes);
    }

    private static ContactData Validate(ContactInput input, bool isNew)
    {
        var checks = new FieldChecks();
        var firstName = checks.Optional("first_name", input.FirstName, "First name", 100);
        var lastName = checks.Required("last_name", input.LastName, "Last name", 1, 100);
        var email = string.IsNullOrWhiteSpace(input.Email) ? null : UserRules.NormaliseEmail(input.Email, checks.Errors);
        var phone = checks.Matching("phone", input.Phone, PhonePattern(), PhoneMessage);
        var mobile = checks.Matching("mobile", input.Mobile, PhonePattern(), PhoneMessage);
        var role = checks.Optional("role", input.Role, "Role", 100);
        var primary = checks.Flag("is_primary", input.IsPrimary, isNew ? false : null);
        var notes = checks.Notes("notes", input.Notes);
        checks.ThrowIfAny();
        return new ContactData(firstName, lastName!, email, phone, mobile, role, primary, notes);
    }

    private const string PhoneMessage = "Phone numbers are 3 to 40 characters: digits, spaces and + ( ) / . -, starting with + or a digit";

    [GeneratedRegex(@"^(?=(?:\D*\d){3})[+0-9][0-9 ()/.-]{2,39}$")]
    private static partial Regex PhonePattern();
}
