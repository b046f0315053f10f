namespace Appliance.Domain.Common;

/// <summary>One problem with one input field, in the words the client sees.</summary>
/// <param name="Field">The input field (snake_case, as the client wrote it).</param>
/// <param name="Message">What is wrong.</param>
/// <param name="ExistingId">For a duplicate: the live record that already holds the value.</param>
public sealed record FieldError(string Field, string Message, Guid? ExistingId = null);

/// <summary>Input was well-formed but broke a rule; nothing was written.</summary>
public sealed class DomainValidationException : Exception
{
    public DomainValidationException()
    {
        Errors = [];
    }

    public DomainValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    public DomainValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public DomainValidationException(IReadOnlyList<FieldError> errors)
        : base("Invalid input data")
    {
        Errors = errors;
    }

    public IReadOnlyList<FieldError> Errors { get; }
}

/// <summary>The change collides with existing data (a unique name or number) or with the state of a record.</summary>
public sealed class DomainConflictException : Exception
{
    public DomainConflictException()
    {
        Errors = [];
    }

    public DomainConflictException(string message)
        : base(message)
    {
        Errors = [];
    }

    public DomainConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public DomainConflictException(string message, IReadOnlyList<FieldError> errors, bool isDuplicate = true)
        : base(message)
    {
        Errors = errors;
        IsDuplicate = isDuplicate;
    }

    public IReadOnlyList<FieldError> Errors { get; }

    /// <summary>True: the value is already taken (name, number, email); false: the record's state forbids the change.</summary>
    public bool IsDuplicate { get; } = true;
}
