namespace Appliance.Domain.Common;

/// <summary>One problem with one input field, in the words the client sees.</summary>
public sealed record FieldError(string Field, string Message);

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

/// <summary>The change collides with existing data (a unique name or number).</summary>
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

    public DomainConflictException(string message, IReadOnlyList<FieldError> errors)
        : base(message)
    {
        Errors = errors;
    }

    public IReadOnlyList<FieldError> Errors { get; }
}
