using System.Diagnostics.Metrics;
using System.Globalization;
using Appliance.Platform.Redis;

namespace Appliance.Api.Identity;

public enum LoginBlock
{
    None,
    IpBlocked,
    AccountLocked,
}

/// <summary>
/// Brute-force limits: 5 failed logins for one account within 15 min lock it for 15 min; more than
/// 5 failures from one IP within 1 min block that IP's sign-in attempts for 5 min. Counters live in Redis so they hold
/// across API instances. If Redis cannot answer, the limits fail open (logged and counted): sign-in keeps working.
/// </summary>
public sealed class LoginGuard(IRedisClient redis, ILogger<LoginGuard> logger)
{
    private readonly RedisRateLimiter _limiter = new(redis);

    public const int AccountFailureLimit = 5;
    public const int IpFailureLimit = 5;
    public static readonly TimeSpan AccountWindow = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan AccountLockTime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan IpWindow = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan IpBlockTime = TimeSpan.FromMinutes(5);

    private static readonly Meter Meter = new("Appliance.Api.Identity");
    private static readonly Counter<long> FailOpen = Meter.CreateCounter<long>("appliance_login_guard_fail_open_total", description: "Login limit checks skipped because Redis was unavailable");

    public async Task<(LoginBlock Block, TimeSpan RetryAfter)> CheckAsync(string email, string ip, CancellationToken cancellationToken)
    {
        try
        {
            var ipTtl = (await redis.ExecuteAsync(["PTTL", IpBlockKey(ip)], cancellationToken)).Number;
            if (ipTtl > 0)
            {
                return (LoginBlock.IpBlocked, TimeSpan.FromMilliseconds(ipTtl));
            }

            var accountTtl = (await redis.ExecuteAsync(["PTTL", AccountLockKey(email)], cancellationToken)).Number;
            return accountTtl > 0 ? (LoginBlock.AccountLocked, TimeSpan.FromMilliseconds(accountTtl)) : (LoginBlock.None, TimeSpan.Zero);
        }
        catch (RedisUnavailableException ex)
        {
            FailedOpen(ex);
            return (LoginBlock.None, TimeSpan.Zero);
        }
    }

    /// <summary>Counts a failure; true when this failure locked the account.</summary>
    public async Task<bool> RecordFailureAsync(string email, string ip, CancellationToken cancellationToken)
    {
        try
        {
            var ipFailures = await CountAsync(IpFailureKey(ip), IpWindow, cancellationToken);
            if (ipFailures > IpFailureLimit)
            {
                await redis.ExecuteAsync(["SET", IpBlockKey(ip), "1", "PX", Ms(IpBlockTime)], cancellationToken);
            }

            var accountFailures = await CountAsync(AccountFailureKey(email), AccountWindow, cancellationToken);
            if (accountFailures >= AccountFailureLimit)
            {
                await redis.ExecuteAsync(["SET", AccountLockKey(email), "1", "PX", Ms(AccountLockTime)], cancellationToken);
                await redis.ExecuteAsync(["DEL", AccountFailureKey(email)], cancellationToken);
                return true;
            }

            return false;
        }
        catch (RedisUnavailableException ex)
        {
            FailedOpen(ex);
            return false;
        }
    }

    public async Task RecordSuccessAsync(string email, CancellationToken cancellationToken)
    {
        try
        {
            await redis.ExecuteAsync(["DEL", AccountFailureKey(email)], cancellationToken);
        }
        catch (RedisUnavailableException ex)
        {
            FailedOpen(ex);
        }
    }

    /// <summary>Counts one failure in a fixed window, atomically (one Lua script), so parallel API nodes agree.</summary>
    private async Task<long> CountAsync(string key, TimeSpan window, CancellationToken cancellationToken) =>
        (await _limiter.HitAsync(key, long.MaxValue, window, cancellationToken)).Count;

    private void FailedOpen(RedisUnavailableException ex)
    {
        FailOpen.Add(1);
        logger.LogWarning("login limits skipped (fail open): {Error}", ex.Message);
    }

    private static string Ms(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static string Normalise(string email) => email.Trim().ToLowerInvariant();

    private static string AccountFailureKey(string email) => "auth:fail:acct:" + Normalise(email);

    private static string AccountLockKey(string email) => "auth:lock:acct:" + Normalise(email);

    private static string IpFailureKey(string ip) => "auth:fail:ip:" + ip;

    private static string IpBlockKey(string ip) => "auth:block:ip:" + ip;
}
