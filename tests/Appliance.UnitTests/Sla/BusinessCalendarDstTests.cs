using Appliance.Domain.Sla;
using static Appliance.UnitTests.Sla.Calendars;

namespace Appliance.UnitTests.Sla;

/// <summary>
/// Clock changes. Opening hours are local wall-clock times: a skipped local hour has no instants (an interval inside it is
/// empty), a repeated local hour happens twice (an interval covering it counts the real elapsed time).
/// Europe/Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00. America/New_York: 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00.
/// </summary>
public sealed class BusinessCalendarDstTests
{
    [Theory]
    [InlineData(Berlin, "2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00", 23)]
    [InlineData(Berlin, "2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00", 25)]
    [InlineData(Berlin, "2026-03-22T00:00+01:00", "2026-03-23T00:00+01:00", 24)]
    [InlineData(NewYork, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", 23)]
    [InlineData(NewYork, "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", 25)]
    public void A_24_7_local_day_lasts_23_or_25_real_hours_on_clock_change_days(string zone, string from, string to, double hours)
    {
        Assert.Equal(H(hours), BusinessCalendar.AlwaysOpen(zone).BusinessTimeBetween(T(from), T(to)));
    }

    [Theory]
    [InlineData(Berlin, "2026-03-29", 0)] // 02:00-02:30 does not exist that day
    [InlineData(Berlin, "2026-10-25", 1)] // 02:00-02:30 happens twice
    [InlineData(Berlin, "2026-03-22", 0.5)]
    [InlineData(NewYork, "2026-03-08", 0)]
    [InlineData(NewYork, "2026-11-01", 0.5)] // New York repeats 01:00-02:00, so 02:00-02:30 happens once
    public void An_interval_inside_the_changed_hour_is_empty_or_doubled(string zone, string sunday, double hours)
    {
        var calendar = Sundays(zone, 2, 2.5);
        var day = D(sunday);
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddHours(-15);
        Assert.Equal(H(hours), calendar.BusinessTimeBetween(from, from.AddHours(40)));
    }

    [Theory]
    [InlineData(Berlin, "2026-03-29T00:00+01:00", 2)] // 01:00-04:00 loses the skipped hour
    [InlineData(Berlin, "2026-10-25T00:00+02:00", 4)] // and gains the repeated one
    [InlineData(Berlin, "2026-03-22T00:00+01:00", 3)]
    [InlineData(NewYork, "2026-03-08T00:00-05:00", 2)]
    [InlineData(NewYork, "2026-11-01T00:00-04:00", 4)]
    public void An_interval_spanning_the_change_counts_real_time(string zone, string midnight, double hours)
    {
        Assert.Equal(H(hours), Sundays(zone, 1, 4).BusinessTimeBetween(T(midnight), T(midnight).AddDays(1)));
    }

    [Theory]
    [InlineData("2026-03-29T01:30+01:00", 1, "2026-03-29T03:30+02:00")] // 30 min before the jump, 30 min after
    [InlineData("2026-03-29T01:00+01:00", 2, "2026-03-29T04:00+02:00")] // the whole (shortened) interval
    [InlineData("2026-03-29T01:00+01:00", 2.5, "2026-04-05T01:30+02:00")] // then next Sunday
    [InlineData("2026-10-25T02:30+02:00", 1, "2026-10-25T02:30+01:00")] // from the first 02:30 to the second
    [InlineData("2026-10-25T01:00+02:00", 3, "2026-10-25T03:00+01:00")]
    [InlineData("2026-10-25T01:00+02:00", 4, "2026-10-25T04:00+01:00")]
    public void AddBusinessTime_across_the_changed_hour_in_berlin(string start, double hours, string expected)
    {
        var calendar = Sundays(Berlin, 1, 4);
        Assert.Equal(T(expected), calendar.AddBusinessTime(T(start), H(hours)));
        Assert.Equal(H(hours), calendar.BusinessTimeBetween(T(start), T(expected)));
    }

    [Theory]
    [InlineData("2026-10-25T00:30Z", true)] // 02:30 summer time
    [InlineData("2026-10-25T01:30Z", true)] // 02:30 winter time
    [InlineData("2026-10-25T02:00Z", false)] // 03:00 winter time
    [InlineData("2026-10-24T23:59Z", false)] // 01:59 summer time
    public void Both_passes_of_the_repeated_hour_are_open(string instant, bool open)
    {
        Assert.Equal(open, Sundays(Berlin, 2, 3).IsOpen(T(instant)));
    }

    [Fact]
    public void The_repeated_hour_in_new_york_is_open_twice_and_the_skipped_one_never()
    {
        var repeated = Sundays(NewYork, 1, 2);
        Assert.True(repeated.IsOpen(T("2026-11-01T05:30Z"))); // 01:30 EDT
        Assert.True(repeated.IsOpen(T("2026-11-01T06:30Z"))); // 01:30 EST
        Assert.Equal(H(2), repeated.BusinessTimeBetween(T("2026-11-01T00:00-04:00"), T("2026-11-02T00:00-05:00")));

        var skipped = Sundays(NewYork, 2, 3);
        Assert.Equal(TimeSpan.Zero, skipped.BusinessTimeBetween(T("2026-03-08T00:00-05:00"), T("2026-03-09T00:00-04:00")));
        Assert.Equal(T("2026-03-15T02:00-04:00"), skipped.NextOpening(T("2026-03-08T00:00-05:00")));
        Assert.Equal(T("2026-03-15T03:00-04:00"), skipped.AddBusinessTime(T("2026-03-07T12:00-05:00"), H(1)));
    }

    [Fact]
    public void A_skipped_interval_is_never_open_and_next_opening_moves_on_a_week()
    {
        var calendar = Sundays(Berlin, 2, 2.5);
        Assert.False(calendar.IsOpen(T("2026-03-29T00:59:59Z"))); // 01:59:59 CET
        Assert.False(calendar.IsOpen(T("2026-03-29T01:00Z"))); // 03:00 CEST
        Assert.Equal(T("2026-04-05T02:00+02:00"), calendar.NextOpening(T("2026-03-28T12:00+01:00")));
    }

    [Theory]
    [InlineData(Berlin, "2026-03-27T16:00+01:00", 2, "2026-03-30T09:00+02:00")]
    [InlineData(Berlin, "2026-10-23T16:00+02:00", 2, "2026-10-26T09:00+01:00")]
    [InlineData(NewYork, "2026-03-06T16:00-05:00", 2, "2026-03-09T09:00-04:00")]
    [InlineData(NewYork, "2026-10-30T16:00-04:00", 2, "2026-11-02T09:00-05:00")]
    public void Office_hours_over_a_clock_change_weekend_keep_local_opening_times(string zone, string start, double hours, string expected)
    {
        var calendar = Office(zone);
        Assert.Equal(T(expected), calendar.AddBusinessTime(T(start), H(hours)));
        Assert.Equal(H(hours), calendar.BusinessTimeBetween(T(start), T(expected)));
    }

    [Fact]
    public void Zones_without_daylight_saving_and_with_half_hour_offsets_work()
    {
        var kolkata = Office("Asia/Kolkata");
        Assert.Equal(T("2026-03-03T09:00+05:30"), kolkata.AddBusinessTime(T("2026-03-02T16:00+05:30"), H(2)));
        // Lord Howe Island moves its clocks by 30 minutes (2026-04-05 02:00 -> 01:30).
        var lordHowe = BusinessCalendar.AlwaysOpen("Australia/Lord_Howe");
        Assert.Equal(H(24.5), lordHowe.BusinessTimeBetween(T("2026-04-05T00:00+11:00"), T("2026-04-06T00:00+10:30")));
    }
}
