using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace Appliance.Platform.Logging;

/// <summary>
/// One event per line, as the journal stores a line per entry, in the layout the appliance's logs always had:
/// <c>2026-12-07T20:01:02.345Z info: Category[eventId] message {Name=value ...}</c>: UTC time, the level as
/// Microsoft.Extensions.Logging abbreviates it, the category, the rendered message, then the event's properties that
/// the message does not show (request id, route, status, user or key id...). Line breaks inside (an exception's stack
/// trace) become <c> | </c>. Under systemd (<c>$JOURNAL_STREAM</c> set) each line starts with the sd-daemon(3)
/// priority prefix (<c>&lt;3&gt;</c> error ... <c>&lt;7&gt;</c> debug), so <c>journalctl -p</c> filters by level.
/// </summary>
public sealed class SingleLineFormatter : ITextFormatter
{
    private static readonly HashSet<string> Hidden = new(StringComparer.Ordinal) { "SourceContext", "EventId", "Application" };

    private readonly bool _journal = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        var line = new System.Text.StringBuilder(256);
        if (_journal)
        {
            line.Append(logEvent.Level switch
            {
                LogEventLevel.Fatal => "<2>",
                LogEventLevel.Error => "<3>",
                LogEventLevel.Warning => "<4>",
                LogEventLevel.Information => "<6>",
                _ => "<7>",
            });
        }

        else
        {
            // The journal stamps every line itself.
            line.Append(logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ');
        }

        line.Append(logEvent.Level switch
        {
            LogEventLevel.Verbose => "trce",
            LogEventLevel.Debug => "dbug",
            LogEventLevel.Information => "info",
            LogEventLevel.Warning => "warn",
            LogEventLevel.Error => "fail",
            _ => "crit",
        }).Append(": ");
        line.Append(logEvent.Properties.TryGetValue("SourceContext", out var category) && category is ScalarValue { Value: string name } ? name : "Appliance");
        line.Append('[').Append(EventId(logEvent)).Append("] ");
        // Strings as they are, not quoted as Serilog's RenderMessage writes them: the line reads as it always did.
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value) && value is ScalarValue { Value: string text })
            {
                line.Append(text);
            }
            else
            {
                using var writer = new StringWriter(CultureInfo.InvariantCulture);
                token.Render(logEvent.Properties, writer, CultureInfo.InvariantCulture);
                line.Append(writer.ToString());
            }
        }

        var shown = logEvent.MessageTemplate.Tokens.OfType<PropertyToken>().Select(token => token.PropertyName).ToHashSet(StringComparer.Ordinal);
        var first = true;
        foreach (var (key, value) in logEvent.Properties)
        {
            if (Hidden.Contains(key) || shown.Contains(key))
            {
                continue;
            }

            line.Append(first ? " {" : ", ").Append(key).Append('=').Append(value is ScalarValue { Value: string plain } ? plain : value.ToString());
            first = false;
        }

        if (!first)
        {
            line.Append('}');
        }

        if (logEvent.Exception is not null)
        {
            line.Append(' ').Append(logEvent.Exception);
        }

        var rendered = line.ToString();
        output.Write(rendered.Contains('\n', StringComparison.Ordinal) ? rendered.ReplaceLineEndings(" | ") : rendered);
        output.Write('\n');
    }

    private static string EventId(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("EventId", out var value) && value is StructureValue structure
            && structure.Properties.FirstOrDefault(p => p.Name == "Id")?.Value is ScalarValue { Value: { } id }
            ? Convert.ToString(id, CultureInfo.InvariantCulture) ?? "0"
            : "0";
}
