namespace Appliance.Platform.Redis;

/// <summary>
/// The narrow Redis surface the appliance uses, implemented over StackExchange.Redis by
/// <see cref="MultiplexedRedisClient"/> (one multiplexer per process). Callers and tests depend on this interface and
/// the project's <see cref="RedisValue"/>, <see cref="RedisUnavailableException"/> and <see cref="RedisServerException"/>,
/// not on the library. Typed commands (GET/SET, INCR, PUBLISH, ...) are extension methods in <see cref="RedisCommands"/>.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>Sends one command and returns its reply; a RESP error reply throws <see cref="RedisServerException"/>.</summary>
    Task<RedisValue> ExecuteAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends all commands together (one batch, not interleaved with other callers' commands on the wire) and returns
    /// their replies in order. Not a transaction: each command succeeds or fails on its own, so an error reply is
    /// returned as a <see cref="RedisValueKind.Error"/> item instead of throwing.
    /// </summary>
    Task<IReadOnlyList<RedisValue>> ExecuteBatchAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken = default);

    Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a Lua script by its SHA1 (EVALSHA); when the server does not have it (first use, after a restart or SCRIPT
    /// FLUSH) the text is sent again. A script error throws <see cref="RedisServerException"/>.
    /// </summary>
    Task<RedisValue> EvaluateAsync(RedisScript script, IReadOnlyList<string> keys, IReadOnlyList<string> args, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes to <paramref name="channel"/> and returns once the server confirmed. Messages are handed to
    /// <paramref name="handler"/> one at a time in arrival order; a handler that throws does not end the subscription.
    /// The subscription survives a connection loss (it is resubscribed on reconnect; messages published while it was
    /// down are lost, as with any Redis pub/sub). Disposing it unsubscribes.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default);
}

/// <summary>A pub/sub message.</summary>
public readonly record struct RedisMessage(string Channel, string Message);
