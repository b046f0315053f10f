using System.Globalization;
using Appliance.Domain.Sla;

namespace Appliance.UnitTests.Sla;

/// <summary>Calendars and instants the SLA tests share. Instants are written with their offset, so no test trusts the code under test to convert.</summary>
internal static class Calendars
{
    public const string Berlin = "Europe/Berlin";
    public const string NewYork = "America/New_York";

    private static readonly DayOfWeek[] Workdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    public static DateTimeOffset T(string instant) => DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture, DateTimeStyles.None);

    public static DateOnly D(string date) => DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static TimeSpan H(double hours) => TimeSpan.FromHours(hours);

    /// <summary>Monday to Friday 08:00-17:00.</summary>
    public static BusinessCalendar Office(string zone = Berlin, params string[] holidays) =>
        BusinessCalendar.Create(zone, [.. Workdays.Select(d => new OpeningInterval(d, H(8), H(17)))], [.. holidays.Select(h => new Holiday(D(h), null))]);

    /// <summary>Monday to Friday 08:00-12:00 and 13:00-17:00.</summary>
    public static BusinessCalendar OfficeWithLunch(string zone = Berlin) =>
        BusinessCalendar.Create(zone, [.. Workdays.SelectMany(d => new[] { new OpeningInterval(d, H(8), H(12)), new OpeningInterval(d, H(13), H(17)) })], []);

    /// <summary>Sundays only, around the hour most zones change their clocks.</summary>
    public static BusinessCalendar Sundays(string zone, double fromHour, double toHour) =>
        BusinessCalendar.Create(zone, [new OpeningInterval(DayOfWeek.Sunday, H(fromHour), H(toHour))], []);
}
