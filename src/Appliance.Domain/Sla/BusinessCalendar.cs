using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Domain.Common;

namespace Appliance.Domain.Sla;

/// <summary>One weekly opening interval in local wall-clock time: from <see cref="Start"/> up to (not including) <see cref="End"/>, which may be 24:00.</summary>
public sealed record OpeningInterval(DayOfWeek Day, TimeSpan Start, TimeSpan End);

/// <summary>A local date on which the calendar is closed all day.</summary>
public sealed record Holiday(DateOnly Date, string? Name);

/// <summary>
/// When the service desk works: an IANA time zone, weekly opening hours in that zone's wall-clock time and holidays.
/// Pure: no I/O, no clock; every instant is passed in.
/// </summary>
/// <remarks>
/// An instant is open when its local wall-clock time (in <see cref="TimeZone"/>) lies in an opening interval of its
/// local weekday and its local date is not a holiday. Everything else follows from that one rule:
/// on a spring-forward day the skipped local hour has no instants, so an interval inside it is empty and one that
/// spans it is shorter in real time (08:00-17:00 on a day that skips 02:00-03:00 is unaffected, 00:00-24:00 lasts 23 h);
/// on a fall-back day the repeated local hour happens twice, so an interval covering it counts the real elapsed time
/// (00:00-24:00 lasts 25 h). Business time is always real elapsed time while open. Results are UTC instants.
/// An interval cannot cross midnight: 22:00-06:00 is written as 22:00-24:00 and 00:00-06:00 on the next day.
/// </remarks>
public sealed partial class BusinessCalendar
{
    public const int MaxOpeningIntervals = 70;
    public const int MaxHolidays = 1000;
    public const int MaxHolidayNameLength = 100;

    public static readonly TimeSpan EndOfDay = TimeSpan.FromDays(1);

    /// <summary>Instants outside these years are refused; far enough for any ticket, and clear of DateTime's limits.</summary>
    private const int FirstSupportedYear = 1900;
    private const int LastSupportedYear = 9000;

    // Open periods are computed a week at a time; each week is exact on its own, so the boundaries are invisible.
    private static readonly TimeSpan Window = TimeSpan.FromDays(7);

    private readonly (TimeSpan Start, TimeSpan End)[][] _hoursByDay;
    private readonly FrozenSet<DateOnly> _holidayDates;

    private BusinessCalendar(string timeZoneId, TimeZoneInfo zone, IReadOnlyList<OpeningInterval> openingHours, IReadOnlyList<Holiday> holidays)
    {
        TimeZoneId = timeZoneId;
        TimeZone = zone;
        OpeningHours = openingHours;
        Holidays = holidays;
        _hoursByDay = new (TimeSpan, TimeSpan)[7][];
        for (var day = 0; day < 7; day++)
        {
            _hoursByDay[day] = [.. openingHours.Where(h => (int)h.Day == day).Select(h => (h.Start, h.End))];
        }

        _holidayDates = holidays.Select(h => h.Date).ToFrozenSet();
    }

    /// <summary>The IANA id as given (e.g. <c>Europe/Berlin</c>).</summary>
    public string TimeZoneId { get; }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>Sorted Monday first, then by start.</summary>
    public IReadOnlyList<OpeningInterval> OpeningHours { get; }

    /// <summary>Sorted by date.</summary>
    public IReadOnlyList<Holiday> Holidays { get; }

    /// <summary>Opening time of a normal week (no holidays, no clock change).</summary>
    public TimeSpan WeeklyOpenTime => OpeningHours.Aggregate(TimeSpan.Zero, (sum, h) => sum + (h.End - h.Start));

    /// <summary>Builds a calendar or throws <see cref="DomainValidationException"/> naming every problem.</summary>
    public static BusinessCalendar Create(string? timeZoneId, IReadOnlyList<OpeningInterval>? openingHours, IReadOnlyList<Holiday>? holidays)
    {
        var errors = Validate(timeZoneId, openingHours, holidays, out var zone);
        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        var sortedHours = openingHours!.OrderBy(h => IsoWeekday(h.Day)).ThenBy(h => h.Start).ToList();
        var sortedHolidays = (holidays ?? []).OrderBy(h => h.Date).ToList();
        return new BusinessCalendar(timeZoneId!.Trim(), zone!, sortedHours, sortedHolidays);
    }

    /// <summary>Open around the clock every day (holidays still close whole days).</summary>
    public static BusinessCalendar AlwaysOpen(string timeZoneId, IReadOnlyList<Holiday>? holidays = null) =>
        Create(timeZoneId, [.. Enum.GetValues<DayOfWeek>().Select(d => new OpeningInterval(d, TimeSpan.Zero, EndOfDay))], holidays);

    /// <summary>
    /// Checks a calendar definition; field names match the API body (<c>time_zone</c>, <c>opening_hours[i].end</c>,
    /// <c>holidays[i].date</c>). <paramref name="zone"/> is set when the time zone is valid.
    /// </summary>
    public static List<FieldError> Validate(string? timeZoneId, IReadOnlyList<OpeningInterval>? openingHours, IReadOnlyList<Holiday>? holidays, out TimeZoneInfo? zone)
    {
        var errors = new List<FieldError>();
        zone = ValidateTimeZone(timeZoneId, errors);
        ValidateHours(openingHours, errors);
        ValidateHolidays(holidays, errors);
        return errors;
    }

    /// <summary>The zone, or null with an error for <c>time_zone</c> added to <paramref name="errors"/>.</summary>
    public static TimeZoneInfo? ValidateTimeZone(string? timeZoneId, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(timeZoneId))
        {
            errors.Add(new("time_zone", "Time zone is required (an IANA name like Europe/Berlin)"));
            return null;
        }

        var zone = FindTimeZone(timeZoneId.Trim());
        if (zone is null)
        {
            errors.Add(new("time_zone", $"'{Shorten(timeZoneId.Trim())}' is not a known IANA time zone (like Europe/Berlin or America/New_York)"));
        }

        return zone;
    }

    /// <summary>The zone for an IANA id, or null: Windows ids, paths and unknown names are refused.</summary>
    public static TimeZoneInfo? FindTimeZone(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !IanaIdPattern().IsMatch(id))
        {
            return null;
        }

        try
        {
            // The runtime caches zones case-insensitively, so a miscased id would resolve only once the zone is cached;
            // insisting on the exact spelling keeps the answer the same every time.
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return string.Equals(zone.Id, id, StringComparison.Ordinal) ? zone : null;
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
        catch (InvalidTimeZoneException)
        {
            return null;
        }
    }

    /// <summary>ISO weekday: Monday 1 ... Sunday 7.</summary>
    public static int IsoWeekday(DayOfWeek day) => day == DayOfWeek.Sunday ? 7 : (int)day;

    public static DayOfWeek FromIsoWeekday(int isoWeekday) =>
        isoWeekday is >= 1 and <= 7 ? (DayOfWeek)(isoWeekday % 7) : throw new ArgumentOutOfRangeException(nameof(isoWeekday), isoWeekday, "ISO weekday is 1 (Monday) to 7 (Sunday)");

    public bool IsHoliday(DateOnly localDate) => _holidayDates.Contains(localDate);

    /// <summary>Whether <paramref name="instant"/> lies in business hours.</summary>
    public bool IsOpen(DateTimeOffset instant)
    {
        CheckRange(instant, nameof(instant));
        var local = TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime;
        var date = DateOnly.FromDateTime(local);
        if (_holidayDates.Contains(date))
        {
            return false;
        }

        var time = local.TimeOfDay;
        foreach (var (start, end) in _hoursByDay[(int)local.DayOfWeek])
        {
            if (time >= start && time < end)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="instant"/> itself when open, otherwise the next instant the calendar opens (UTC).</summary>
    public DateTimeOffset NextOpening(DateTimeOffset instant)
    {
        CheckRange(instant, nameof(instant));
        foreach (var (start, _) in OpenPeriodsFrom(instant.UtcTicks))
        {
            return new DateTimeOffset(start, TimeSpan.Zero);
        }

        throw new InvalidOperationException("unreachable: the open periods never end");
    }

    /// <summary>
    /// The instant at which <paramref name="duration"/> of business time has passed since <paramref name="start"/> (UTC).
    /// Zero returns <paramref name="start"/>; a target that is used up exactly when the calendar closes returns the
    /// closing instant, not the next opening.
    /// </summary>
    public DateTimeOffset AddBusinessTime(DateTimeOffset start, TimeSpan duration)
    {
        CheckRange(start, nameof(start));
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        if (duration == TimeSpan.Zero)
        {
            return start;
        }

        var remaining = duration.Ticks;
        foreach (var (open, close) in OpenPeriodsFrom(start.UtcTicks))
        {
            var length = close - open;
            if (length >= remaining)
            {
                return new DateTimeOffset(open + remaining, TimeSpan.Zero);
            }

            remaining -= length;
        }

        throw new InvalidOperationException("unreachable: the open periods never end");
    }

    /// <summary>Business time between two instants; negative when <paramref name="to"/> is before <paramref name="from"/>.</summary>
    public TimeSpan BusinessTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        CheckRange(from, nameof(from));
        CheckRange(to, nameof(to));
        if (to < from)
        {
            return -BusinessTimeBetween(to, from);
        }

        var end = to.UtcTicks;
        var total = 0L;
        foreach (var (open, close) in OpenPeriodsFrom(from.UtcTicks))
        {
            if (open >= end)
            {
                break;
            }

            total += Math.Min(close, end) - open;
        }

        return TimeSpan.FromTicks(total);
    }

    /// <summary>The open periods (UTC ticks, start inclusive, end exclusive) from <paramref name="fromUtcTicks"/> on, in order, forever.</summary>
    private IEnumerable<(long Start, long End)> OpenPeriodsFrom(long fromUtcTicks)
    {
        var windowStart = fromUtcTicks;
        while (true)
        {
            if (new DateTime(windowStart, DateTimeKind.Utc).Year > LastSupportedYear)
            {
                throw new InvalidOperationException($"the calendar has no business time before the year {LastSupportedYear}");
            }

            var windowEnd = windowStart + Window.Ticks;
            foreach (var period in OpenPeriodsWithin(windowStart, windowEnd))
            {
                yield return period;
            }

            windowStart = windowEnd;
        }
    }

    /// <summary>The open periods inside [<paramref name="from"/>, <paramref name="to"/>) in UTC ticks, sorted and merged.</summary>
    private List<(long Start, long End)> OpenPeriodsWithin(long from, long to)
    {
        var pieces = ConstantOffsetPieces(from, to);
        var periods = new List<(long Start, long End)>();
        // Every local date whose wall-clock times the window can show (offsets stay within a day).
        var firstDate = DateOnly.FromDateTime(new DateTime(from, DateTimeKind.Utc)).AddDays(-1);
        var lastDate = DateOnly.FromDateTime(new DateTime(to, DateTimeKind.Utc)).AddDays(1);
        for (var date = firstDate; date <= lastDate; date = date.AddDays(1))
        {
            if (_holidayDates.Contains(date))
            {
                continue;
            }

            var midnight = date.ToDateTime(TimeOnly.MinValue).Ticks;
            foreach (var (start, end) in _hoursByDay[(int)date.DayOfWeek])
            {
                var localStart = midnight + start.Ticks;
                var localEnd = midnight + end.Ticks;
                foreach (var (pieceStart, pieceEnd, offset) in pieces)
                {
                    // Within a piece local time = UTC + offset, so the local interval maps back by subtracting it.
                    var openLocal = Math.Max(localStart, pieceStart + offset);
                    var closeLocal = Math.Min(localEnd, pieceEnd + offset);
                    if (openLocal < closeLocal)
                    {
                        periods.Add((openLocal - offset, closeLocal - offset));
                    }
                }
            }
        }

        periods.Sort((a, b) => a.Start.CompareTo(b.Start));
        var merged = new List<(long Start, long End)>(periods.Count);
        foreach (var period in periods)
        {
            if (merged.Count > 0 && period.Start <= merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, period.End));
            }
            else
            {
                merged.Add(period);
            }
        }

        return merged;
    }

    /// <summary>
    /// Splits [<paramref name="from"/>, <paramref name="to"/>) into pieces of constant UTC offset (ticks), finding each
    /// transition by bisection. Assumes a zone does not change its offset twice within one day and back again.
    /// </summary>
    private List<(long Start, long End, long Offset)> ConstantOffsetPieces(long from, long to)
    {
        var pieces = new List<(long Start, long End, long Offset)>();
        var start = from;
        var offset = OffsetAt(start);
        var probe = start;
        while (probe < to)
        {
            var next = Math.Min(probe + TimeSpan.TicksPerDay, to);
            if (OffsetAt(next - 1) == offset)
            {
                probe = next;
                continue;
            }

            // offset(lo) == offset, offset(hi) != offset: narrow down to the first tick of the new offset.
            // The tick before probe was checked already (or probe is the start of this piece).
            var lo = probe == start ? probe : probe - 1;
            var hi = next - 1;
            while (hi - lo > 1)
            {
                var mid = lo + ((hi - lo) / 2);
                if (OffsetAt(mid) == offset)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                }
            }

            pieces.Add((start, hi, offset));
            start = hi;
            offset = OffsetAt(hi);
            probe = hi;
        }

        pieces.Add((start, to, offset));
        return pieces;
    }

    private long OffsetAt(long utcTicks) => TimeZone.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc)).Ticks;

    private static void CheckRange(DateTimeOffset instant, string name)
    {
        if (instant.UtcDateTime.Year is < FirstSupportedYear or > LastSupportedYear)
        {
            throw new ArgumentOutOfRangeException(name, instant, $"instants must lie between the years {FirstSupportedYear} and {LastSupportedYear}");
        }
    }

    internal static void ValidateHours(IReadOnlyList<OpeningInterval>? openingHours, List<FieldError> errors)
    {
        if (openingHours is null || openingHours.Count == 0)
        {
            errors.Add(new("opening_hours", "At least one opening interval is required"));
            return;
        }

        if (openingHours.Count > MaxOpeningIntervals)
        {
            errors.Add(new("opening_hours", $"At most {MaxOpeningIntervals} opening intervals"));
            return;
        }

        var valid = new List<(int Index, OpeningInterval Interval)>();
        for (var i = 0; i < openingHours.Count; i++)
        {
            var interval = openingHours[i];
            var before = errors.Count;
            if (!Enum.IsDefined(interval.Day))
            {
                errors.Add(new($"opening_hours[{i}].weekday", "Weekday must be monday to sunday"));
            }

            if (!IsWholeMinute(interval.Start) || interval.Start < TimeSpan.Zero || interval.Start >= EndOfDay)
            {
                errors.Add(new($"opening_hours[{i}].start", "Start must be a time from 00:00 to 23:59"));
            }

            if (!IsWholeMinute(interval.End) || interval.End <= TimeSpan.Zero || interval.End > EndOfDay)
            {
                errors.Add(new($"opening_hours[{i}].end", "End must be a time from 00:01 to 24:00"));
            }
            else if (interval.End <= interval.Start)
            {
                errors.Add(new($"opening_hours[{i}].end", "End must be after start (split an interval that crosses midnight in two)"));
            }

            if (errors.Count == before)
            {
                valid.Add((i, interval));
            }
        }

        foreach (var day in valid.GroupBy(v => v.Interval.Day))
        {
            var ordered = day.OrderBy(v => v.Interval.Start).ToList();
            for (var k = 1; k < ordered.Count; k++)
            {
                var previous = ordered[k - 1];
                var current = ordered[k];
                if (current.Interval.Start < previous.Interval.End)
                {
                    var later = Math.Max(previous.Index, current.Index);
                    var earlier = Math.Min(previous.Index, current.Index);
                    errors.Add(new($"opening_hours[{later}]", $"Overlaps opening_hours[{earlier}] on {day.Key.ToString().ToLowerInvariant()}"));
                }
            }
        }
    }

    internal static void ValidateHolidays(IReadOnlyList<Holiday>? holidays, List<FieldError> errors)
    {
        if (holidays is null)
        {
            return;
        }

        if (holidays.Count > MaxHolidays)
        {
            errors.Add(new("holidays", $"At most {MaxHolidays} holidays"));
            return;
        }

        var seen = new Dictionary<DateOnly, int>();
        for (var i = 0; i < holidays.Count; i++)
        {
            var holiday = holidays[i];
            if (holiday.Date.Year is < FirstSupportedYear or > LastSupportedYear)
            {
                errors.Add(new($"holidays[{i}].date", $"Date must lie between the years {FirstSupportedYear} and {LastSupportedYear}"));
            }
            else if (!seen.TryAdd(holiday.Date, i))
            {
                errors.Add(new($"holidays[{i}].date", $"{holiday.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} is already listed as holidays[{seen[holiday.Date]}]"));
            }

            if (holiday.Name is { Length: > MaxHolidayNameLength })
            {
                errors.Add(new($"holidays[{i}].name", $"Name must be at most {MaxHolidayNameLength} characters"));
            }
        }
    }

    private static bool IsWholeMinute(TimeSpan time) => time.Ticks % TimeSpan.TicksPerMinute == 0;

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    // Area/Location[/Sub] or a single name like UTC; no dots, so no path can escape the zoneinfo directory.
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]
    private static partial Regex IanaIdPattern();
}
