using System.Text.RegularExpressions;

namespace Appliance.Domain.Common;

/// <summary>
/// Collects field errors while normalising input, so a rule set reads top to bottom and reports every problem at
/// once. Text is trimmed; blank optional text becomes null.
/// </summary>
public sealed class FieldChecks
{
    public List<FieldError> Errors { get; } = [];

    public void Add(string field, string message) => Errors.Add(new FieldError(field, message));

    /// <summary>Trimmed text of <paramref name="min"/> to <paramref name="max"/> characters; null with an error otherwise.</summary>
    public string? Required(string field, string? value, string label, int min, int max)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            Add(field, $"{label} is required");
            return null;
        }

        return Length(field, trimmed, label, min, max);
    }

    /// <summary>Trimmed text of at most <paramref name="max"/> characters, or null when blank.</summary>
    public string? Optional(string field, string? value, string label, int max)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : Length(field, trimmed, label, 1, max);
    }

    /// <summary>Free text kept as written (line breaks, indentation), or null when blank.</summary>
    public string? Notes(string field, string? value, int max = 10_000)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Length > max)
        {
            Add(field, $"Notes must be at most {max} characters");
            return null;
        }

        return value;
    }

    /// <summary>Optional text that must match <paramref name="pattern"/> after <paramref name="normalise"/>.</summary>
    public string? Matching(string field, string? value, Regex pattern, string message, Func<string, string>? normalise = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = normalise is null ? value.Trim() : normalise(value.Trim());
        if (!pattern.IsMatch(text))
        {
            Add(field, message);
            return null;
        }

        return text;
    }

    /// <summary>One of <paramref name="allowed"/>; <paramref name="fallback"/> when not given (null: required).</summary>
    public string? OneOf(string field, string? value, IReadOnlyList<string> allowed, string label, string? fallback)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var text = string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        if (text is null || !allowed.Contains(text, StringComparer.Ordinal))
        {
            Add(field, $"{label} must be one of: {string.Join(", ", allowed)}");
            return null;
        }

        return text;
    }

    /// <summary>A flag; <paramref name="fallback"/> when not given (null: required).</summary>
    public bool Flag(string field, bool? value, bool? fallback)
    {
        if ((value ?? fallback) is { } flag)
        {
            return flag;
        }

        Add(field, $"{field} must be true or false");
        return false;
    }

    private string? Length(string field, string text, string label, int min, int max)
    {
        if (text.Length >= min && text.Length <= max)
        {
            return text;
        }

        Add(field, min <= 1 ? $"{label} must be at most {max} characters" : $"{label} must be {min} to {max} characters");
        return null;
    }

    public void ThrowIfAny()
    {
        if (Errors.Count > 0)
        {
            throw new DomainValidationException(Errors);
        }
    }
}
