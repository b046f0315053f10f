using Appliance.Domain.Common;
using Appliance.Domain.Identity;

namespace Appliance.Domain.Tickets;

/// <summary>A time entry after validation: the minutes are always known, start and end only when given.</summary>
public sealed record ValidTimeEntry(DateOnly WorkDate, int Minutes, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, bool Billable, string WorkType, string? Note);

/// <summary>Time booked on tickets: minutes or a start/end pair, a work type, billable or not; locked once approved.</summary>
public static class TimeEntryRules
{
    public const int MaxMinutes = 24 * 60;
    public const int NoteMax = 4000;

    public static readonly IReadOnlyList<string> WorkTypes = ["remote", "onsite", "travel", "phone", "internal"];

    /// <summary>
    /// Validates a new entry. Either <paramref name="minutes"/> or both <paramref name="startedAt"/> and
    /// <paramref name="endedAt"/>; when all three are given they must agree. The date defaults to the start's date and
    /// may not lie more than a day ahead of <paramref name="today"/> (time zones), nor over a year back.
    /// </summary>
    public static ValidTimeEntry Validate(DateOnly? workDate, int? minutes, DateTimeOffset? startedAt, DateTimeOffset? endedAt, bool? billable, string? workType, string? note, DateOnly today)
    {
        var errors = new List<FieldError>();
        int? duration = null;
        if (startedAt is not null || endedAt is not null)
        {
            if (startedAt is null || endedAt is null)
            {
                errors.Add(new FieldError(startedAt is null ? "started_at" : "ended_at", "Give both start and end, or minutes"));
            }
            else if (endedAt <= startedAt)
            {
                errors.Add(new FieldError("ended_at", "End must be after start"));
            }
            else if ((endedAt.Value - startedAt.Value).TotalMinutes > MaxMinutes)
            {
                errors.Add(new FieldError("ended_at", "An entry covers at most 24 hours"));
            }
            else
            {
                duration = (int)Math.Ceiling((endedAt.Value - startedAt.Value).TotalMinutes);
                if (minutes is not null && minutes != duration)
                {
                    errors.Add(new FieldError("minutes", $"Minutes ({minutes}) do not match start and end ({duration})"));
                }
            }
        }
        else if (minutes is null)
        {
            errors.Add(new FieldError("minutes", "Give minutes, or start and end"));
        }
        else if (minutes is < 1 or > MaxMinutes)
        {
            errors.Add(new FieldError("minutes", $"Minutes must be 1 to {MaxMinutes}"));
        }
        else
        {
            duration = minutes;
        }

        var date = workDate ?? (startedAt is not null ? DateOnly.FromDateTime(startedAt.Value.DateTime) : today);
        if (date > today.AddDays(1) || date < today.AddYears(-1))
        {
            errors.Add(new FieldError("work_date", "Date must be within the last year and not in the future"));
        }

        var type = workType ?? "remote";
        if (!WorkTypes.Contains(type, StringComparer.Ordinal))
        {
            errors.Add(new FieldError("work_type", $"Must be one of: {string.Join(", ", WorkTypes)}"));
        }

        var trimmedNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (trimmedNote is { Length: > NoteMax })
        {
            errors.Add(new FieldError("note", $"Note must be at most {NoteMax} characters"));
        }

        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        return new ValidTimeEntry(date, duration!.Value, startedAt, endedAt, billable ?? true, type, trimmedNote);
    }

    /// <summary>Technicians edit their own entries until approved; service managers and admins any unapproved entry.</summary>
    public static bool CanEdit(Actor actor, Guid entryUserId, bool approved)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (approved || !actor.Can(Permissions.TicketUpdate))
        {
            return false;
        }

        return actor.Role is Roles.SystemAdmin or Roles.ServiceManager || entryUserId == actor.Id;
    }

    /// <summary>Approving locks an entry for billing; only those who may approve billing may do it.</summary>
    public static bool CanApprove(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Can(Permissions.BillingApprove) || actor.Role == Roles.ServiceManager;
    }
}
