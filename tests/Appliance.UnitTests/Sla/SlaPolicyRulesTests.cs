using Appliance.Domain.Common;
using Appliance.Domain.Sla;
using static Appliance.UnitTests.Sla.Calendars;

namespace Appliance.UnitTests.Sla;

/// <summary>Validation of calendars and whole policy definitions: every problem named by the field the API body uses.</summary>
public sealed class SlaPolicyRulesTests
{
    private static readonly SlaTargetsInput GoodTargets = new(new(60, 240), new(120, 480), new(240, 1440), new(480, 2400));

    private static readonly OpeningHoursInput[] GoodHours = [new("monday", "08:00", "17:00"), new("Friday", "08:00", "12:00"), new("friday", "13:00", "24:00")];

    private static SlaPolicyInput Input(
        string? name = "Standard",
        string? timeZone = Berlin,
        SlaTargetsInput? targets = null,
        IReadOnlyList<OpeningHoursInput>? hours = null,
        IReadOnlyList<HolidayInput>? holidays = null,
        string? description = null) =>
        new(name, description, null, timeZone, targets ?? GoodTargets, hours ?? GoodHours, holidays);

    private static IReadOnlyList<FieldError> Errors(SlaPolicyInput input) =>
        Assert.Throws<DomainValidationException>(() => SlaPolicyRules.Validate(input)).Errors;

    private static IReadOnlyList<FieldError> CalendarErrors(string? zone, IReadOnlyList<OpeningInterval>? hours, IReadOnlyList<Holiday>? holidays = null) =>
        Assert.Throws<DomainValidationException>(() => BusinessCalendar.Create(zone, hours, holidays)).Errors;

    [Fact]
    public void A_valid_policy_is_trimmed_and_parsed()
    {
        var policy = SlaPolicyRules.Validate(Input(name: "  Premium  ", description: "  ", holidays: [new(" 2026-12-25 ", " 1. Weihnachtstag "), new("2026-12-26", null)]));
        Assert.Equal("Premium", policy.Name);
        Assert.Null(policy.Description);
        Assert.Null(policy.IsDefault);
        Assert.Equal(Berlin, policy.Calendar.TimeZoneId);
        Assert.Equal(TimeSpan.FromMinutes(120), policy.Targets.High.Response);
        Assert.Equal(TimeSpan.FromMinutes(2400), policy.Targets.For("low").Resolution);
        Assert.Equal(BusinessCalendar.EndOfDay, policy.Calendar.OpeningHours[^1].End);
        Assert.Equal(H(9 + 4 + 11), policy.Calendar.WeeklyOpenTime);
        Assert.Equal("1. Weihnachtstag", policy.Calendar.Holidays[0].Name);
        Assert.Null(policy.Calendar.Holidays[1].Name);
        Assert.Equal("24:00", SlaPolicyRules.FormatTime(policy.Calendar.OpeningHours[^1].End));
        Assert.Equal("08:00", SlaPolicyRules.FormatTime(policy.Calendar.OpeningHours[0].Start));
        Assert.Equal("friday", SlaPolicyRules.FormatWeekday(policy.Calendar.OpeningHours[^1].Day));
    }

    [Theory]
    [InlineData(null, "name")]
    [InlineData(" ", "name")]
    [InlineData("X", "name")]
    public void Names_are_required_and_two_to_100_characters(string? name, string field)
    {
        Assert.Contains(Errors(Input(name: name)), e => e.Field == field);
        Assert.Contains(Errors(Input(name: new string('x', 101))), e => e.Field == "name");
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("W. Europe Standard Time")]
    [InlineData("../../etc/passwd")]
    [InlineData("Europe/../../etc/passwd")]
    [InlineData("europe/berlin")] // even once Europe/Berlin sits in the runtime's case-insensitive cache
    [InlineData("utc")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_or_non_iana_time_zones_are_refused(string? zone)
    {
        Assert.NotNull(BusinessCalendar.FindTimeZone("Europe/Berlin"));
        Assert.Contains(Errors(Input(timeZone: zone)), e => e.Field == "time_zone");
        Assert.Null(BusinessCalendar.FindTimeZone(zone));
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("Etc/GMT+5")]
    [InlineData("America/Argentina/Buenos_Aires")]
    [InlineData("Asia/Kolkata")]
    public void Iana_zones_of_every_shape_are_accepted(string zone)
    {
        Assert.Equal(zone, SlaPolicyRules.Validate(Input(timeZone: zone)).Calendar.TimeZoneId);
    }

    [Fact]
    public void The_time_zone_is_checked_even_when_the_hours_do_not_parse()
    {
        var errors = Errors(Input(timeZone: "Nowhere/Town", hours: [new("someday", "8", "17:00")]));
        Assert.Equal(["opening_hours[0].start", "opening_hours[0].weekday", "time_zone"], errors.Select(e => e.Field).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("caturday", "08:00", "17:00", "opening_hours[0].weekday")]
    [InlineData("monday", "8:00", "17:00", "opening_hours[0].start")]
    [InlineData("monday", "24:00", "24:00", "opening_hours[0].start")]
    [InlineData("monday", "08:00", "17:60", "opening_hours[0].end")]
    [InlineData("monday", "08:00", "24:30", "opening_hours[0].end")]
    [InlineData("monday", "08:00", "00:00", "opening_hours[0].end")]
    [InlineData("monday", "17:00", "08:00", "opening_hours[0].end")]
    [InlineData("monday", "08:00", "08:00", "opening_hours[0].end")]
    [InlineData("monday", "08:00", null, "opening_hours[0].end")]
    [InlineData(null, "08:00", "17:00", "opening_hours[0].weekday")]
    public void Bad_opening_hours_name_the_entry_and_field(string? weekday, string? start, string? end, string field)
    {
        var errors = Errors(Input(hours: [new(weekday, start, end)]));
        Assert.Equal(field, Assert.Single(errors).Field);
    }

    [Fact]
    public void Overlapping_intervals_on_one_day_are_refused_but_touching_ones_and_other_days_are_fine()
    {
        var overlap = Errors(Input(hours: [new("monday", "08:00", "12:00"), new("tuesday", "08:00", "12:00"), new("monday", "11:59", "13:00")]));
        var error = Assert.Single(overlap);
        Assert.Equal("opening_hours[2]", error.Field);
        Assert.Contains("opening_hours[0]", error.Message, StringComparison.Ordinal);
        Assert.Contains("monday", error.Message, StringComparison.Ordinal);

        var contained = Errors(Input(hours: [new("sunday", "00:00", "24:00"), new("sunday", "10:00", "11:00")]));
        Assert.Equal("opening_hours[1]", Assert.Single(contained).Field);

        var touching = SlaPolicyRules.Validate(Input(hours: [new("monday", "12:00", "17:00"), new("monday", "08:00", "12:00")]));
        Assert.Equal(H(9), touching.Calendar.WeeklyOpenTime);
    }

    [Fact]
    public void A_calendar_needs_at_least_one_interval()
    {
        Assert.Equal("opening_hours", Assert.Single(Errors(Input(hours: []))).Field);
        Assert.Equal("opening_hours", Assert.Single(Errors(new SlaPolicyInput("Standard", null, null, Berlin, GoodTargets, null, null))).Field);
        Assert.Equal("opening_hours", Assert.Single(CalendarErrors(Berlin, null)).Field);
    }

    [Fact]
    public void Too_many_intervals_or_holidays_are_refused()
    {
        var hours = Enumerable.Range(0, 71).Select(i => new OpeningHoursInput("monday", $"{i / 60 % 24:00}:{i % 60:00}", "23:59")).ToList();
        Assert.Contains(Errors(Input(hours: hours)), e => e.Field == "opening_hours");
        var holidays = Enumerable.Range(0, 1001).Select(i => new HolidayInput(D("2026-01-01").AddDays(i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), null)).ToList();
        Assert.Equal("holidays", Assert.Single(Errors(Input(holidays: holidays))).Field);
    }

    [Fact]
    public void Holidays_need_real_dates_once_each_and_short_names()
    {
        var errors = Errors(Input(holidays: [new("2026-12-25", "a"), new("2026-02-30", null), new("25.12.2026", null)]));
        Assert.Equal(["holidays[1].date", "holidays[2].date"], errors.Select(e => e.Field));

        var duplicate = Errors(Input(holidays: [new("2026-12-25", "a"), new("2026-12-26", null), new("2026-12-25", "b")]));
        var error = Assert.Single(duplicate);
        Assert.Equal("holidays[2].date", error.Field);
        Assert.Contains("holidays[0]", error.Message, StringComparison.Ordinal);

        Assert.Equal("holidays[0].name", Assert.Single(Errors(Input(holidays: [new("2026-12-25", new string('n', 101))]))).Field);
        Assert.Equal("holidays[0].date", Assert.Single(Errors(Input(holidays: [new("1066-10-14", null)]))).Field);
        Assert.Equal("holidays[0]", Assert.Single(Errors(Input(holidays: [null!]))).Field);
    }

    [Fact]
    public void Targets_are_required_per_priority_positive_and_resolution_not_shorter_than_response()
    {
        Assert.Equal("targets", Assert.Single(Errors(new SlaPolicyInput("Standard", null, null, Berlin, null, GoodHours, null))).Field);

        var errors = Errors(Input(targets: new SlaTargetsInput(new(0, 240), null, new(null, 10), new(600, 300))));
        Assert.Equal(
            ["targets.critical.response_minutes", "targets.high", "targets.medium.response_minutes", "targets.low.resolution_minutes"],
            errors.Select(e => e.Field));

        var tooLong = Errors(Input(targets: GoodTargets with { Low = new(480, SlaPolicyRules.MaxTargetMinutes + 1) }));
        Assert.Equal("targets.low.resolution_minutes", Assert.Single(tooLong).Field);
        Assert.NotNull(SlaPolicyRules.Validate(Input(targets: GoodTargets with { Low = new(SlaPolicyRules.MaxTargetMinutes, SlaPolicyRules.MaxTargetMinutes) })));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors(new SlaPolicyInput(null, new string('d', 1001), true, "Nowhere", null, [new("monday", "09:00", "08:00")], [new("someday", null)]));
        Assert.Equal(
            ["description", "holidays[0].date", "name", "opening_hours[0].end", "targets", "time_zone"],
            errors.Select(e => e.Field).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Calendar_intervals_must_be_whole_minutes_within_a_day()
    {
        Assert.Equal("opening_hours[0].start", Assert.Single(CalendarErrors(Berlin, [new OpeningInterval(DayOfWeek.Monday, TimeSpan.FromSeconds(30), H(9))])).Field);
        Assert.Equal("opening_hours[0].start", Assert.Single(CalendarErrors(Berlin, [new OpeningInterval(DayOfWeek.Monday, H(-1), H(9))])).Field);
        Assert.Equal("opening_hours[0].end", Assert.Single(CalendarErrors(Berlin, [new OpeningInterval(DayOfWeek.Monday, H(8), H(25))])).Field);
        Assert.Equal("opening_hours[0].weekday", Assert.Single(CalendarErrors(Berlin, [new OpeningInterval((DayOfWeek)7, H(8), H(9))])).Field);
    }

    [Theory]
    [InlineData(DayOfWeek.Monday, 1)]
    [InlineData(DayOfWeek.Saturday, 6)]
    [InlineData(DayOfWeek.Sunday, 7)]
    public void Iso_weekdays_round_trip(DayOfWeek day, int iso)
    {
        Assert.Equal(iso, BusinessCalendar.IsoWeekday(day));
        Assert.Equal(day, BusinessCalendar.FromIsoWeekday(iso));
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessCalendar.FromIsoWeekday(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessCalendar.FromIsoWeekday(8));
    }
}
