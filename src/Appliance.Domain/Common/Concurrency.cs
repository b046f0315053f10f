namespace Appliance.Domain.Common;

/// <summary>
/// The row versions a change may apply to (from the caller's <c>If-Match</c>). <see cref="Any"/> means the caller
/// gave no precondition: the change applies to whatever version is current.
/// </summary>
public sealed class ExpectedVersion
{
    private readonly IReadOnlySet<int>? _versions;

    private ExpectedVersion(IReadOnlySet<int>? versions) => _versions = versions;

    public static ExpectedVersion Any { get; } = new(null);

    /// <summary>Only these versions; an empty set matches nothing (every tag the caller sent was foreign or weak).</summary>
    public static ExpectedVersion OneOf(IEnumerable<int> versions) => new(versions.ToHashSet());

    public bool IsAny => _versions is null;

    public bool Accepts(int version) => _versions is null || _versions.Contains(version);

    /// <summary>Throws <see cref="PreconditionFailedException"/> when <paramref name="current"/> is not expected.</summary>
    public void Check(string entityType, int current)
    {
        if (!Accepts(current))
        {
            throw new PreconditionFailedException(entityType, current);
        }
    }
}

/// <summary>The row changed since the caller read it (a lost update was prevented); nothing was written.</summary>
public sealed class PreconditionFailedException : Exception
{
    public PreconditionFailedException()
    {
        EntityType = string.Empty;
    }

    public PreconditionFailedException(string message)
        : base(message)
    {
        EntityType = string.Empty;
    }

    public PreconditionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        EntityType = string.Empty;
    }

    public PreconditionFailedException(string entityType, int currentVersion)
        : base($"The {entityType} was changed by someone else since you read it; read it again and retry")
    {
        EntityType = entityType;
        CurrentVersion = currentVersion;
    }

    public string EntityType { get; }

    public int CurrentVersion { get; }
}

/// <summary>A record the change depends on (the customer of a new contact) does not exist or was deleted.</summary>
public sealed class DomainNotFoundException : Exception
{
    public DomainNotFoundException()
    {
        What = "Resource";
    }

    public DomainNotFoundException(string what)
        : base($"{what} not found")
    {
        What = what;
    }

    public DomainNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        What = "Resource";
    }

    public string What { get; }
}
