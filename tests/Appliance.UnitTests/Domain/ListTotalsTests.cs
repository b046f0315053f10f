using Appliance.Domain.Common;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.UnitTests.Domain;

public sealed class ListTotalsTests
{
    /// <summary>Wall-clock time moved by hand; timers (the short wait for a first count) stay real.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

        /// <summary>
        /// Off (the default), timeouts never fire: a test about what a count returns must not depend on how fast a
        /// loaded machine runs it. Only the test of the timeout itself turns real timers on.
        /// </summary>
        public bool RealTimers { get; init; }

        public override DateTimeOffset GetUtcNow() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            RealTimers ? base.CreateTimer(callback, state, dueTime, period) : new HeldTimer();

        private sealed class HeldTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static Action<NpgsqlParameterCollection> Bind(string status, params string[] priorities) => p =>
    {
        p.Add(new NpgsqlParameter<string>("status", NpgsqlDbType.Text) { TypedValue = status });
        p.Add(new NpgsqlParameter<string[]>("priority", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = priorities });
    };

    [Fact]
    public void Keys_differ_by_shape_and_by_every_value_and_agree_for_equal_ones()
    {
        var a = ListTotals.Key("FROM tickets t WHERE x", Bind("new", "high", "low"));
        Assert.Equal(a, ListTotals.Key("FROM tickets t WHERE x", Bind("new", "high", "low")));
        Assert.NotEqual(a, ListTotals.Key("FROM tickets t WHERE y", Bind("new", "high", "low")));
        Assert.NotEqual(a, ListTotals.Key("FROM tickets t WHERE x", Bind("new", "high")));
        Assert.NotEqual(a, ListTotals.Key("FROM tickets t WHERE x", Bind("new", "high,low")));
        Assert.NotEqual(ListTotals.Key("q", Bind("ab", "c")), ListTotals.Key("q", Bind("a", "bc")));
    }

    [Fact]
    public async Task Concurrent_misses_share_one_count_and_later_callers_get_it_from_the_cache()
    {
        var totals = new ListTotals(new ManualClock());
        var calls = 0;
        var release = new TaskCompletionSource();
        async Task<long> Count(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            return 4711;
        }

        var waiting = Enumerable.Range(0, 8).Select(_ => totals.GetAsync("k", Count, 1001, CancellationToken.None)).ToList();
        release.SetResult();
        Assert.All(await Task.WhenAll(waiting), total => Assert.Equal(4711, total));
        Assert.Equal(1, calls);
        Assert.Equal(4711, totals.TryGetFresh("k"));
        Assert.Equal(4711, await totals.GetAsync("k", Count, 1001, CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_stale_total_is_served_while_it_is_recounted_in_the_background()
    {
        var clock = new ManualClock();
        var totals = new ListTotals(clock);
        var next = 100L;
        Task<long> Count(CancellationToken _) => Task.FromResult(Interlocked.Increment(ref next));
        Assert.Equal(101, await totals.GetAsync("k", Count, 1001, CancellationToken.None));
        clock.Now += ListTotals.Lifetime - TimeSpan.FromMilliseconds(1);
        Assert.Equal(101, totals.TryGetFresh("k"));
        clock.Now += TimeSpan.FromMilliseconds(1);
        Assert.Null(totals.TryGetFresh("k"));
        Assert.Equal(101, await totals.GetAsync("k", Count, 1001, CancellationToken.None));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (totals.TryGetFresh("k") != 102)
        {
            Assert.True(DateTime.UtcNow < deadline, "the background recount did not land");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_slow_first_count_answers_the_lower_bound_and_the_exact_total_follows()
    {
        var totals = new ListTotals(new ManualClock { RealTimers = true });
        var release = new TaskCompletionSource();
        async Task<long> Slow(CancellationToken _)
        {
            await release.Task;
            return 250_000;
        }

        Assert.Equal(1001, await totals.GetAsync("k", Slow, 1001, CancellationToken.None));
        release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (totals.TryGetFresh("k") is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the exact count did not land");
            await Task.Delay(10);
        }

        Assert.Equal(250_000, await totals.GetAsync("k", Slow, 1001, CancellationToken.None));
    }

    [Fact]
    public async Task A_failed_count_is_not_cached()
    {
        var totals = new ListTotals(new ManualClock());
        await Assert.ThrowsAsync<InvalidOperationException>(() => totals.GetAsync("k", _ => throw new InvalidOperationException("database down"), 1001, CancellationToken.None));
        Assert.Equal(7, await totals.GetAsync("k", _ => Task.FromResult(7L), 1001, CancellationToken.None));
    }
}
