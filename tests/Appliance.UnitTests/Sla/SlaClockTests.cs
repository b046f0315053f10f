using Appliance.Domain.Sla;
using static Appliance.UnitTests.Sla.Calendars;

namespace Appliance.UnitTests.Sla;

/// <summary>
/// The SLA clock on Europe/Berlin office hours (Mon-Fri 08:00-17:00). Targets: critical 1 h / 4 h, high 2 h / 8 h,
/// medium 4 h / 24 h, low 8 h / 40 h (response / resolution, business time). Monday 2026-03-02 is the usual start.
/// </summary>
public sealed class SlaClockTests
{
    private static readonly SlaTargets Targets = new(
        SlaTarget.FromMinutes(60, 240),
        SlaTarget.FromMinutes(120, 480),
        SlaTarget.FromMinutes(240, 1440),
        SlaTarget.FromMinutes(480, 2400));

    private static readonly BusinessCalendar Calendar = Office();

    private const string Monday9 = "2026-03-02T09:00+01:00";

    private static SlaReading Read(SlaTicketHistory ticket, string now) => SlaClock.Read(Calendar, Targets, ticket, T(now));

    private static SlaTicketHistory Ticket(string priority, string created = Monday9, (string From, string? To)[]? pauses = null, (string At, string Priority)[]? changes = null, string? firstResponse = null, string? resolved = null) =>
        new(
            T(created),
            priority,
            changes?.Select(c => new PriorityChange(T(c.At), c.Priority)).ToList(),
            pauses?.Select(p => new SlaPause(T(p.From), p.To is null ? null : T(p.To))).ToList(),
            firstResponse is null ? null : T(firstResponse),
            resolved is null ? null : T(resolved));

    [Theory]
    [InlineData("critical", "2026-03-02T10:00+01:00", "2026-03-02T13:00+01:00")]
    [InlineData("high", "2026-03-02T11:00+01:00", "2026-03-02T17:00+01:00")]
    [InlineData("medium", "2026-03-02T13:00+01:00", "2026-03-04T15:00+01:00")]
    [InlineData("low", "2026-03-02T17:00+01:00", "2026-03-06T13:00+01:00")]
    public void A_new_ticket_is_due_after_its_targets_in_business_time(string priority, string responseDue, string resolutionDue)
    {
        var reading = Read(Ticket(priority), Monday9);
        Assert.Equal(priority, reading.Priority);
        Assert.Equal(T(responseDue), reading.Response.Due);
        Assert.Equal(T(resolutionDue), reading.Resolution.Due);
        Assert.Equal(TimeSpan.Zero, reading.Response.Elapsed);
        Assert.Equal(Targets.For(priority).Response, reading.Response.Remaining);
        Assert.False(reading.Paused);
        Assert.False(reading.Response.Breached);
        Assert.Null(reading.Response.StoppedAt);
        Assert.Equal(T(responseDue), SlaClock.DueFor(Calendar, T(Monday9), Targets.For(priority).Response));
    }

    [Fact]
    public void A_ticket_opened_on_friday_evening_is_due_on_monday()
    {
        var reading = Read(Ticket("high", "2026-03-06T18:00+01:00"), "2026-03-07T12:00+01:00");
        Assert.Equal(T("2026-03-09T10:00+01:00"), reading.Response.Due);
        Assert.Equal(T("2026-03-09T16:00+01:00"), reading.Resolution.Due);
        Assert.Equal(TimeSpan.Zero, reading.Response.Elapsed);
    }

    [Fact]
    public void Elapsed_and_remaining_count_business_time_up_to_now()
    {
        var reading = Read(Ticket("high"), "2026-03-02T10:30+01:00");
        Assert.Equal(H(1.5), reading.Response.Elapsed);
        Assert.Equal(H(0.5), reading.Response.Remaining);
        Assert.Equal(H(6.5), reading.Resolution.Remaining);

        var overnight = Read(Ticket("high"), "2026-03-03T08:30+01:00");
        Assert.Equal(H(8.5), overnight.Resolution.Elapsed);
        Assert.Equal(H(-0.5), overnight.Resolution.Remaining);
        Assert.True(overnight.Resolution.Breached);
    }

    [Fact]
    public void Breached_only_after_the_due_instant()
    {
        Assert.False(Read(Ticket("high"), "2026-03-02T11:00+01:00").Response.Breached);
        var late = Read(Ticket("high"), "2026-03-02T11:00:01+01:00").Response;
        Assert.True(late.Breached);
        Assert.Equal(TimeSpan.FromSeconds(-1), late.Remaining);
    }

    [Fact]
    public void A_deadline_at_closing_time_is_breached_after_closing_even_without_more_business_time()
    {
        var reading = Read(Ticket("high"), "2026-03-02T17:30+01:00").Resolution;
        Assert.Equal(T("2026-03-02T17:00+01:00"), reading.Due);
        Assert.Equal(TimeSpan.Zero, reading.Remaining);
        Assert.True(reading.Breached);
    }

    [Fact]
    public void The_response_clock_stops_at_the_first_response()
    {
        var onTime = Read(Ticket("high", firstResponse: "2026-03-02T10:00+01:00"), "2026-03-04T12:00+01:00");
        Assert.Equal(H(1), onTime.Response.Elapsed);
        Assert.Equal(H(1), onTime.Response.Remaining);
        Assert.Equal(T("2026-03-02T11:00+01:00"), onTime.Response.Due);
        Assert.Equal(T("2026-03-02T10:00+01:00"), onTime.Response.StoppedAt);
        Assert.True(onTime.Response.Met);
        Assert.False(onTime.Response.Breached);
        Assert.True(onTime.Resolution.Breached); // the resolution clock kept running

        var late = Read(Ticket("high", firstResponse: "2026-03-02T12:00+01:00"), "2026-03-04T12:00+01:00");
        Assert.Equal(H(3), late.Response.Elapsed);
        Assert.Equal(H(-1), late.Response.Remaining);
        Assert.True(late.Response.Breached);
        Assert.False(late.Response.Met);
    }

    [Fact]
    public void A_first_response_in_the_future_has_not_happened_yet()
    {
        var reading = Read(Ticket("high", firstResponse: "2026-03-02T10:00+01:00"), "2026-03-02T09:30+01:00");
        Assert.Null(reading.Response.StoppedAt);
        Assert.Equal(H(0.5), reading.Response.Elapsed);
    }

    [Fact]
    public void A_stopped_clock_is_frozen_against_later_pauses_and_priority_changes()
    {
        var ticket = Ticket("high", firstResponse: "2026-03-02T10:00+01:00", pauses: [("2026-03-02T10:00+01:00", null)], changes: [("2026-03-02T10:30+01:00", "critical")]);
        var reading = Read(ticket, "2026-03-03T12:00+01:00");
        Assert.Equal(T("2026-03-02T11:00+01:00"), reading.Response.Due);
        Assert.Equal(H(2), reading.Response.Target);
        Assert.True(reading.Response.Met);
        Assert.True(reading.Paused);
        Assert.Equal("critical", reading.Priority);
        Assert.Null(reading.Resolution.Due); // paused short of the (critical) resolution target
        Assert.Equal(H(3), reading.Resolution.Remaining);
    }

    [Fact]
    public void Resolution_stops_at_resolved_and_ignores_what_follows()
    {
        var met = Read(Ticket("high", resolved: "2026-03-02T16:00+01:00", pauses: [("2026-03-02T16:00+01:00", null)]), "2026-03-09T12:00+01:00");
        Assert.True(met.Resolution.Met);
        Assert.Equal(H(7), met.Resolution.Elapsed);
        Assert.Equal(T("2026-03-02T17:00+01:00"), met.Resolution.Due);

        var late = Read(Ticket("high", resolved: "2026-03-03T10:00+01:00"), "2026-03-09T12:00+01:00");
        Assert.True(late.Resolution.Breached);
        Assert.Equal(H(10), late.Resolution.Elapsed);
    }

    [Fact]
    public void A_pause_within_a_day_moves_the_due_dates_by_the_business_time_paused()
    {
        var ticket = Ticket("high", pauses: [("2026-03-02T10:00+01:00", "2026-03-02T12:00+01:00")]);
        var reading = Read(ticket, "2026-03-02T12:00+01:00");
        Assert.False(reading.Paused);
        Assert.Equal(H(1), reading.Response.Elapsed);
        Assert.Equal(T("2026-03-02T13:00+01:00"), reading.Response.Due); // resume + remaining
        Assert.Equal(T("2026-03-03T10:00+01:00"), reading.Resolution.Due);
    }

    [Fact]
    public void A_pause_across_the_weekend_only_subtracts_business_time()
    {
        // Thursday 15:00, medium (24 h); waits from Friday 10:00 to Tuesday 11:00.
        var ticket = Ticket("medium", "2026-03-05T15:00+01:00", pauses: [("2026-03-06T10:00+01:00", "2026-03-10T11:00+01:00")]);
        var reading = Read(ticket, "2026-03-10T12:00+01:00");
        Assert.Equal(H(5), reading.Resolution.Elapsed);
        Assert.Equal(T("2026-03-12T13:00+01:00"), reading.Resolution.Due); // 20 h left from Tuesday 11:00: 6 + 9 + 5
        // The 4 h response target was used up exactly when the wait began, so it fell due on resume and is overrun now.
        Assert.Equal(T("2026-03-10T11:00+01:00"), reading.Response.Due);
        Assert.True(reading.Response.Breached);
    }

    [Fact]
    public void An_open_ended_pause_freezes_the_clock_and_drops_the_due_date()
    {
        var ticket = Ticket("high", pauses: [("2026-03-02T10:00+01:00", null)]);
        var reading = Read(ticket, "2026-03-04T15:00+01:00");
        Assert.True(reading.Paused);
        Assert.Equal(T("2026-03-02T10:00+01:00"), reading.PausedSince);
        Assert.Null(reading.Response.Due);
        Assert.Null(reading.Resolution.Due);
        Assert.Equal(H(1), reading.Response.Elapsed);
        Assert.Equal(H(1), reading.Response.Remaining);
        Assert.False(reading.Response.Breached);
        Assert.False(reading.Resolution.Breached);
    }

    [Fact]
    public void A_pause_that_has_not_started_yet_is_ignored()
    {
        var reading = Read(Ticket("high", pauses: [("2026-03-02T12:00+01:00", null)]), "2026-03-02T10:00+01:00");
        Assert.False(reading.Paused);
        Assert.Equal(T("2026-03-02T11:00+01:00"), reading.Response.Due);
    }

    [Fact]
    public void A_pause_that_ends_after_now_is_still_running()
    {
        var reading = Read(Ticket("high", pauses: [("2026-03-02T10:00+01:00", "2026-03-03T10:00+01:00")]), "2026-03-02T15:00+01:00");
        Assert.True(reading.Paused);
        Assert.Null(reading.Response.Due);
    }

    [Fact]
    public void Pausing_after_a_breach_keeps_the_breach_and_the_past_due_date()
    {
        var reading = Read(Ticket("high", pauses: [("2026-03-02T12:00+01:00", null)]), "2026-03-04T10:00+01:00");
        Assert.True(reading.Paused);
        Assert.Equal(T("2026-03-02T11:00+01:00"), reading.Response.Due);
        Assert.True(reading.Response.Breached);
        Assert.Equal(H(3), reading.Response.Elapsed);
        Assert.Equal(H(-1), reading.Response.Remaining);
        Assert.False(reading.Resolution.Breached);
        Assert.Null(reading.Resolution.Due);
    }

    [Fact]
    public void Resuming_after_a_breach_stays_breached_and_elapsed_time_grows_again()
    {
        var reading = Read(Ticket("high", pauses: [("2026-03-02T12:00+01:00", "2026-03-04T10:00+01:00")]), "2026-03-04T11:00+01:00");
        Assert.False(reading.Paused);
        Assert.True(reading.Response.Breached);
        Assert.Equal(T("2026-03-02T11:00+01:00"), reading.Response.Due);
        Assert.Equal(H(4), reading.Response.Elapsed);
        Assert.Equal(T("2026-03-04T15:00+01:00"), reading.Resolution.Due); // 3 h used, 5 h from Wednesday 10:00
    }

    [Fact]
    public void A_clock_paused_exactly_at_its_target_is_due_when_it_resumes()
    {
        var waiting = Read(Ticket("high", pauses: [("2026-03-02T11:00+01:00", null)]), "2026-03-02T15:00+01:00").Response;
        Assert.Null(waiting.Due);
        Assert.Equal(TimeSpan.Zero, waiting.Remaining);
        Assert.False(waiting.Breached);

        var resumed = Read(Ticket("high", pauses: [("2026-03-02T11:00+01:00", "2026-03-03T09:00+01:00")]), "2026-03-03T09:00+01:00").Response;
        Assert.Equal(T("2026-03-03T09:00+01:00"), resumed.Due);
        Assert.False(resumed.Breached);
        Assert.True(Read(Ticket("high", pauses: [("2026-03-02T11:00+01:00", "2026-03-03T09:00+01:00")]), "2026-03-03T09:00:01+01:00").Response.Breached);
    }

    [Fact]
    public void A_deadline_that_passed_before_an_after_hours_pause_stays_breached()
    {
        var reading = Read(Ticket("high", pauses: [("2026-03-02T19:00+01:00", null)]), "2026-03-03T12:00+01:00").Resolution;
        Assert.Equal(T("2026-03-02T17:00+01:00"), reading.Due);
        Assert.True(reading.Breached);
        Assert.Equal(TimeSpan.Zero, reading.Remaining);
    }

    [Fact]
    public void Overlapping_pauses_merge_and_a_pause_before_creation_is_clipped()
    {
        var ticket = Ticket("medium", pauses: [("2026-03-02T11:00+01:00", "2026-03-02T13:00+01:00"), ("2026-03-02T10:00+01:00", "2026-03-02T12:00+01:00"), ("2026-03-02T08:00+01:00", "2026-03-02T09:30+01:00")]);
        var reading = Read(ticket, "2026-03-02T14:00+01:00");
        Assert.Equal(H(1.5), reading.Resolution.Elapsed); // 09:30-10:00 and 13:00-14:00
        Assert.Equal(T("2026-03-02T16:30+01:00"), reading.Response.Due);

        var waitingFromTheStart = Read(Ticket("medium", pauses: [("2026-03-02T08:00+01:00", null)]), "2026-03-02T14:00+01:00");
        Assert.True(waitingFromTheStart.Paused);
        Assert.Equal(T(Monday9), waitingFromTheStart.PausedSince);
        Assert.Equal(TimeSpan.Zero, waitingFromTheStart.Response.Elapsed);
    }

    [Fact]
    public void Several_pauses_across_days_add_up()
    {
        // low (8 h response, 40 h resolution): waits Monday 10-12, Tuesday 16:00 to Thursday 09:00, Friday 08:00-08:30.
        var ticket = Ticket("low", pauses: [("2026-03-02T10:00+01:00", "2026-03-02T12:00+01:00"), ("2026-03-03T16:00+01:00", "2026-03-05T09:00+01:00"), ("2026-03-06T08:00+01:00", "2026-03-06T08:30+01:00")]);
        var reading = Read(ticket, "2026-03-06T12:00+01:00");
        // Monday 1 + 5, Tuesday 8, Thursday 8, Friday 3.5
        Assert.Equal(H(25.5), reading.Resolution.Elapsed);
        Assert.Equal(T("2026-03-10T08:30+01:00"), reading.Resolution.Due); // 14.5 h left from Friday 12:00: 5 + 9 + 0.5
        Assert.Equal(T("2026-03-03T10:00+01:00"), reading.Response.Due);
        Assert.True(reading.Response.Breached);
    }

    [Fact]
    public void Raising_the_priority_measures_the_new_target_from_creation()
    {
        var early = Ticket("low", changes: [("2026-03-02T09:30+01:00", "critical")]);
        var before = Read(early, "2026-03-02T09:45+01:00");
        Assert.Equal("critical", before.Priority);
        Assert.Equal(T("2026-03-02T10:00+01:00"), before.Response.Due);
        Assert.Equal(H(0.25), before.Response.Remaining);
        Assert.False(before.Response.Breached);
        Assert.True(Read(early, "2026-03-02T10:30+01:00").Response.Breached);
    }

    [Fact]
    public void Raising_the_priority_after_its_target_is_used_up_breaches_at_once()
    {
        var ticket = Ticket("low", changes: [("2026-03-02T11:00+01:00", "critical")]);
        Assert.False(Read(ticket, "2026-03-02T10:59+01:00").Response.Breached);
        var after = Read(ticket, "2026-03-02T11:00:01+01:00").Response;
        Assert.Equal(T("2026-03-02T10:00+01:00"), after.Due);
        Assert.True(after.Breached);
        Assert.Equal(H(1) - (T("2026-03-02T11:00:01+01:00") - T(Monday9)), after.Remaining);
    }

    [Fact]
    public void Lowering_the_priority_moves_the_due_date_later()
    {
        var ticket = Ticket("critical", changes: [("2026-03-02T09:30+01:00", "low")]);
        var reading = Read(ticket, "2026-03-02T12:00+01:00");
        Assert.Equal(T("2026-03-02T17:00+01:00"), reading.Response.Due);
        Assert.Equal(T("2026-03-06T13:00+01:00"), reading.Resolution.Due);
        Assert.Equal(H(5), reading.Response.Remaining);
        Assert.False(reading.Response.Breached);
    }

    [Fact]
    public void Lowering_the_priority_after_a_breach_keeps_the_breach()
    {
        var ticket = Ticket("critical", changes: [("2026-03-02T11:00+01:00", "low")]);
        var reading = Read(ticket, "2026-03-02T12:00+01:00");
        Assert.Equal(T("2026-03-02T17:00+01:00"), reading.Response.Due);
        Assert.Equal(H(5), reading.Response.Remaining);
        Assert.True(reading.Response.Breached);
        Assert.False(reading.Resolution.Breached); // critical resolution (4 h) was due 13:00, lowered before that
    }

    [Fact]
    public void Up_and_down_again_and_changes_in_any_order()
    {
        var ticket = Ticket("medium", changes: [("2026-03-02T10:30+01:00", "low"), ("2026-03-02T10:00+01:00", "high")]);
        var reading = Read(ticket, "2026-03-02T11:30+01:00");
        Assert.Equal("low", reading.Priority);
        Assert.Equal(T("2026-03-02T17:00+01:00"), reading.Response.Due);
        Assert.False(reading.Response.Breached); // high's 11:00 response deadline was never in force at 11:00

        var changedAtTheSameInstant = Ticket("medium", changes: [("2026-03-02T10:00+01:00", "critical"), ("2026-03-02T10:00+01:00", "low")]);
        var same = Read(changedAtTheSameInstant, "2026-03-02T11:30+01:00");
        Assert.Equal("low", same.Priority);
        Assert.False(same.Response.Breached); // critical held for no time at all
    }

    [Fact]
    public void A_priority_change_in_the_future_is_ignored()
    {
        var reading = Read(Ticket("low", changes: [("2026-03-03T10:00+01:00", "critical")]), "2026-03-02T12:00+01:00");
        Assert.Equal("low", reading.Priority);
        Assert.Equal(T("2026-03-02T17:00+01:00"), reading.Response.Due);
    }

    [Fact]
    public void A_priority_change_while_paused_takes_effect_on_resume()
    {
        var paused = Ticket("medium", pauses: [("2026-03-02T10:00+01:00", null)], changes: [("2026-03-02T11:00+01:00", "critical")]);
        var reading = Read(paused, "2026-03-02T12:00+01:00");
        Assert.Null(reading.Response.Due); // critical's 1 h was used up exactly as the wait began
        Assert.False(reading.Response.Breached);
        Assert.Null(reading.Resolution.Due);
        Assert.Equal(H(3), reading.Resolution.Remaining);

        var resumed = Ticket("medium", pauses: [("2026-03-02T10:00+01:00", "2026-03-03T09:00+01:00")], changes: [("2026-03-02T11:00+01:00", "critical")]);
        var later = Read(resumed, "2026-03-03T09:30+01:00");
        Assert.Equal(T("2026-03-03T09:00+01:00"), later.Response.Due);
        Assert.True(later.Response.Breached);
        Assert.Equal(T("2026-03-03T12:00+01:00"), later.Resolution.Due);
    }

    [Fact]
    public void Due_dates_over_the_clock_change_weekend()
    {
        var reading = Read(Ticket("high", "2026-03-27T16:00+01:00"), "2026-03-27T16:00+01:00");
        Assert.Equal(T("2026-03-30T09:00+02:00"), reading.Response.Due);
        Assert.Equal(T("2026-03-30T15:00+02:00"), reading.Resolution.Due);

        var later = Read(Ticket("high", "2026-03-27T16:00+01:00"), "2026-03-30T10:00+02:00");
        Assert.Equal(H(3), later.Resolution.Elapsed);
        Assert.True(later.Response.Breached);
    }

    [Fact]
    public void A_24_7_policy_runs_through_the_night_of_the_clock_change()
    {
        var reading = SlaClock.Read(BusinessCalendar.AlwaysOpen(Berlin), Targets, Ticket("critical", "2026-03-28T23:00+01:00"), T("2026-03-28T23:00+01:00"));
        Assert.Equal(T("2026-03-29T00:00+01:00"), reading.Response.Due);
        Assert.Equal(T("2026-03-29T04:00+02:00"), reading.Resolution.Due); // 4 real hours: 23:00 CET to 04:00 CEST
    }

    [Fact]
    public void Now_before_creation_reads_as_at_creation()
    {
        var reading = Read(Ticket("high"), "2026-03-01T12:00+01:00");
        Assert.Equal(TimeSpan.Zero, reading.Response.Elapsed);
        Assert.Equal(T("2026-03-02T11:00+01:00"), reading.Response.Due);
    }

    [Fact]
    public void Malformed_history_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Read(Ticket("urgent"), Monday9));
        Assert.Throws<ArgumentException>(() => Read(Ticket("high", changes: [("2026-03-02T10:00+01:00", "urgent")]), "2026-03-02T11:00+01:00"));
        Assert.Throws<ArgumentException>(() => Read(Ticket("high", pauses: [("2026-03-02T12:00+01:00", "2026-03-02T11:00+01:00")]), "2026-03-02T13:00+01:00"));
    }

    [Fact]
    public void Random_histories_keep_the_clock_consistent_with_the_calendar()
    {
        var random = new Random(4242);
        string[] priorities = ["critical", "high", "medium", "low"];
        for (var i = 0; i < 300; i++)
        {
            var created = T("2026-03-02T00:00+01:00").AddMinutes(random.Next(0, 60 * 24 * 60));
            var pauses = new List<SlaPause>();
            var cursor = created;
            for (var p = random.Next(0, 4); p > 0; p--)
            {
                var from = cursor.AddMinutes(random.Next(0, 3 * 24 * 60));
                var to = from.AddMinutes(random.Next(1, 3 * 24 * 60));
                pauses.Add(new SlaPause(from, random.Next(5) == 0 ? null : to));
                cursor = to;
                if (pauses[^1].To is null)
                {
                    break;
                }
            }

            var now = created.AddMinutes(random.Next(0, 20 * 24 * 60));
            var ticket = new SlaTicketHistory(created, priorities[random.Next(4)], null, pauses);
            var reading = SlaClock.Read(Calendar, Targets, ticket, now);

            // elapsed + business time paused = business time since creation
            var paused = pauses.Where(p => p.From < now).Sum(p => Calendar.BusinessTimeBetween(p.From, p.To is { } to && to < now ? to : now).Ticks);
            Assert.Equal(Calendar.BusinessTimeBetween(created, now), reading.Resolution.Elapsed + TimeSpan.FromTicks(paused));

            foreach (var clock in new[] { reading.Response, reading.Resolution })
            {
                Assert.Equal(clock.Target - clock.Elapsed, clock.Remaining);
                if (clock.Due is { } due)
                {
                    Assert.Equal(due < now, clock.Breached);
                    if (!reading.Paused && clock.Remaining > TimeSpan.Zero)
                    {
                        Assert.Equal(Calendar.AddBusinessTime(now, clock.Remaining), due);
                    }
                }
                else
                {
                    Assert.True(reading.Paused);
                    Assert.False(clock.Breached);
                }
            }
        }
    }
}
