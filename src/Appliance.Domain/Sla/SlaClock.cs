namespace Appliance.Domain.Sla;

/// <summary>The ticket's priority became <see cref="Priority"/> at <see cref="At"/>.</summary>
public sealed record PriorityChange(DateTimeOffset At, string Priority);

/// <summary>The ticket waited for the customer from <see cref="From"/> to <see cref="To"/> (null: still waiting).</summary>
public sealed record SlaPause(DateTimeOffset From, DateTimeOffset? To);

/// <summary>What the SLA clock needs to know about a ticket.</summary>
/// <param name="CreatedAt">When the ticket was opened; both clocks start here.</param>
/// <param name="Priority">The priority the ticket was created with.</param>
/// <param name="PriorityChanges">Later priority changes, in any order.</param>
/// <param name="Pauses">The ticket's <c>waiting_customer</c> intervals, in any order (overlaps are merged).</param>
/// <param name="FirstResponseAt">Stops the response clock.</param>
/// <param name="ResolvedAt">Stops the resolution clock.</param>
public sealed record SlaTicketHistory(
    DateTimeOffset CreatedAt,
    string Priority,
    IReadOnlyList<PriorityChange>? PriorityChanges = null,
    IReadOnlyList<SlaPause>? Pauses = null,
    DateTimeOffset? FirstResponseAt = null,
    DateTimeOffset? ResolvedAt = null);

/// <summary>One clock (response or resolution) at one moment.</summary>
/// <param name="Target">Business time allowed for the current priority.</param>
/// <param name="Elapsed">Business time consumed: since creation, minus paused time, up to now or the stop.</param>
/// <param name="Remaining"><see cref="Target"/> minus <see cref="Elapsed"/>; negative once the target is overrun.</param>
/// <param name="Due">When the target is (or was) reached; null while the clock is paused short of its target.</param>
/// <param name="Breached">The clock ran past a due date that was in force at the time (it stays breached).</param>
/// <param name="StoppedAt">First response or resolution; the clock no longer runs.</param>
public sealed record SlaClockReading(TimeSpan Target, TimeSpan Elapsed, TimeSpan Remaining, DateTimeOffset? Due, bool Breached, DateTimeOffset? StoppedAt)
{
    public bool Met => StoppedAt is not null && !Breached;
}

/// <summary>Both clocks of a ticket at one moment.</summary>
/// <param name="Priority">The priority in force at that moment.</param>
/// <param name="Paused">The ticket is waiting for the customer.</param>
/// <param name="PausedSince">Start of the current wait.</param>
/// <param name="Response">Time to the first response.</param>
/// <param name="Resolution">Time to resolution.</param>
public sealed record SlaReading(string Priority, bool Paused, DateTimeOffset? PausedSince, SlaClockReading Response, SlaClockReading Resolution);

/// <summary>
/// The SLA clock: pure arithmetic over a ticket's history, a business calendar and the policy's targets.
/// </summary>
/// <remarks>
/// The rules:
/// <list type="bullet">
/// <item>Elapsed time is business time since creation, minus the business time inside pauses (<c>waiting_customer</c>).
/// Both clocks pause.</item>
/// <item>The due date is the first instant, while the clock runs, at which elapsed time reaches the target of the
/// <em>current</em> priority. So a priority change measures the new priority's target from creation, minus time paused:
/// lowering the priority moves the due date later; raising it moves it earlier, into the past (and breaches at once)
/// when the new, shorter target is already used up.</item>
/// <item>While paused short of the target there is no due date; on resume it is resume + remaining business time.
/// A clock that reached its target exactly when the pause began is due at the resume instant.</item>
/// <item>A breach is sticky: the clock is breached when it ran past the due date of the priority in force at the time,
/// even if the priority was lowered, a pause followed or the ticket was resolved later.</item>
/// <item>The response clock stops at the first response, the resolution clock at resolution; a stopped clock is read
/// as of its stop (later pauses and priority changes do not move it).</item>
/// <item>History after <c>now</c> is ignored, so a reading is what was known at <c>now</c>.</item>
/// </list>
/// </remarks>
public static class SlaClock
{
    public static SlaReading Read(BusinessCalendar calendar, SlaTargets targets, SlaTicketHistory ticket, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(ticket);
        if (now < ticket.CreatedAt)
        {
            now = ticket.CreatedAt;
        }

        var pausedSince = PausedSince(ticket, now);
        var response = ReadClock(calendar, ticket, now, ticket.FirstResponseAt, p => targets.For(p).Response);
        var resolution = ReadClock(calendar, ticket, now, ticket.ResolvedAt, p => targets.For(p).Resolution);
        return new SlaReading(PriorityAt(ticket, now), pausedSince is not null, pausedSince, response, resolution);
    }

    /// <summary>The due date for a brand-new ticket (no pauses, no changes): creation plus the target in business time.</summary>
    public static DateTimeOffset DueFor(BusinessCalendar calendar, DateTimeOffset createdAt, TimeSpan target)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return calendar.AddBusinessTime(createdAt, target);
    }

    private static SlaClockReading ReadClock(BusinessCalendar calendar, SlaTicketHistory ticket, DateTimeOffset now, DateTimeOffset? stop, Func<string, TimeSpan> targetOf)
    {
        var stopped = stop is { } s && s <= now;
        var asOf = stopped ? Max(stop!.Value, ticket.CreatedAt) : now;
        var running = RunningIntervals(ticket, asOf, stopped);
        var periods = PriorityPeriods(ticket, asOf);
        var dues = new Dictionary<TimeSpan, DateTimeOffset?>();
        DateTimeOffset? DueOf(TimeSpan target)
        {
            if (!dues.TryGetValue(target, out var due))
            {
                due = Due(calendar, running, target);
                dues[target] = due;
            }

            return due;
        }

        var breached = false;
        foreach (var (from, to, priority) in periods)
        {
            if ((from < to || to == asOf) && DueOf(targetOf(priority)) is { } due && due < to)
            {
                breached = true;
                break;
            }
        }

        var current = targetOf(periods[^1].Priority);
        var elapsed = TimeSpan.Zero;
        foreach (var (start, end) in running)
        {
            var until = end is { } e && e < asOf ? e : asOf;
            if (until > start)
            {
                elapsed += calendar.BusinessTimeBetween(start, until);
            }
        }

        return new SlaClockReading(current, elapsed, current - elapsed, DueOf(current), breached, stopped ? stop : null);
    }

    /// <summary>The first running instant at which the elapsed time reaches <paramref name="target"/>; null while paused short of it.</summary>
    private static DateTimeOffset? Due(BusinessCalendar calendar, List<(DateTimeOffset Start, DateTimeOffset? End)> running, TimeSpan target)
    {
        var used = TimeSpan.Zero;
        foreach (var (start, end) in running)
        {
            var needed = target - used;
            if (needed <= TimeSpan.Zero)
            {
                return start;
            }

            if (end is not { } stop)
            {
                return calendar.AddBusinessTime(start, needed);
            }

            var available = calendar.BusinessTimeBetween(start, stop);
            if (available >= needed)
            {
                var due = calendar.AddBusinessTime(start, needed);
                if (due < stop)
                {
                    return due;
                }
            }

            used += available;
        }

        return null;
    }

    /// <summary>
    /// When the clock runs, as of <paramref name="asOf"/>: from creation, minus the pauses known then (a pause still
    /// open at <paramref name="asOf"/> is open-ended). A stopped clock ignores pauses that begin at its stop.
    /// </summary>
    private static List<(DateTimeOffset Start, DateTimeOffset? End)> RunningIntervals(SlaTicketHistory ticket, DateTimeOffset asOf, bool stopped)
    {
        var pauses = new List<(DateTimeOffset From, DateTimeOffset? To)>();
        foreach (var pause in ticket.Pauses ?? [])
        {
            if (pause.To is { } to && to < pause.From)
            {
                throw new ArgumentException($"a pause ends ({to:O}) before it begins ({pause.From:O})", nameof(ticket));
            }

            if (pause.From > asOf || (stopped && pause.From == asOf))
            {
                continue;
            }

            var from = Max(pause.From, ticket.CreatedAt);
            DateTimeOffset? end = pause.To is { } t && t <= asOf ? t : null;
            if (end is { } finished && finished <= from)
            {
                continue;
            }

            pauses.Add((from, end));
        }

        pauses.Sort((a, b) => a.From.CompareTo(b.From));
        var running = new List<(DateTimeOffset Start, DateTimeOffset? End)>();
        DateTimeOffset? cursor = ticket.CreatedAt;
        foreach (var (from, to) in pauses)
        {
            if (cursor is not { } runningFrom)
            {
                break;
            }

            if (from > runningFrom)
            {
                running.Add((runningFrom, from));
            }

            cursor = to is { } end ? Max(runningFrom, end) : null;
        }

        if (cursor is { } last)
        {
            running.Add((last, null));
        }

        return running;
    }

    /// <summary>Start of the merged pause the ticket is in at <paramref name="now"/>, or null when the clock runs.</summary>
    private static DateTimeOffset? PausedSince(SlaTicketHistory ticket, DateTimeOffset now)
    {
        var running = RunningIntervals(ticket, now, stopped: false);
        return running.Count == 0 ? ticket.CreatedAt : running[^1].End;
    }

    /// <summary>Priority periods from creation to <paramref name="asOf"/>; the last one ends at <paramref name="asOf"/>.</summary>
    private static List<(DateTimeOffset From, DateTimeOffset To, string Priority)> PriorityPeriods(SlaTicketHistory ticket, DateTimeOffset asOf)
    {
        var periods = new List<(DateTimeOffset From, DateTimeOffset To, string Priority)>();
        var from = ticket.CreatedAt;
        var priority = ticket.Priority;
        foreach (var change in (ticket.PriorityChanges ?? []).Where(c => c.At <= asOf).OrderBy(c => c.At))
        {
            var at = Max(change.At, ticket.CreatedAt);
            periods.Add((from, at, priority));
            from = at;
            priority = change.Priority;
        }

        periods.Add((from, asOf, priority));
        return periods;
    }

    private static string PriorityAt(SlaTicketHistory ticket, DateTimeOffset now) =>
        (ticket.PriorityChanges ?? []).Where(c => c.At <= now).OrderBy(c => c.At).LastOrDefault()?.Priority ?? ticket.Priority;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
