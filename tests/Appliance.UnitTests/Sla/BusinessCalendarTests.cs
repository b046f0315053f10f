using Appliance.Domain.Sla;
using static Appliance.UnitTests.Sla.Calendars;

namespace Appliance.UnitTests.Sla;

/// <summary>Business hours in Europe/Berlin away from clock changes: nights, weekends, holidays, lunch breaks, 24/7.</summary>
public sealed class BusinessCalendarTests
{
    [Theory]
    [InlineData("2026-03-02T09:00+01:00", 2, "2026-03-02T11:00+01:00")] // within a day
    [InlineData("2026-03-02T16:00+01:00", 2, "2026-03-03T09:00+01:00")] // over a night
    [InlineData("2026-03-06T16:00+01:00", 2, "2026-03-09T09:00+01:00")] // Friday over the weekend
    [InlineData("2026-03-07T10:00+01:00", 1, "2026-03-09T09:00+01:00")] // starts on a Saturday
    [InlineData("2026-03-08T23:59+01:00", 1, "2026-03-09T09:00+01:00")] // starts late on a Sunday
    [InlineData("2026-03-02T06:00+01:00", 1, "2026-03-02T09:00+01:00")] // starts before opening
    [InlineData("2026-03-02T20:00+01:00", 1, "2026-03-03T09:00+01:00")] // starts after closing
    [InlineData("2026-03-02T08:00+01:00", 9, "2026-03-02T17:00+01:00")] // exactly at opening; ends exactly at closing, not the next morning
    [InlineData("2026-03-02T17:00+01:00", 0.5, "2026-03-03T08:30+01:00")] // exactly at closing
    [InlineData("2026-03-02T16:59+01:00", 1.0 / 60, "2026-03-02T17:00+01:00")]
    [InlineData("2026-03-02T08:00+01:00", 45, "2026-03-06T17:00+01:00")] // one working week
    [InlineData("2026-03-02T08:00+01:00", 46, "2026-03-09T09:00+01:00")]
    [InlineData("2026-03-02T08:00+01:00", 90, "2026-03-13T17:00+01:00")] // two weeks
    [InlineData("2026-03-04T12:30+01:00", 180, "2026-04-01T12:30+02:00")] // four weeks, across the clock change
    [InlineData("2026-03-02T08:00Z", 1, "2026-03-02T10:00+01:00")] // the start's offset does not matter, only the instant
    public void AddBusinessTime_skips_nights_and_weekends(string start, double hours, string expected)
    {
        var due = Office().AddBusinessTime(T(start), H(hours));
        Assert.Equal(T(expected), due);
        Assert.Equal(TimeSpan.Zero, due.Offset);
    }

    [Theory]
    [InlineData("2026-12-23T16:00+01:00", 2, "2026-12-28T09:00+01:00")] // Thursday, Friday (before the weekend) and Saturday are holidays
    [InlineData("2026-12-24T10:00+01:00", 1, "2026-12-28T09:00+01:00")] // starts on a holiday
    [InlineData("2026-12-30T16:30+01:00", 1, "2027-01-04T08:30+01:00")] // New Year's Eve and Day, then the weekend
    [InlineData("2026-12-21T08:00+01:00", 27, "2026-12-23T17:00+01:00")]
    [InlineData("2026-12-21T08:00+01:00", 28, "2026-12-28T09:00+01:00")]
    public void AddBusinessTime_skips_consecutive_holidays(string start, double hours, string expected)
    {
        var calendar = Office(Berlin, "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01");
        Assert.Equal(T(expected), calendar.AddBusinessTime(T(start), H(hours)));
    }

    [Fact]
    public void A_holiday_on_the_friday_before_a_weekend_runs_on_to_monday()
    {
        var calendar = Office(Berlin, "2026-05-01");
        Assert.Equal(T("2026-05-04T09:00+02:00"), calendar.AddBusinessTime(T("2026-04-30T16:00+02:00"), H(2)));
        var easter = Office(Berlin, "2026-04-03", "2026-04-06");
        Assert.Equal(T("2026-04-07T09:00+02:00"), easter.AddBusinessTime(T("2026-04-02T16:00+02:00"), H(2)));
        Assert.Equal(H(2), easter.BusinessTimeBetween(T("2026-04-02T16:00+02:00"), T("2026-04-07T09:00+02:00")));
    }

    [Theory]
    [InlineData("2026-03-02T11:00+01:00", 2, "2026-03-02T14:00+01:00")] // over lunch
    [InlineData("2026-03-02T11:00+01:00", 1, "2026-03-02T12:00+01:00")] // ends as lunch begins
    [InlineData("2026-03-02T12:30+01:00", 0.5, "2026-03-02T13:30+01:00")] // starts during lunch
    [InlineData("2026-03-02T12:00+01:00", 0.25, "2026-03-02T13:15+01:00")] // starts as lunch begins
    [InlineData("2026-03-02T08:00+01:00", 8, "2026-03-02T17:00+01:00")]
    [InlineData("2026-03-02T16:00+01:00", 4, "2026-03-03T11:00+01:00")]
    public void AddBusinessTime_skips_the_lunch_break(string start, double hours, string expected)
    {
        Assert.Equal(T(expected), OfficeWithLunch().AddBusinessTime(T(start), H(hours)));
    }

    [Theory]
    [InlineData("2026-03-02T10:00+01:00", 48, "2026-03-04T10:00+01:00")]
    [InlineData("2026-03-07T10:00+01:00", 1, "2026-03-07T11:00+01:00")] // Saturdays count
    [InlineData("2026-03-28T12:00+01:00", 24, "2026-03-29T13:00+02:00")] // real hours across spring forward
    [InlineData("2026-10-24T12:00+02:00", 24, "2026-10-25T11:00+01:00")] // and fall back
    public void A_24_7_calendar_counts_every_real_hour(string start, double hours, string expected)
    {
        var calendar = BusinessCalendar.AlwaysOpen(Berlin);
        Assert.Equal(T(expected), calendar.AddBusinessTime(T(start), H(hours)));
        Assert.Equal(H(hours), calendar.BusinessTimeBetween(T(start), T(expected)));
        Assert.Equal(H(168), calendar.WeeklyOpenTime);
    }

    [Fact]
    public void A_24_7_calendar_still_closes_on_holidays()
    {
        var calendar = BusinessCalendar.AlwaysOpen(Berlin, [new Holiday(D("2026-12-25"), "1. Weihnachtstag")]);
        Assert.Equal(T("2026-12-26T00:30+01:00"), calendar.AddBusinessTime(T("2026-12-24T23:30+01:00"), H(1)));
        Assert.False(calendar.IsOpen(T("2026-12-25T12:00+01:00")));
    }

    [Fact]
    public void Zero_duration_returns_the_start_even_when_closed_and_negative_is_refused()
    {
        var calendar = Office();
        Assert.Equal(T("2026-03-07T10:00+01:00"), calendar.AddBusinessTime(T("2026-03-07T10:00+01:00"), TimeSpan.Zero));
        Assert.Equal(T("2026-03-02T17:00+01:00"), calendar.AddBusinessTime(T("2026-03-02T17:00+01:00"), TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => calendar.AddBusinessTime(T("2026-03-02T10:00+01:00"), TimeSpan.FromTicks(-1)));
    }

    [Fact]
    public void Instants_outside_the_supported_years_are_refused()
    {
        var calendar = Office();
        Assert.Throws<ArgumentOutOfRangeException>(() => calendar.AddBusinessTime(DateTimeOffset.MinValue, H(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => calendar.IsOpen(DateTimeOffset.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => calendar.BusinessTimeBetween(T("2026-01-01T00:00Z"), DateTimeOffset.MaxValue));
    }

    [Theory]
    [InlineData("2026-03-02T09:00+01:00", "2026-03-02T11:00+01:00", 2)]
    [InlineData("2026-03-02T16:00+01:00", "2026-03-03T09:00+01:00", 2)]
    [InlineData("2026-03-06T16:00+01:00", "2026-03-09T09:00+01:00", 2)]
    [InlineData("2026-03-07T00:00+01:00", "2026-03-09T00:00+01:00", 0)] // a weekend
    [InlineData("2026-03-02T00:00+01:00", "2026-03-09T00:00+01:00", 45)] // a week
    [InlineData("2026-03-23T00:00+01:00", "2026-03-30T00:00+02:00", 45)] // the week of the clock change
    [InlineData("2026-03-02T11:00+01:00", "2026-03-02T09:00+01:00", -2)] // backwards is negative
    [InlineData("2026-03-02T10:00+01:00", "2026-03-02T10:00+01:00", 0)]
    [InlineData("2026-03-02T18:00+01:00", "2026-03-03T07:00+01:00", 0)] // a night
    [InlineData("2026-03-02T07:00+01:00", "2026-03-02T18:00+01:00", 9)]
    public void BusinessTimeBetween_counts_open_time_only(string from, string to, double hours)
    {
        Assert.Equal(H(hours), Office().BusinessTimeBetween(T(from), T(to)));
    }

    [Fact]
    public void BusinessTimeBetween_skips_holidays_and_lunch()
    {
        var holidays = Office(Berlin, "2026-12-24", "2026-12-25", "2026-12-26");
        Assert.Equal(H(27), holidays.BusinessTimeBetween(T("2026-12-21T00:00+01:00"), T("2026-12-28T00:00+01:00")));
        Assert.Equal(H(8), OfficeWithLunch().BusinessTimeBetween(T("2026-03-02T00:00+01:00"), T("2026-03-03T00:00+01:00")));
        Assert.Equal(H(1), OfficeWithLunch().BusinessTimeBetween(T("2026-03-02T11:30+01:00"), T("2026-03-02T13:30+01:00")));
        Assert.Equal(H(40), OfficeWithLunch().WeeklyOpenTime);
    }

    [Theory]
    [InlineData("2026-03-02T08:00+01:00", true)] // opening instant is open
    [InlineData("2026-03-02T07:59:59+01:00", false)]
    [InlineData("2026-03-02T16:59:59.9999999+01:00", true)]
    [InlineData("2026-03-02T17:00+01:00", false)] // closing instant is closed
    [InlineData("2026-03-07T12:00+01:00", false)] // Saturday
    [InlineData("2026-12-24T10:00+01:00", true)]
    [InlineData("2026-12-25T10:00+01:00", false)] // holiday
    [InlineData("2026-03-02T07:30Z", true)] // 08:30 in Berlin
    [InlineData("2026-03-02T16:30Z", false)] // 17:30 in Berlin
    public void IsOpen_uses_local_wall_clock_time(string instant, bool open)
    {
        Assert.Equal(open, Office(Berlin, "2026-12-25").IsOpen(T(instant)));
    }

    [Theory]
    [InlineData("2026-03-02T10:00+01:00", "2026-03-02T10:00+01:00")] // open: itself
    [InlineData("2026-03-02T17:00+01:00", "2026-03-03T08:00+01:00")]
    [InlineData("2026-03-06T18:00+01:00", "2026-03-09T08:00+01:00")]
    [InlineData("2026-12-24T18:00+01:00", "2026-12-28T08:00+01:00")] // holiday, then a weekend
    [InlineData("2026-03-27T18:00+01:00", "2026-03-30T08:00+02:00")] // over the clock change
    public void NextOpening_finds_the_next_open_instant(string instant, string expected)
    {
        Assert.Equal(T(expected), Office(Berlin, "2026-12-25").NextOpening(T(instant)));
    }

    [Fact]
    public void NextOpening_after_a_lunch_break_starts()
    {
        Assert.Equal(T("2026-03-02T13:00+01:00"), OfficeWithLunch().NextOpening(T("2026-03-02T12:15+01:00")));
        Assert.False(OfficeWithLunch().IsOpen(T("2026-03-02T12:00+01:00")));
        Assert.True(OfficeWithLunch().IsOpen(T("2026-03-02T13:00+01:00")));
    }

    [Fact]
    public void A_calendar_full_of_holidays_runs_past_them()
    {
        var holidays = Enumerable.Range(0, 1000).Select(i => D("2026-01-01").AddDays(i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var calendar = Office(Berlin, holidays);
        Assert.Equal(T("2028-09-27T09:00+02:00"), calendar.AddBusinessTime(T("2026-01-01T00:00+01:00"), H(1)));
    }

    [Fact]
    public void Opening_hours_and_holidays_come_back_sorted()
    {
        var calendar = BusinessCalendar.Create(
            " Europe/Berlin ",
            [new OpeningInterval(DayOfWeek.Sunday, H(1), H(2)), new OpeningInterval(DayOfWeek.Monday, H(13), H(17)), new OpeningInterval(DayOfWeek.Monday, H(8), H(12))],
            [new Holiday(D("2026-12-26"), null), new Holiday(D("2026-12-25"), "1. Weihnachtstag")]);
        Assert.Equal("Europe/Berlin", calendar.TimeZoneId);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Monday, DayOfWeek.Sunday], calendar.OpeningHours.Select(h => h.Day));
        Assert.Equal([H(8), H(13), H(1)], calendar.OpeningHours.Select(h => h.Start));
        Assert.Equal([D("2026-12-25"), D("2026-12-26")], calendar.Holidays.Select(h => h.Date));
        Assert.True(calendar.IsHoliday(D("2026-12-26")));
    }
}
