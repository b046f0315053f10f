using System.Text.RegularExpressions;
using Appliance.Domain.Common;

namespace Appliance.Domain.Tickets;

/// <summary>The fields of a new ticket after validation: trimmed, sanitised, defaults applied.</summary>
public sealed record ValidTicket(string Title, string Description, Guid CustomerId, string Priority, string? Category, IReadOnlyList<string> Tags, string Source);

/// <summary>The editable fields of a ticket after validation; null means "unchanged".</summary>
public sealed record ValidTicketChanges(string? Title, string? Description, string? Priority, string? Category, bool CategoryGiven, IReadOnlyList<string>? Tags);

/// <summary>What a valid ticket looks like (brief: title 3-200, description at least 10, the seed's vocabularies); no I/O.</summary>
public static partial class TicketRules
{
    public const int TitleMin = 3;
    public const int TitleMax = 200;
    public const int DescriptionMin = 10;
    public const int DescriptionMax = 100_000;
    public const int CategoryMax = 50;
    public const int TagMax = 50;
    public const int TagsMax = 20;

    public static ValidTicket ValidateNew(string? title, string? description, Guid? customerId, string? priority, string? category, IReadOnlyList<string>? tags, string? source)
    {
        var errors = new List<FieldError>();
        var validTitle = CheckTitle(title, errors);
        var validDescription = CheckDescription(description, errors);
        if (customerId is null || customerId == Guid.Empty)
        {
            errors.Add(new FieldError("customer_id", "Customer is required"));
        }

        var validPriority = priority is null ? "medium" : CheckVocabulary(priority, TicketVocabulary.Priorities, "priority", errors);
        var validCategory = CheckCategory(category, errors);
        var validTags = CheckTags(tags, errors);
        var validSource = source is null ? "portal" : CheckVocabulary(source, TicketVocabulary.Sources, "source", errors);
        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        return new ValidTicket(validTitle!, validDescription!, customerId!.Value, validPriority!, validCategory, validTags, validSource!);
    }

    public static ValidTicketChanges ValidateChanges(string? title, string? description, string? priority, string? category, bool categoryGiven, IReadOnlyList<string>? tags)
    {
        var errors = new List<FieldError>();
        var validTitle = title is null ? null : CheckTitle(title, errors);
        var validDescription = description is null ? null : CheckDescription(description, errors);
        var validPriority = priority is null ? null : CheckVocabulary(priority, TicketVocabulary.Priorities, "priority", errors);
        var validCategory = categoryGiven ? CheckCategory(category, errors) : null;
        var validTags = tags is null ? null : CheckTags(tags, errors);
        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        return new ValidTicketChanges(validTitle, validDescription, validPriority, validCategory, categoryGiven, validTags);
    }

    /// <summary>Comment bodies: sanitised rich text with at least one visible character, at most 100,000.</summary>
    public static string ValidateCommentBody(string? body)
    {
        var sanitized = RichText.Sanitize(body);
        var plain = RichText.ToPlainText(sanitized);
        if (plain.Length == 0)
        {
            throw new DomainValidationException([new FieldError("body", "Comment must not be empty")]);
        }

        if (sanitized.Length > DescriptionMax)
        {
            throw new DomainValidationException([new FieldError("body", $"Comment must be at most {DescriptionMax} characters")]);
        }

        return sanitized;
    }

    private static string? CheckTitle(string? title, List<FieldError> errors)
    {
        var trimmed = title?.Trim();
        if (trimmed is null || trimmed.Length < TitleMin || trimmed.Length > TitleMax)
        {
            errors.Add(new FieldError("title", $"Title must be {TitleMin} to {TitleMax} characters"));
            return null;
        }

        if (trimmed.Any(char.IsControl))
        {
            errors.Add(new FieldError("title", "Title must not contain control characters"));
            return null;
        }

        return trimmed;
    }

    private static string? CheckDescription(string? description, List<FieldError> errors)
    {
        var sanitized = RichText.Sanitize(description);
        if (RichText.ToPlainText(sanitized).Length < DescriptionMin)
        {
            errors.Add(new FieldError("description", $"Description must be at least {DescriptionMin} characters of text"));
            return null;
        }

        if (sanitized.Length > DescriptionMax)
        {
            errors.Add(new FieldError("description", $"Description must be at most {DescriptionMax} characters"));
            return null;
        }

        return sanitized;
    }

    private static string? CheckVocabulary(string value, IReadOnlyList<string> allowed, string field, List<FieldError> errors)
    {
        if (allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        errors.Add(new FieldError(field, $"Must be one of: {string.Join(", ", allowed)}"));
        return null;
    }

    private static string? CheckCategory(string? category, List<FieldError> errors)
    {
        var trimmed = category?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        if (trimmed.Length > CategoryMax || trimmed.Any(char.IsControl))
        {
            errors.Add(new FieldError("category", $"Category must be at most {CategoryMax} characters"));
            return null;
        }

        return trimmed;
    }

    private static List<string> CheckTags(IReadOnlyList<string>? tags, List<FieldError> errors)
    {
        if (tags is null)
        {
            return [];
        }

        var result = new List<string>();
        foreach (var raw in tags)
        {
            var tag = raw?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(tag) || tag.Length > TagMax || !TagPattern().IsMatch(tag))
            {
                errors.Add(new FieldError("tags", $"Tags are 1 to {TagMax} letters, digits, '-', '_' or '.'"));
                return [];
            }

            if (!result.Contains(tag, StringComparer.Ordinal))
            {
                result.Add(tag);
            }
        }

        if (result.Count > TagsMax)
        {
            errors.Add(new FieldError("tags", $"At most {TagsMax} tags"));
            return [];
        }

        return result;
    }

    [GeneratedRegex(@"^[\p{L}\p{N}_.\-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
