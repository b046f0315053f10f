using Appliance.Platform.Metrics;
using Prometheus;

namespace Appliance.Api.Http;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format, without authentication: it is reached from the management
/// segment only, and the public HAProxy front end refuses <c>/metrics</c> (haproxy/haproxy.cfg, tests/ops/haproxy.bats).
/// </summary>
public static class MetricsEndpoint
{
    public static void MapApplianceMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<ActiveTicketsGauge>().Register();
        app.MapMetrics("/metrics").AllowAnonymous().ExcludeFromDescription();
    }
}
