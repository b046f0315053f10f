namespace Appliance.Platform.Redis;

public enum RedisValueKind
{
    SimpleString,
    Error,
    Number,
    BulkString,
    Null,
    Array,
}

/// <summary>One reply in RESP2 terms: the project's view of a StackExchange.Redis <c>RedisResult</c>, so callers need not reference the library.</summary>
public sealed record RedisValue(RedisValueKind Kind, string? Text = null, long Number = 0, IReadOnlyList<RedisValue>? Items = null)
{
    public static readonly RedisValue Nil = new(RedisValueKind.Null);

    public bool IsNull => Kind == RedisValueKind.Null;

    public override string ToString() => Kind switch
    {
        RedisValueKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RedisValueKind.Array => $"[{string.Join(", ", Items ?? [])}]",
        RedisValueKind.Null => "(nil)",
        _ => Text ?? string.Empty,
    };
}

/// <summary>The server answered with a RESP error (for example WRONGPASS or a script error).</summary>
public sealed class RedisServerException : Exception
{
    public RedisServerException()
    {
    }

    public RedisServerException(string message)
        : base(message)
    {
    }

    public RedisServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Redis could not be reached or did not answer in time.</summary>
public sealed class RedisUnavailableException : Exception
{
    public RedisUnavailableException()
    {
    }

    public RedisUnavailableException(string message)
        : base(message)
    {
    }

    public RedisUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
