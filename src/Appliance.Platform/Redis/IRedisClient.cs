namespace Appliance.Platform.Redis;

/// <summary>
/// The narrow Redis surface the appliance uses. StackExchange.Redis cannot be restored here (docs/decisions/0004);
/// this interface is the seam where it can replace the project's own <see cref="RedisClient"/>. Typed commands
/// (GET/SET, INCR, scripts, PUBLISH, ...) are extension methods in <see cref="RedisCommands"/> over these members.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>Sends one command and returns its reply; a RESP error reply throws <see cref="RedisServerException"/>.</summary>
    Task<RedisValue> ExecuteAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends all commands in one write and returns their replies in order. Not a transaction: other callers' commands
    /// never interleave with the batch on the wire, but each command succeeds or fails on its own, so an error reply is
    /// returned as a <see cref="RedisValueKind.Error"/> item instead of throwing.
    /// </summary>
    Task<IReadOnlyList<RedisValue>> ExecuteBatchAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken = default);

    Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes to <paramref name="channel"/> on a dedicated connection (a subscribed connection cannot run other
    /// commands) and returns once the server confirmed. Messages are handed to <paramref name="handler"/> one at a time
    /// in arrival order. The subscription reconnects and resubscribes by itself after a connection loss (messages
    /// published while it was down are lost, as with any Redis pub/sub). Disposing it unsubscribes.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default);
}

/// <summary>A pub/sub message.</summary>
public readonly record struct RedisMessage(string Channel, string Message);
