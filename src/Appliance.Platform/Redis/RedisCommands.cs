using System.Globalization;

namespace Appliance.Platform.Redis;

/// <summary>Typed helpers for the commands the appliance uses, over <see cref="IRedisClient.ExecuteAsync"/>.</summary>
public static class RedisCommands
{
    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Milliseconds(TimeSpan value, string name)
    {
        var ms = (long)Math.Ceiling(value.TotalMilliseconds);
        return ms > 0 ? Number(ms) : throw new ArgumentOutOfRangeException(name, value, "must be at least one millisecond");
    }

    /// <summary>GET: the value, or null when the key does not exist.</summary>
    public static async Task<string?> StringGetAsync(this IRedisClient redis, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return (await redis.ExecuteAsync(["GET", key], cancellationToken)).Text;
    }

    /// <summary>
    /// SET with an optional expiry (PX, millisecond precision) and NX. Returns false only when
    /// <paramref name="onlyIfNotExists"/> is set and the key already existed.
    /// </summary>
    public static async Task<bool> StringSetAsync(
        this IRedisClient redis, string key, string value, TimeSpan? expiry = null, bool onlyIfNotExists = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var command = new List<string>(6) { "SET", key, value };
        if (expiry is { } ttl)
        {
            command.Add("PX");
            command.Add(Milliseconds(ttl, nameof(expiry)));
        }

        if (onlyIfNotExists)
        {
            command.Add("NX");
        }

        return !(await redis.ExecuteAsync(command, cancellationToken)).IsNull;
    }

    /// <summary>INCRBY: the value after the increment (a missing key counts from 0).</summary>
    public static async Task<long> IncrementAsync(this IRedisClient redis, string key, long by = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return (await redis.ExecuteAsync(by == 1 ? ["INCR", key] : ["INCRBY", key, Number(by)], cancellationToken)).Number;
    }

    /// <summary>PEXPIRE: false when the key does not exist.</summary>
    public static async Task<bool> ExpireAsync(this IRedisClient redis, string key, TimeSpan expiry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return (await redis.ExecuteAsync(["PEXPIRE", key, Milliseconds(expiry, nameof(expiry))], cancellationToken)).Number == 1;
    }

    /// <summary>DEL: how many of the keys existed.</summary>
    public static async Task<long> DeleteAsync(this IRedisClient redis, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return 0;
        }

        return (await redis.ExecuteAsync(["DEL", .. keys], cancellationToken)).Number;
    }

    public static Task<long> DeleteAsync(this IRedisClient redis, string key, CancellationToken cancellationToken = default) =>
        redis.DeleteAsync([key], cancellationToken);

    public static async Task<bool> ExistsAsync(this IRedisClient redis, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return (await redis.ExecuteAsync(["EXISTS", key], cancellationToken)).Number == 1;
    }

    /// <summary>
    /// PTTL: the remaining lifetime; null when the key does not exist; <see cref="Timeout.InfiniteTimeSpan"/> when it
    /// exists without an expiry.
    /// </summary>
    public static async Task<TimeSpan?> TimeToLiveAsync(this IRedisClient redis, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var ms = (await redis.ExecuteAsync(["PTTL", key], cancellationToken)).Number;
        return ms switch
        {
            -2 => null,
            -1 => Timeout.InfiniteTimeSpan,
            _ => TimeSpan.FromMilliseconds(ms),
        };
    }

    /// <summary>PUBLISH: how many subscribers received the message.</summary>
    public static async Task<long> PublishAsync(this IRedisClient redis, string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return (await redis.ExecuteAsync(["PUBLISH", channel, message], cancellationToken)).Number;
    }
}
