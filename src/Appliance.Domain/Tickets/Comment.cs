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
