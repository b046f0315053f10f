using Serilog.Core;
using Serilog.Events;

namespace Appliance.Platform.Logging;

/// <summary>
/// Defence in depth against credentials in log lines: string properties that look like a bearer token (a JWT) or
/// an appliance API key (<c>psa_…</c>) are replaced by a marker naming what was removed. The code does not log
/// them on purpose (see <c>tests/Appliance.IntegrationTests/Api/LogSecretsTests.cs</c>); this catches a value that
/// reaches a property by accident, e.g. a header echoed into an exception's data.
/// </summary>
public sealed partial class SecretMasking : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        List<LogEventProperty>? replaced = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (value is ScalarValue { Value: string text } && Mask(text) is { } masked)
            {
                (replaced ??= []).Add(new LogEventProperty(name, new ScalarValue(masked)));
            }
        }

        foreach (var property in replaced ?? [])
        {
            logEvent.AddOrUpdateProperty(property);
        }
    }

    /// <summary>The text with token- or key-shaped parts replaced, or null when there is none.</summary>
    public static string? Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains("eyJ", StringComparison.Ordinal) && !text.Contains("psa_", StringComparison.Ordinal))
        {
            return null;
        }

        var masked = Jwt().Replace(text, "[jwt removed]");
        masked = ApiKey().Replace(masked, "[api key removed]");
        return masked == text ? null : masked;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")]
    private static partial System.Text.RegularExpressions.Regex Jwt();

    [System.Text.RegularExpressions.GeneratedRegex(@"psa_[A-Za-z0-9]{4,}_[A-Za-z0-9]{8,}")]
    private static partial System.Text.RegularExpressions.Regex ApiKey();
}
