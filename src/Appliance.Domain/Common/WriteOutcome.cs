namespace Appliance.Domain.Common;

/// <summary>How a store write ended; every refusal means nothing was written.</summary>
public enum WriteStatus
{
    /// <summary>Written, or nothing to write because nothing changed (<see cref="WriteOutcome{T}.Changed"/> is false).</summary>
    Done,

    /// <summary>No live record, or one the principal may not see: both answer the same, so ids leak nothing.</summary>
    NotFound,

    /// <summary>The principal sees the record but may not make this change.</summary>
    Forbidden,

    /// <summary>The record's state refuses the change: a duplicate value, an approved time entry, a merged ticket.</summary>
    Conflict,

    /// <summary>The record changed since the caller read it (its If-Match); <see cref="WriteRefusal.CurrentVersion"/> says to what.</summary>
    PreconditionFailed,

    /// <summary>The change breaks a rule of the record's life cycle (a status move the workflow does not allow).</summary>
    Rejected,
}

/// <summary>
/// Why a write was refused, in the words the caller sees. <see cref="Code"/> is the error code when the refusal has its
/// own (<c>TIME_ENTRY_APPROVED</c>); null leaves the HTTP layer's code for the status.
/// </summary>
public sealed record WriteRefusal(WriteStatus Status, string Message, IReadOnlyList<FieldError> Details, string? Code = null, int? CurrentVersion = null);

/// <summary>
/// What a store write did. Stores report "not found", "forbidden", conflicts, stale versions and workflow refusals
/// with this one type (docs/architecture.md); only invalid input is an exception (<see cref="DomainValidationException"/>).
/// </summary>
/// <typeparam name="T">The record after the write (before it, for deletes).</typeparam>
public sealed record WriteOutcome<T>(T? Value, WriteRefusal? Refusal, bool Changed)
    where T : class
{
    public WriteStatus Status => Refusal?.Status ?? WriteStatus.Done;

    /// <summary>The same refusal for a write that reports another type (a merge answering with the merged ticket).</summary>
    public WriteOutcome<TOther> Refused<TOther>()
        where TOther : class =>
        new(null, Refusal ?? throw new InvalidOperationException("The write was not refused"), false);
}

public static class WriteOutcome
{
    public const string AlreadyExistsCode = "RESOURCE_ALREADY_EXISTS";
    public const string ConflictCode = "RESOURCE_CONFLICT";

    public static WriteOutcome<T> Done<T>(T value)
        where T : class => new(value, null, true);

    /// <summary>Nothing to write: the record already is as asked.</summary>
    public static WriteOutcome<T> Unchanged<T>(T value)
        where T : class => new(value, null, false);

    public static WriteOutcome<T> Refused<T>(WriteRefusal refusal)
        where T : class => new(null, refusal, false);

    public static WriteOutcome<T> NotFound<T>(string what)
        where T : class => Refused<T>(new WriteRefusal(WriteStatus.NotFound, $"{what} not found", []));

    public static WriteOutcome<T> Forbidden<T>(string message, IReadOnlyList<FieldError>? details = null)
        where T : class => Refused<T>(new WriteRefusal(WriteStatus.Forbidden, message, details ?? []));

    public static WriteOutcome<T> Conflict<T>(string code, string message, IReadOnlyList<FieldError>? details = null)
        where T : class => Refused<T>(new WriteRefusal(WriteStatus.Conflict, message, details ?? [], code));

    public static WriteOutcome<T> Rejected<T>(string code, string message, IReadOnlyList<FieldError> details)
        where T : class => Refused<T>(new WriteRefusal(WriteStatus.Rejected, message, details, code));

    /// <summary>The record is at <paramref name="currentVersion"/>, which the caller did not expect.</summary>
    public static WriteOutcome<T> Stale<T>(string entityType, int currentVersion)
        where T : class => Refused<T>(StaleRefusal(new PreconditionFailedException(entityType, currentVersion)));

    /// <summary>
    /// Runs one whole write and reports the refusals its transaction raised deep inside (a parent that is gone, a duplicate
    /// found in the write transaction, a lost update caught by the UPDATE's version condition) as outcomes. Raising them rolls the
    /// transaction back; this is where they become the store's answer.
    /// </summary>
    public static async Task<WriteOutcome<T>> CatchAsync<T>(Func<Task<WriteOutcome<T>>> write)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(write);
        try
        {
            return await write();
        }
        catch (DomainNotFoundException missing)
        {
            return Refused<T>(new WriteRefusal(WriteStatus.NotFound, missing.Message, []));
        }
        catch (DomainConflictException conflict)
        {
            return Refused<T>(new WriteRefusal(WriteStatus.Conflict, conflict.Message, conflict.Errors, conflict.IsDuplicate ? AlreadyExistsCode : ConflictCode));
        }
        catch (PreconditionFailedException stale)
        {
            return Refused<T>(StaleRefusal(stale));
        }
    }

    private static WriteRefusal StaleRefusal(PreconditionFailedException stale) =>
        new(WriteStatus.PreconditionFailed, stale.Message, [], CurrentVersion: stale.CurrentVersion);
}
