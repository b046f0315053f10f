using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;

namespace Appliance.Domain.Tickets;

/// <summary>
/// A comment on a ticket: sanitised rich text, public (the customer sees it) or internal (staff only). The author's
/// name is their display name at reading time; <c>MovedFrom</c> names the ticket it was written on when a merge moved it.
/// </summary>
public sealed record TicketComment(
    Guid Id,
    Guid TicketId,
    Guid? AuthorId,
    string? AuthorName,
    string Body,
    bool IsInternal,
    Guid? MovedFrom,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersioned;

/// <summary>Who may change a comment after it was written; no I/O.</summary>
public static class CommentRules
{
    /// <summary>How long an author may still correct or withdraw what they wrote.</summary>
    public static readonly TimeSpan EditWindow = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Edit and delete: the author within <see cref="EditWindow"/> of writing it (customer users too, for their own public
    /// comments), service managers and system admins at any time (moderation). Seeing the comment is checked before.
    /// </summary>
    public static bool CanChange(Actor actor, Guid? authorId, DateTimeOffset createdAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Role is Roles.SystemAdmin or Roles.ServiceManager)
        {
            return true;
        }

        return authorId == actor.Id && now - createdAt <= EditWindow;
    }

    /// <summary>Why <see cref="CanChange"/> said no, in the words the caller sees.</summary>
    public static string Refusal(Actor actor, Guid? authorId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return authorId == actor.Id
            ? $"Comments can be changed by their author within {EditWindow.TotalMinutes:0} minutes of writing them"
            : "Only the author, a service manager or an admin may change this comment";
    }
}

/// <summary>The outcome of a write that depends on the caller and the record's state; nothing is written unless Done.</summary>
public enum RecordWriteStatus
{
    Done,

    /// <summary>No live record, its ticket is gone, or the caller may not see it (other companies, internal comments).</summary>
    NotFound,

    /// <summary>The caller sees the record but may not make this change.</summary>
    Forbidden,

    /// <summary>A time entry is approved: locked until it is unapproved (or approve was asked twice).</summary>
    Approved,

    /// <summary>Unapprove on an entry that is not approved.</summary>
    NotApproved,

    /// <summary>The ticket was merged into another; new work goes there.</summary>
    TicketMerged,
}

/// <summary>What a write did: <see cref="Value"/> is the record after it when <see cref="Status"/> is Done, null otherwise.</summary>
public sealed record RecordWrite<T>(RecordWriteStatus Status, T? Value, string? Message = null)
    where T : class;

public static class RecordWrite
{
    public static RecordWrite<T> Done<T>(T value)
        where T : class => new(RecordWriteStatus.Done, value);

    public static RecordWrite<T> Refused<T>(RecordWriteStatus status, string? message = null)
        where T : class => new(status, null, message);
}

/// <summary>How comments and time entries appear in audit values and event payloads (snake_case, generated at compile time).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TicketComment))]
[JsonSerializable(typeof(TimeEntry))]
public sealed partial class ServiceDeskJsonContext : JsonSerializerContext;
