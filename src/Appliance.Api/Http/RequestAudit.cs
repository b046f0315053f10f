using System.Net;
using Appliance.Domain.Audit;

namespace Appliance.Api.Http;

/// <summary>Where a request came from, as the audit trail records it: the client address, its user agent and the request id.</summary>
public static class RequestAudit
{
    public static AuditContext For(HttpContext context, AuditActor actor)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new AuditContext(actor, IpAddress(context), UserAgent(context), context.TraceIdentifier);
    }

    /// <summary>The client's address (IPv4 as IPv4, not mapped into IPv6).</summary>
    public static IPAddress? IpAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.RemoteIpAddress is { } ip && ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : context.Connection.RemoteIpAddress;
    }

    public static string? UserAgent(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;
    }
}
