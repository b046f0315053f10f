using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Appliance.Platform.Metrics;

/// <summary>
/// Serves <c>/metrics</c> for a process without its own HTTP server (the worker) on <c>Metrics:Url</c>
/// (default <c>http://127.0.0.1:9102</c>; empty turns it off), with prometheus-net's Kestrel metric server. A port that
/// is taken is logged and skipped: the worker's jobs matter more than its metrics.
/// </summary>
public sealed class MetricServerService(IConfiguration configuration, ILogger<MetricServerService> logger) : IHostedService, IDisposable
{
    public const string DefaultUrl = "http://127.0.0.1:9102";

    private KestrelMetricServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var text = configuration["Metrics:Url"] ?? DefaultUrl;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Task.CompletedTask;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp)
        {
            throw new Configuration.ConfigurationException("Metrics:Url", $"must be an http:// URL such as {DefaultUrl}, got '{text}'");
        }

        try
        {
            _server = new KestrelMetricServer(url.Host, url.Port);
            _server.Start();
            logger.LogInformation("metrics at http://{Host}:{Port}/metrics", url.Host, url.Port.ToString(CultureInfo.InvariantCulture));
        }
        catch (IOException ex)
        {
            logger.LogWarning("metrics not served on {Url}: {Error}", text, ex.Message);
            _server = null;
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync();
        }
    }

    public void Dispose() => _server?.Dispose();
}
