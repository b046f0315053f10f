using System.Text.Json.Serialization;
using Appliance.Domain.Common;

namespace Appliance.Domain.Tickets;

/// <summary>
/// Time booked on a ticket by one person; approved entries are locked for billing. The ticket number and the user's
/// display name come along for timesheets that span tickets; <c>MovedFrom</c> names the ticket it was booked on when a
/// merge moved it.
/// </summary>
public sealed record TimeEntry(
    Guid Id,
    Guid TicketId,
    long TicketNumber,
    Guid UserId,
    string UserName,
    DateOnly WorkDate,
    int Minutes,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    bool Billable,
    string WorkType,
    string? Note,
    DateTimeOffset? ApprovedAt,
    Guid? ApprovedBy,
    Guid? MovedFrom,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersioned
{
    [JsonIgnore]
    public bool IsApproved => ApprovedAt is not null;

    /// <summary>The entry's fields in the shape <see cref="TimeEntryRules.Validate"/> returns, to tell a real change from a no-op.</summary>
    [JsonIgnore]
    public ValidTimeEntry Data => new(WorkDate, Minutes, StartedAt, EndedAt, Billable, WorkType, Note);
}

/// <summary>Time entry filters; every one optional. <c>From</c>/<c>To</c> are inclusive work dates.</summary>
public sealed record TimeEntryFilter(Guid? TicketId, Guid? UserId, bool? Billable, bool? Approved, DateOnly? From, DateOnly? To);

/// <summary>A partial update of a time entry: only the fields that are set change.</summary>
public sealed record TimeEntryPatch(
    PatchField<DateOnly?> WorkDate = default,
    PatchField<int?> Minutes = default,
    PatchField<DateTimeOffset?> StartedAt = default,
    PatchField<DateTimeOffset?> EndedAt = default,
    PatchField<bool?> Billable = default,
    PatchField<string?> WorkType = default,
    PatchField<string?> Note = default)
{
    /// <summary>
    /// The entry after the patch, validated as a whole. Minutes follow start and end: when the patch or the entry has
    /// them and the patch names no minutes, the minutes are recomputed; to switch to plain minutes the client clears
    /// <c>started_at</c> and <c>ended_at</c>. A cleared <c>work_date</c> is derived again (from the start, else today).
    /// </summary>
    public ValidTimeEntry ApplyTo(TimeEntry current, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(current);
        var startedAt = StartedAt.Or(current.StartedAt);
        var endedAt = EndedAt.Or(current.EndedAt);
        var minutes = Minutes.IsSet ? Minutes.Value : (startedAt is not null || endedAt is not null ? null : current.Minutes);
        return TimeEntryRules.Validate(
            WorkDate.Or(current.WorkDate),
            minutes,
            startedAt,
            endedAt,
            Billable.Or(current.Billable),
            WorkType.Or(current.WorkType),
            Note.Or(current.Note),
            today);
    }
}
