using System.Net.Mail;
using Appliance.Domain.Common;

namespace Appliance.Domain.Identity;

/// <summary>What a valid user looks like; no I/O.</summary>
public static class UserRules
{
    public static NewUser ValidateNew(string? email, string? displayName, string? role, Guid? customerId, string? language, IReadOnlyList<string>? skills, string? password)
    {
        var errors = new List<FieldError>();
        var normalisedEmail = NormaliseEmail(email, errors);
        var name = displayName?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
        {
            errors.Add(new FieldError("display_name", "Display name must be 1 to 200 characters"));
        }

        CheckRole(role, customerId, errors);
        var lang = CheckLanguage(language, errors);
        var skillList = CheckSkills(skills, errors);
        errors.AddRange(PasswordPolicy.Check(password, normalisedEmail));
        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        return new NewUser(normalisedEmail!, name!, role!, customerId, lang, skillList, PasswordPolicy.Hash(normalisedEmail!, password!));
    }

    /// <summary>Whether a change from <paramref name="before"/> to <paramref name="after"/> must end the user's access tokens at
    /// once: a deactivation, or a new role or company, which the tokens carry.</summary>
    public static bool EndsAccessTokens(User before, User after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return (before.IsActive && !after.IsActive) || before.Role != after.Role || before.CustomerId != after.CustomerId;
    }

    public static void ValidateChanges(User current, UserChanges changes)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changes);
        var errors = new List<FieldError>();
        if (changes.DisplayName is not null && (changes.DisplayName.Trim().Length is 0 or > 200))
        {
            errors.Add(new FieldError("display_name", "Display name must be 1 to 200 characters"));
        }

        var role = changes.Role ?? current.Role;
        var customer = changes.CustomerIdGiven ? changes.CustomerId : current.CustomerId;
        if (changes.Role is not null || changes.CustomerIdGiven)
        {
            CheckRole(role, customer, errors);
        }

        if (changes.Language is not null)
        {
            CheckLanguage(changes.Language, errors);
        }

        if (changes.Skills is not null)
        {
            CheckSkills(changes.Skills, errors);
        }

        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }
    }

    public static string? NormaliseEmail(string? email, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 254 || !MailAddress.TryCreate(trimmed, out var parsed) || parsed.Address != trimmed || !trimmed.Contains('.', StringComparison.Ordinal))
        {
            errors.Add(new FieldError("email", "A valid email address is required"));
            return null;
        }

        return trimmed.ToLowerInvariant();
    }

    private static void CheckRole(string? role, Guid? customerId, List<FieldError> errors)
    {
        if (role is null || !Roles.IsKnown(role))
        {
            errors.Add(new FieldError("role", $"Role must be one of: {string.Join(", ", Roles.All)}"));
        }
        else if (role == Roles.CustomerAdmin && customerId is null)
        {
            errors.Add(new FieldError("customer_id", "Customer users need the customer they belong to"));
        }
        else if (role != Roles.CustomerAdmin && customerId is not null)
        {
            errors.Add(new FieldError("customer_id", "Only customer users belong to a customer"));
        }
    }

    private static string CheckLanguage(string? language, List<FieldError> errors)
    {
        var lang = string.IsNullOrWhiteSpace(language) ? "de" : language.Trim();
        if (lang is not ("de" or "en"))
        {
            errors.Add(new FieldError("language", "Language must be one of: de, en"));
        }

        return lang;
    }

    private static List<string> CheckSkills(IReadOnlyList<string>? skills, List<FieldError> errors)
    {
        var list = (skills ?? []).Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0).Distinct().ToList();
        if (list.Count > 50 || list.Any(s => s.Length > 50))
        {
            errors.Add(new FieldError("skills", "At most 50 skills of at most 50 characters"));
        }

        return list;
    }
}
