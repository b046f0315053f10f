namespace Appliance.Platform.Redis;

/// <summary>
/// The narrow Redis surface the appliance uses. StackExchange.Redis cannot be restored here (docs/decisions/0004);
/// this interface is the seam where it can replace the project's own <see cref="RedisClient"/>.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>Sends one command and returns its reply; a RESP error reply throws <see cref="RedisServerException"/>.</summary>
    Task<RedisValue> ExecuteAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default);

    Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default);
}
