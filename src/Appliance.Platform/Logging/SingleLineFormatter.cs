using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;

namespace Appliance.Platform.Logging;

/// <summary>
/// Keeps one event on one line, as the journal stores a line per entry: line breaks inside the rendered event (an
/// exception's stack trace, a multi-line message) become <c> | </c>. Under systemd (<c>$JOURNAL_STREAM</c> set) each
/// line starts with the sd-daemon(3) priority prefix (<c>&lt;3&gt;</c> error ... <c>&lt;7&gt;</c> debug), so
/// <c>journalctl -p</c> filters by level.
/// </summary>
public sealed class SingleLineFormatter(ITextFormatter inner) : ITextFormatter
{
    private readonly bool _journal = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        inner.Format(logEvent, buffer);
        var text = buffer.ToString().TrimEnd('\r', '\n');
        if (_journal)
        {
            output.Write(logEvent.Level switch
            {
                LogEventLevel.Fatal => "<2>",
                LogEventLevel.Error => "<3>",
                LogEventLevel.Warning => "<4>",
                LogEventLevel.Information => "<6>",
                _ => "<7>",
            });
        }

        output.Write(text.Contains('\n', StringComparison.Ordinal) ? text.ReplaceLineEndings(" | ") : text);
        output.Write('\n');
    }
}
