using System.Globalization;
using System.Security.Cryptography;
using Appliance.Platform.Redis;

namespace Appliance.Api.Identity;

/// <summary>
/// The second step of an MFA sign-in: after the right password the client gets an opaque <c>mfa_token</c> that names the
/// user for <see cref="Lifetime"/>. It is single use (consumed by the successful verification) and burnt by
/// <see cref="MaxFailures"/> wrong codes. Kept in Redis (so any API node can finish the sign-in) under the SHA-256 of
/// the token, never the token itself. Redis being down fails the MFA sign-in (503): this check never fails open.
/// </summary>
public sealed class MfaChallenges(IRedisClient redis)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    public const int MaxFailures = 5;

    private static readonly RedisScript Create = new("""
        redis.call('HSET', KEYS[1], 'user', ARGV[1], 'failures', 0)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """);

    // Counts a wrong code; the token is deleted when the limit is reached. -1: the token is gone already.
    private static readonly RedisScript Fail = new("""
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
        if failures >= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
        return failures
        """);

    /// <summary>Where a token lives in Redis: its hash, so that a Redis dump does not hand out sign-ins.</summary>
    public static string RedisKey(string token) =>
        "auth:mfa:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    public async Task<string> CreateAsync(Guid userId, CancellationToken cancellationToken)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await redis.EvaluateAsync(Create, [RedisKey(token)], [userId.ToString(), ((long)Lifetime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)], cancellationToken);
        return token;
    }

    /// <summary>The user the token was issued to, or null when it is unknown, expired, used or burnt.</summary>
    public async Task<Guid?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var user = await redis.ExecuteAsync(["HGET", RedisKey(token), "user"], cancellationToken);
        return Guid.TryParse(user.Text, out var id) ? id : null;
    }

    /// <summary>Uses the token up; false when another request did so first.</summary>
    public async Task<bool> ConsumeAsync(string token, CancellationToken cancellationToken) =>
        await redis.DeleteAsync(RedisKey(token), cancellationToken) == 1;

    /// <summary>Counts a wrong code; true when that burnt the token.</summary>
    public async Task<bool> RecordFailureAsync(string token, CancellationToken cancellationToken)
    {
        var failures = (await redis.EvaluateAsync(Fail, [RedisKey(token)], [MaxFailures.ToString(CultureInfo.InvariantCulture)], cancellationToken)).Number;
        return failures < 0 || failures >= MaxFailures;
    }
}
