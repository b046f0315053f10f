using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Domain.Common;

namespace Appliance.Domain.Sla;

/// <summary>A stored SLA policy: targets per priority and the business-hours calendar they are measured in.</summary>
public sealed record SlaPolicy(
    Guid Id,
    string Name,
    string? Description,
    bool IsDefault,
    BusinessCalendar Calendar,
    SlaTargets Targets,
    long AssignedCustomers,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A validated policy definition, ready to store. <c>IsDefault</c> null keeps the current flag (updates) or means false (creation).</summary>
public sealed record SlaPolicyDefinition(string Name, string? Description, bool? IsDefault, BusinessCalendar Calendar, SlaTargets Targets);

/// <summary>The policy that applies to a customer: its own, or the default one.</summary>
public sealed record EffectiveSlaPolicy(Guid PolicyId, string Name, bool IsCustomerSpecific, BusinessCalendar Calendar, SlaTargets Targets);

/// <summary>One priority's targets as the API receives them.</summary>
public sealed record SlaTargetInput(int? ResponseMinutes, int? ResolutionMinutes);

public sealed record SlaTargetsInput(SlaTargetInput? Critical, SlaTargetInput? High, SlaTargetInput? Medium, SlaTargetInput? Low);

/// <summary>An opening interval as the API receives it: <c>monday</c>, <c>08:00</c>, <c>17:00</c> (<c>24:00</c> ends a day).</summary>
public sealed record OpeningHoursInput(string? Weekday, string? Start, string? End);

public sealed record HolidayInput(string? Date, string? Name);

/// <summary>A policy as the API receives it (create and full replacement).</summary>
public sealed record SlaPolicyInput(
    string? Name,
    string? Description,
    bool? IsDefault,
    string? TimeZone,
    SlaTargetsInput? Targets,
    IReadOnlyList<OpeningHoursInput>? OpeningHours,
    IReadOnlyList<HolidayInput>? Holidays);

/// <summary>What a valid SLA policy looks like; no I/O.</summary>
public static partial class SlaPolicyRules
{
    /// <summary>A target may be at most a year of business time.</summary>
    public const int MaxTargetMinutes = 525_600;

    private static readonly string[] WeekdayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    /// <summary>Monday first, as the API spells them.</summary>
    public static IReadOnlyList<string> Weekdays => WeekdayNames;

    public static SlaPolicyDefinition Validate(SlaPolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<FieldError>();
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new("name", "Name is required"));
        }
        else if (name.Length is < 2 or > 100)
        {
            errors.Add(new("name", "Name must be 2 to 100 characters"));
        }

        var description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim();
        if (description is { Length: > 1000 })
        {
            errors.Add(new("description", "Description must be at most 1000 characters"));
        }

        var targets = ValidateTargets(input.Targets, errors);
        var hours = ParseHours(input.OpeningHours, errors);
        var holidays = ParseHolidays(input.Holidays, errors);

        // Each part is checked as far as it parsed, so one request reports every problem.
        BusinessCalendar.ValidateTimeZone(input.TimeZone, errors);
        if (hours is not null)
        {
            BusinessCalendar.ValidateHours(hours, errors);
        }

        if (holidays is not null)
        {
            BusinessCalendar.ValidateHolidays(holidays, errors);
        }

        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        return new SlaPolicyDefinition(name!, description, input.IsDefault, BusinessCalendar.Create(input.TimeZone, hours, holidays), targets!);
    }

    /// <summary><c>HH:mm</c>, with <c>24:00</c> as the end of a day.</summary>
    public static string FormatTime(TimeSpan time) =>
        time == BusinessCalendar.EndOfDay ? "24:00" : time.ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    public static string FormatWeekday(DayOfWeek day) => WeekdayNames[BusinessCalendar.IsoWeekday(day) - 1];

    private static SlaTargets? ValidateTargets(SlaTargetsInput? input, List<FieldError> errors)
    {
        if (input is null)
        {
            errors.Add(new("targets", "Targets are required for critical, high, medium and low"));
            return null;
        }

        var before = errors.Count;
        var critical = ValidateTarget("critical", input.Critical, errors);
        var high = ValidateTarget("high", input.High, errors);
        var medium = ValidateTarget("medium", input.Medium, errors);
        var low = ValidateTarget("low", input.Low, errors);
        return errors.Count == before ? new SlaTargets(critical!, high!, medium!, low!) : null;
    }

    private static SlaTarget? ValidateTarget(string priority, SlaTargetInput? input, List<FieldError> errors)
    {
        var field = $"targets.{priority}";
        if (input is null)
        {
            errors.Add(new(field, $"Targets for {priority} tickets are required"));
            return null;
        }

        var before = errors.Count;
        CheckMinutes($"{field}.response_minutes", input.ResponseMinutes, errors);
        CheckMinutes($"{field}.resolution_minutes", input.ResolutionMinutes, errors);
        if (errors.Count > before)
        {
            return null;
        }

        if (input.ResolutionMinutes < input.ResponseMinutes)
        {
            errors.Add(new($"{field}.resolution_minutes", "Resolution target must not be shorter than the response target"));
            return null;
        }

        return SlaTarget.FromMinutes(input.ResponseMinutes!.Value, input.ResolutionMinutes!.Value);
    }

    private static void CheckMinutes(string field, int? minutes, List<FieldError> errors)
    {
        if (minutes is null)
        {
            errors.Add(new(field, "Required (business minutes)"));
        }
        else if (minutes is < 1 or > MaxTargetMinutes)
        {
            errors.Add(new(field, $"Must be from 1 to {MaxTargetMinutes} business minutes"));
        }
    }

    private static List<OpeningInterval>? ParseHours(IReadOnlyList<OpeningHoursInput>? input, List<FieldError> errors)
    {
        if (input is null)
        {
            errors.Add(new("opening_hours", "At least one opening interval is required"));
            return null;
        }

        var before = errors.Count;
        var hours = new List<OpeningInterval>(input.Count);
        for (var i = 0; i < input.Count; i++)
        {
            var entry = input[i];
            if (entry is null)
            {
                errors.Add(new($"opening_hours[{i}]", "An object with weekday, start and end is required"));
                continue;
            }

            var day = Array.IndexOf(WeekdayNames, entry.Weekday?.Trim().ToLowerInvariant());
            if (day < 0)
            {
                errors.Add(new($"opening_hours[{i}].weekday", "Weekday must be one of: " + string.Join(", ", Weekdays)));
            }

            var start = ParseTime(entry.Start, allowEndOfDay: false);
            if (start is null)
            {
                errors.Add(new($"opening_hours[{i}].start", "Start must be a time HH:mm from 00:00 to 23:59"));
            }

            var end = ParseTime(entry.End, allowEndOfDay: true);
            if (end is null)
            {
                errors.Add(new($"opening_hours[{i}].end", "End must be a time HH:mm from 00:01 to 24:00"));
            }

            if (day >= 0 && start is not null && end is not null)
            {
                hours.Add(new OpeningInterval(BusinessCalendar.FromIsoWeekday(day + 1), start.Value, end.Value));
            }
        }

        return errors.Count == before ? hours : null;
    }

    private static List<Holiday>? ParseHolidays(IReadOnlyList<HolidayInput>? input, List<FieldError> errors)
    {
        var before = errors.Count;
        var holidays = new List<Holiday>(input?.Count ?? 0);
        for (var i = 0; i < (input?.Count ?? 0); i++)
        {
            var entry = input![i];
            if (entry is null)
            {
                errors.Add(new($"holidays[{i}]", "An object with date and name is required"));
                continue;
            }

            if (!DateOnly.TryParseExact(entry.Date?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                errors.Add(new($"holidays[{i}].date", "Date must be a date YYYY-MM-DD"));
                continue;
            }

            holidays.Add(new Holiday(date, string.IsNullOrWhiteSpace(entry.Name) ? null : entry.Name.Trim()));
        }

        return errors.Count == before ? holidays : null;
    }

    private static TimeSpan? ParseTime(string? text, bool allowEndOfDay)
    {
        var trimmed = text?.Trim();
        if (trimmed is null || !TimePattern().IsMatch(trimmed))
        {
            return null;
        }

        var hours = int.Parse(trimmed.AsSpan(0, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(trimmed.AsSpan(3, 2), CultureInfo.InvariantCulture);
        if (hours == 24)
        {
            return allowEndOfDay && minutes == 0 ? BusinessCalendar.EndOfDay : null;
        }

        var time = new TimeSpan(hours, minutes, 0);
        return !allowEndOfDay || time > TimeSpan.Zero ? time : null;
    }

    [GeneratedRegex("^([01][0-9]|2[0-4]):[0-5][0-9]$")]
    private static partial Regex TimePattern();
}
