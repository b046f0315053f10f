using System.Diagnostics.Metrics;

namespace Appliance.Api.Http;

/// <summary>
/// <c>appliance_redis_fail_closed_total</c>: requests refused with 503 because Redis was unavailable for a check that
/// fails closed (token revocation). The fail-open side is counted where it is decided (RateLimitMiddleware,
/// LoginGuard). Exported at <c>/metrics</c> (ApplianceMetrics exports every <c>Appliance.*</c> meter counter).
/// </summary>
public static class RedisFailClosed
{
    private static readonly Meter Meter = new("Appliance.Api.Redis");
    private static readonly Counter<long> Refused = Meter.CreateCounter<long>("appliance_redis_fail_closed_total", description: "Requests refused with 503 because Redis was unavailable for a check that fails closed");

    public static void Count() => Refused.Add(1);
}
