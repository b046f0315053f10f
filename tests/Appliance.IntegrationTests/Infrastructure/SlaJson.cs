namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>SLA policy request bodies: office hours Monday to Friday 8 to 17 (or <see cref="AlwaysOpen"/>), targets
/// critical 30/120 minutes, high 60/480, medium 240/1440, low 480/2400 (response/resolution).</summary>
public static class SlaJson
{
    public const string Targets = """
        {"critical":{"response_minutes":30,"resolution_minutes":120},"high":{"response_minutes":60,"resolution_minutes":480},
         "medium":{"response_minutes":240,"resolution_minutes":1440},"low":{"response_minutes":480,"resolution_minutes":2400}}
        """;

    public const string OfficeHours = """
        [{"weekday":"monday","start":"08:00","end":"17:00"},{"weekday":"tuesday","start":"08:00","end":"17:00"},
         {"weekday":"wednesday","start":"08:00","end":"17:00"},{"weekday":"thursday","start":"08:00","end":"17:00"},
         {"weekday":"friday","start":"08:00","end":"17:00"}]
        """;

    public const string AlwaysOpen = """
        [{"weekday":"monday","start":"00:00","end":"24:00"},{"weekday":"tuesday","start":"00:00","end":"24:00"},
         {"weekday":"wednesday","start":"00:00","end":"24:00"},{"weekday":"thursday","start":"00:00","end":"24:00"},
         {"weekday":"friday","start":"00:00","end":"24:00"},{"weekday":"saturday","start":"00:00","end":"24:00"},
         {"weekday":"sunday","start":"00:00","end":"24:00"}]
        """;

    public static string Policy(string name, bool? isDefault = null, string timeZone = "Europe/Berlin", string hours = OfficeHours, string holidays = "[]", string targets = Targets, string description = "for tests") =>
        $$"""
        {"name":"{{name}}","description":"{{description}}",{{(isDefault is null ? string.Empty : $"\"is_default\":{(isDefault.Value ? "true" : "false")},")}}
         "time_zone":"{{timeZone}}","targets":{{targets}},"opening_hours":{{hours}},"holidays":{{holidays}}}
        """;
}
