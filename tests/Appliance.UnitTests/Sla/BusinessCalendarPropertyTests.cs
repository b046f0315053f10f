using Appliance.Domain.Sla;
using static Appliance.UnitTests.Sla.Calendars;

namespace Appliance.UnitTests.Sla;

/// <summary>
/// Properties over many random starts and durations (fixed seeds, so a failure reproduces), on calendars chosen to be
/// awkward: holidays, lunch breaks, 24/7, intervals inside and across the clock change, a half-hour offset change.
/// </summary>
public sealed class BusinessCalendarPropertyTests
{
    private const int Cases = 400;

    public static TheoryData<string> CalendarNames => ["office-berlin-holidays", "lunch-new-york", "always-berlin", "sunday-night-berlin", "sunday-night-new-york", "always-lord-howe", "weekend-kolkata"];

    private static BusinessCalendar Named(string name) => name switch
    {
        "office-berlin-holidays" => Office(Berlin, "2026-04-03", "2026-04-06", "2026-05-01", "2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"),
        "lunch-new-york" => OfficeWithLunch(NewYork),
        "always-berlin" => BusinessCalendar.AlwaysOpen(Berlin),
        "sunday-night-berlin" => BusinessCalendar.Create(Berlin, [new OpeningInterval(DayOfWeek.Sunday, H(1), H(2.5)), new OpeningInterval(DayOfWeek.Sunday, H(2.75), H(3.25))], []),
        "sunday-night-new-york" => Sundays(NewYork, 0.5, 3),
        "always-lord-howe" => BusinessCalendar.AlwaysOpen("Australia/Lord_Howe"),
        "weekend-kolkata" => BusinessCalendar.Create("Asia/Kolkata", [new OpeningInterval(DayOfWeek.Saturday, H(0), H(24)), new OpeningInterval(DayOfWeek.Sunday, H(0), H(6))], []),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static DateTimeOffset RandomInstant(Random random) =>
        new(T("2026-01-01T00:00Z").UtcTicks + random.NextInt64(TimeSpan.FromDays(2 * 365).Ticks), TimeSpan.Zero);

    /// <summary>Any tick count up to 300 business hours, often whole minutes.</summary>
    private static TimeSpan RandomDuration(Random random) => random.Next(3) switch
    {
        0 => TimeSpan.FromMinutes(random.Next(0, 300 * 60)),
        1 => TimeSpan.FromTicks(random.NextInt64(TimeSpan.FromHours(300).Ticks)),
        _ => TimeSpan.FromTicks(random.NextInt64(TimeSpan.FromMinutes(5).Ticks)),
    };

    [Theory]
    [MemberData(nameof(CalendarNames))]
    public void BusinessTimeBetween_undoes_AddBusinessTime(string name)
    {
        var calendar = Named(name);
        var random = new Random(20260329);
        for (var i = 0; i < Cases; i++)
        {
            var start = RandomInstant(random);
            var duration = RandomDuration(random);
            var due = calendar.AddBusinessTime(start, duration);
            Assert.True(due >= start, $"{name}: {start:O} + {duration} gave {due:O}");
            Assert.Equal(duration, calendar.BusinessTimeBetween(start, due));
            Assert.Equal(-duration, calendar.BusinessTimeBetween(due, start));
            if (duration > TimeSpan.Zero)
            {
                // The due instant is the first one with that much business time: a tick earlier is short of it.
                Assert.Equal(duration - TimeSpan.FromTicks(1), calendar.BusinessTimeBetween(start, due.AddTicks(-1)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(CalendarNames))]
    public void AddBusinessTime_is_monotonic_in_start_and_duration_and_additive(string name)
    {
        var calendar = Named(name);
        var random = new Random(20261025);
        for (var i = 0; i < Cases; i++)
        {
            var start = RandomInstant(random);
            var a = RandomDuration(random);
            var b = RandomDuration(random);
            var (shorter, longer) = a <= b ? (a, b) : (b, a);
            Assert.True(calendar.AddBusinessTime(start, shorter) <= calendar.AddBusinessTime(start, longer));

            var later = start.AddTicks(random.NextInt64(TimeSpan.FromDays(3).Ticks));
            Assert.True(calendar.AddBusinessTime(start, a) <= calendar.AddBusinessTime(later, a));

            if (b > TimeSpan.Zero)
            {
                Assert.Equal(calendar.AddBusinessTime(start, a + b), calendar.AddBusinessTime(calendar.AddBusinessTime(start, a), b));
            }
        }
    }

    [Theory]
    [MemberData(nameof(CalendarNames))]
    public void BusinessTimeBetween_is_additive_and_never_exceeds_real_time(string name)
    {
        var calendar = Named(name);
        var random = new Random(20260308);
        for (var i = 0; i < Cases; i++)
        {
            var points = new[] { RandomInstant(random), RandomInstant(random), RandomInstant(random) }.Order().ToArray();
            var whole = calendar.BusinessTimeBetween(points[0], points[2]);
            Assert.Equal(whole, calendar.BusinessTimeBetween(points[0], points[1]) + calendar.BusinessTimeBetween(points[1], points[2]));
            Assert.InRange(whole, TimeSpan.Zero, points[2] - points[0]);
        }
    }

    [Theory]
    [MemberData(nameof(CalendarNames))]
    public void IsOpen_and_NextOpening_agree_with_the_periods(string name)
    {
        var calendar = Named(name);
        var random = new Random(20261101);
        for (var i = 0; i < Cases; i++)
        {
            var instant = RandomInstant(random);
            var tick = TimeSpan.FromTicks(1);
            Assert.Equal(calendar.IsOpen(instant), calendar.BusinessTimeBetween(instant, instant + tick) == tick);
            var next = calendar.NextOpening(instant);
            Assert.True(next >= instant);
            Assert.True(calendar.IsOpen(next));
            Assert.Equal(TimeSpan.Zero, calendar.BusinessTimeBetween(instant, next));
            Assert.Equal(calendar.IsOpen(instant), next == instant);
        }
    }

    /// <summary>An independent oracle: walk minute by minute through each clock change week and ask IsOpen (which converts with the runtime's zone rules).</summary>
    [Theory]
    [MemberData(nameof(CalendarNames))]
    public void Minute_by_minute_oracle_matches_around_every_clock_change(string name)
    {
        var calendar = Named(name);
        string[] weeks = ["2026-03-04T00:00Z", "2026-03-25T00:00Z", "2026-04-02T00:00Z", "2026-10-21T00:00Z", "2026-10-29T00:00Z", "2026-12-21T00:00Z"];
        foreach (var week in weeks)
        {
            var from = T(week);
            var total = TimeSpan.Zero;
            for (var minute = 0; minute < 7 * 24 * 60; minute++)
            {
                var at = from.AddMinutes(minute);
                if (calendar.IsOpen(at))
                {
                    total += TimeSpan.FromMinutes(1);
                }

                if (minute % 997 == 0)
                {
                    Assert.Equal(total, calendar.BusinessTimeBetween(from, at.AddMinutes(1)));
                }
            }

            Assert.Equal(total, calendar.BusinessTimeBetween(from, from.AddDays(7)));
        }
    }
}
