using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Appliance.Domain.Common;

/// <summary>
/// <c>meta.total</c> for large lists without counting a million rows per request. Stores count up to
/// <see cref="ExactUpTo"/> matches exactly on every request (a bounded count is cheap); larger totals come from here:
/// an exact count per query shape and parameter values, kept in process for <see cref="Lifetime"/>. A stale entry is
/// still served while one caller refreshes it in the background, and concurrent misses share one count, so a broad
/// filter costs one full count per <see cref="Lifetime"/> per API process, never one per request. A total above
/// <see cref="ExactUpTo"/> may therefore lag the data by up to <see cref="Lifetime"/> (plus one count).
/// </summary>
public sealed class ListTotals(TimeProvider time)
{
    public const int ExactUpTo = 1000;

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

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
        return _entries.TryGetValue(key, out var entry) && entry.Value is { } value && time.GetUtcNow() - entry.CountedAt < Lifetime ? value : null;
    }

    /// <summary>The cached total (refreshing it in the background when stale), or a fresh count shared by concurrent callers.</summary>
    public async Task<long> GetAsync(string key, Func<CancellationToken, Task<long>> count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(count);
        var now = time.GetUtcNow();
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        if (entry.Value is { } value)
        {
            if (now - entry.CountedAt >= Lifetime)
            {
                _ = RefreshAsync(key, entry, count);
            }

            return value;
        }

        var task = RefreshAsync(key, entry, count);
        return await task.WaitAsync(cancellationToken);
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
                    var total = await count(CancellationToken.None);
                    lock (entry)
                    {
                        entry.Value = total;
                        entry.CountedAt = time.GetUtcNow();
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

        public Task<long>? Pending { get; set; }
    }
}
