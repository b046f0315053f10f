using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Appliance.Domain.Common;

/// <summary>
/// <c>meta.total</c> for large lists without counting a million rows per request. Stores count up to
/// <see cref="ExactUpTo"/> matches exactly on every request (a bounded count is cheap); larger totals come from here:
/// an exact count per query shape and parameter values, kept in process for <see cref="Lifetime"/>, or for
/// <see cref="CostFactor"/> times as long as the count took when that is longer (a count that takes 50 ms is redone
/// every 10 s at most, one of a million rows that takes 0.8 s every 80 s: each busy list costs at most a hundredth of
/// a core in counting). A stale entry is
/// served while one caller refreshes it in the background, and concurrent misses share one count. A first request
/// whose count takes longer than <see cref="MaxWait"/> gets the lower bound its caller knows (more than
/// <see cref="ExactUpTo"/>) and the exact total follows within that count's time. So a total above
/// <see cref="ExactUpTo"/> may lag the data by up to <see cref="Lifetime"/> (or the count-based lifetime) plus one count.
/// </summary>
public sealed class ListTotals(TimeProvider time)
{
    public const int ExactUpTo = 1000;

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    public const int CostFactor = 100;

    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(200);

    // Bounds memory when callers vary their filters endlessly (dates, searches): the oldest half goes.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The cache key: the SQL shape and every bound value.</summary>
    public static string Key(string fromWhere, Action<NpgsqlParameterCollection> bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        using var command = new NpgsqlCommand();
        bind(command.Parameters);
        var key = new StringBuilder(fromWhere);
        foreach (NpgsqlParameter parameter in command.Parameters)
        {
            key.Append('\u001f').Append(parameter.ParameterName).Append('=');
            AppendValue(key, parameter.Value);
        }

        return key.ToString();
    }

    /// <summary>A cached total younger than <see cref="Lifetime"/>, or null.</summary>
    public long? TryGetFresh(string key)
    {
        return _entries.TryGetValue(key, out var entry) && entry.Value is { } value && !IsStale(entry, time.GetUtcNow()) ? value : null;
    }

    /// <summary>
    /// The cached total (refreshing it in the background when stale), else a count shared by concurrent callers, or
    /// <paramref name="lowerBound"/> when that count takes longer than <see cref="MaxWait"/>.
    /// </summary>
    public async Task<long> GetAsync(string key, Func<CancellationToken, Task<long>> count, long lowerBound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(count);
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        if (entry.Value is { } value)
        {
            if (IsStale(entry, time.GetUtcNow()))
            {
                _ = RefreshAsync(key, entry, count);
            }

            return value;
        }

        var task = RefreshAsync(key, entry, count);
        try
        {
            return await task.WaitAsync(MaxWait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return lowerBound;
        }
    }

    private static bool IsStale(Entry entry, DateTimeOffset now)
    {
        var lifetime = entry.Duration * CostFactor > Lifetime ? entry.Duration * CostFactor : Lifetime;
        return now - entry.CountedAt >= lifetime;
    }

    private Task<long> RefreshAsync(string key, Entry entry, Func<CancellationToken, Task<long>> count)
    {
        lock (entry)
        {
            if (entry.Pending is { } pending)
            {
                return pending;
            }

            // Not the request's token: other requests wait for this count too.
            entry.Pending = Task.Run(async () =>
            {
                try
                {
                    var started = time.GetTimestamp();
                    var total = await count(CancellationToken.None);
                    lock (entry)
                    {
                        entry.Value = total;
                        entry.CountedAt = time.GetUtcNow();
                        entry.Duration = time.GetElapsedTime(started);
                    }

                    Trim();
                    return total;
                }
                catch
                {
                    _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                    throw;
                }
                finally
                {
                    lock (entry)
                    {
                        entry.Pending = null;
                    }
                }
            });
            return entry.Pending;
        }
    }

    private void Trim()
    {
        if (_entries.Count <= MaxEntries)
        {
            return;
        }

        foreach (var (key, _) in _entries.OrderBy(e => e.Value.CountedAt).Take(_entries.Count / 2).ToList())
        {
            _entries.TryRemove(key, out _);
        }
    }

    private static void AppendValue(StringBuilder key, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                key.Append('\u0000');
                break;
            case string text:
                key.Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(text);
                break;
            case IFormattable formattable:
                key.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            case IEnumerable items:
                key.Append('[');
                foreach (var item in items)
                {
                    AppendValue(key, item);
                    key.Append(',');
                }

                key.Append(']');
                break;
            default:
                key.Append(value);
                break;
        }
    }

    private sealed class Entry
    {
        public long? Value { get; set; }

        public DateTimeOffset CountedAt { get; set; }

        public TimeSpan Duration { get; set; }

        public Task<long>? Pending { get; set; }
    }
}
