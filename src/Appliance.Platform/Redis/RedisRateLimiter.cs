using System.Globalization;

namespace Appliance.Platform.Redis;

/// <summary>The outcome of one hit: enough for X-RateLimit-Limit/Remaining/Reset and a 429's retry_after.</summary>
public sealed record RateLimitResult(bool Allowed, long Count, long Limit, long Remaining, TimeSpan ResetAfter);

/// <summary>
/// Fixed-window rate limits in Redis, so they hold across API instances. One key per subject and window, counted and
/// given its expiry atomically by <see cref="RateLimitScript"/>.
/// </summary>
/// <remarks>
/// Fixed window rather than a sliding-window log: it costs one integer per key whatever the limit (a log keeps one
/// sorted-set entry per request, which for per-IP API limits in the thousands per minute is real memory and O(log n)
/// work per hit), and its reset is one well-defined instant, which is exactly what X-RateLimit-Reset and retry_after
/// report. The price is that a client can fit up to twice the limit around a window boundary; for login brute-force
/// counters and API quotas that is acceptable.
/// </remarks>
public sealed class RedisRateLimiter(IRedisClient redis)
{
    /// <summary>
    /// KEYS[1] the counter, ARGV[1] the window in ms. Increments, sets the expiry on the first hit (or if the key somehow
    /// has none, so a counter can never live forever) and returns {count, ttl_ms}.
    /// </summary>
    public static RedisScript RateLimitScript { get; } = new(Count("KEYS[1]") + "return {count, ttl}");

    /// <summary>
    /// KEYS[1] and KEYS[3] markers whose existence refuses the request (a signed-out token, a revoked session), KEYS[4] a
    /// "valid after" mark (Unix ms) that refuses a request issued at ARGV[2] (Unix ms) before it (a user deactivated, or
    /// whose role or MFA changed), KEYS[2] the counter, ARGV[1] the window in ms. A refused request is not counted and
    /// gets {1}; otherwise as <see cref="RateLimitScript"/>, {0, count, ttl_ms}. One round trip for the questions every
    /// signed-in request asks.
    /// </summary>
    public static RedisScript HitUnlessMarkedScript { get; } = new(
        """
        if redis.call('EXISTS', KEYS[1], KEYS[3]) > 0 then
          return {1}
        end
        local validAfter = redis.call('GET', KEYS[4])
        if validAfter and tonumber(validAfter) > tonumber(ARGV[2]) then
          return {1}
        end

        """ + Count("KEYS[2]") + "return {0, count, ttl}");

    /// <summary>The Lua that counts a hit on <paramref name="counter"/> into <c>count</c> and <c>ttl</c>.</summary>
    private static string Count(string counter) => $"""
        local count = redis.call('INCR', {counter})
        local ttl = redis.call('PTTL', {counter})
        if ttl < 0 then
          ttl = tonumber(ARGV[1])
          redis.call('PEXPIRE', {counter}, ttl)
        end

        """;

    /// <summary>Counts one hit on <paramref name="key"/>; allowed while the count within the window is at most <paramref name="limit"/>.</summary>
    public async Task<RateLimitResult> HitAsync(string key, long limit, TimeSpan window, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var reply = await redis.EvaluateAsync(RateLimitScript, [key], [WindowMs(window)], cancellationToken);
        if (reply is not { Kind: RedisValueKind.Array, Items: [{ Kind: RedisValueKind.Number } count, { Kind: RedisValueKind.Number } ttl] })
        {
            throw new RedisServerException($"unexpected rate-limit script reply '{reply}'");
        }

        return Result(count.Number, ttl.Number, limit);
    }

    /// <summary>
    /// Counts one hit on <paramref name="key"/> unless <paramref name="refusalKey"/> or <paramref name="sessionRefusalKey"/>
    /// exists or <paramref name="validAfterKey"/> holds a time (Unix ms) after <paramref name="issuedAt"/>, in one atomic
    /// round trip; null when refused (nothing counted).
    /// </summary>
    public async Task<RateLimitResult?> HitUnlessMarkedAsync(
        string refusalKey, string sessionRefusalKey, string validAfterKey, DateTimeOffset issuedAt, string key, long limit, TimeSpan window, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(refusalKey);
        ArgumentException.ThrowIfNullOrEmpty(sessionRefusalKey);
        ArgumentException.ThrowIfNullOrEmpty(validAfterKey);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var reply = await redis.EvaluateAsync(
            HitUnlessMarkedScript,
            [refusalKey, key, sessionRefusalKey, validAfterKey],
            [WindowMs(window), issuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)],
            cancellationToken);
        return reply switch
        {
            { Kind: RedisValueKind.Array, Items: [{ Kind: RedisValueKind.Number, Number: 1 }] } => null,
            { Kind: RedisValueKind.Array, Items: [{ Kind: RedisValueKind.Number, Number: 0 }, { Kind: RedisValueKind.Number } count, { Kind: RedisValueKind.Number } ttl] }
                => Result(count.Number, ttl.Number, limit),
            _ => throw new RedisServerException($"unexpected rate-limit script reply '{reply}'"),
        };
    }

    private static string WindowMs(TimeSpan window)
    {
        var windowMs = (long)Math.Ceiling(window.TotalMilliseconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowMs, 1, nameof(window));
        return windowMs.ToString(CultureInfo.InvariantCulture);
    }

    private static RateLimitResult Result(long count, long ttlMs, long limit) =>
        new(count <= limit, count, limit, Math.Max(0, limit - count), TimeSpan.FromMilliseconds(ttlMs));

    /// <summary>
    /// Reads the current window of <paramref name="key"/> without counting a hit (for example "is this account locked?"
    /// before checking a password). <see cref="RateLimitResult.Allowed"/> is whether one more hit would be allowed.
    /// </summary>
    public async Task<RateLimitResult> PeekAsync(string key, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var replies = await redis.ExecuteBatchAsync([["GET", key], ["PTTL", key]], cancellationToken);
        var count = replies[0] switch
        {
            { IsNull: true } => 0,
            { Kind: RedisValueKind.BulkString, Text: { } text } when long.TryParse(text, CultureInfo.InvariantCulture, out var n) => n,
            var other => throw new RedisServerException($"rate-limit key '{key}' holds '{other}', not a counter"),
        };
        var ttl = replies[1] is { Kind: RedisValueKind.Number, Number: > 0 } ms ? TimeSpan.FromMilliseconds(ms.Number) : TimeSpan.Zero;
        return new RateLimitResult(count < limit, count, limit, Math.Max(0, limit - count), ttl);
    }
}
