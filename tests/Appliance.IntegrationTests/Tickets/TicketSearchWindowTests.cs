using Appliance.Domain.Tickets;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>
/// Search over more rows than it reads one by one: a frequent word fills the window from the newest tickets, a rare
/// old one is found through the GIN index, and totals above the exact-count bound come from the cache.
/// </summary>
public sealed class TicketSearchWindowTests(TicketSearchWindowFixture fixture) : IClassFixture<TicketSearchWindowFixture>
{
    private readonly TicketTestKit _kit = fixture.Kit;

    [Fact]
    public async Task A_frequent_word_answers_the_newest_matches_up_to_the_window()
    {
        var body = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=Routinewartung&limit=100&sort=-created_at");
        Assert.Equal(TicketStore.SearchWindow, body.GetProperty("meta").GetProperty("total").GetInt64());
        var numbers = body.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Equal(Enumerable.Range(1, TicketStore.SearchWindow).Select(i => $"Routinewartung Server {i}"), numbers);
    }

    [Fact]
    public async Task A_search_that_stops_at_its_window_says_its_total_is_a_lower_bound()
    {
        // 10,100 tickets match; the window answers the newest 50 and must not claim that is all.
        var capped = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=Routinewartung&limit=10");
        var meta = capped.GetProperty("meta");
        Assert.Equal(TicketStore.SearchWindow, meta.GetProperty("total").GetInt64());
        Assert.True(meta.GetProperty("total_is_lower_bound").GetBoolean());

        var complete = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=Seltenheitswert");
        Assert.False(complete.GetProperty("meta").GetProperty("total_is_lower_bound").GetBoolean());
        var plain = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?limit=10&status=new");
        Assert.False(plain.GetProperty("meta").GetProperty("total_is_lower_bound").GetBoolean());
    }

    [Fact]
    public async Task A_rare_word_in_an_old_ticket_is_found_beyond_the_newest_rows()
    {
        var body = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=Seltenheitswert");
        var hit = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal("Alte Seltenheitswert Anfrage", hit.GetProperty("title").GetString());
        var inComment = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=Kommentarfund");
        Assert.Equal("Alte Seltenheitswert Anfrage", Assert.Single(inComment.GetProperty("data").EnumerateArray()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_identifier_is_looked_up_in_the_index_and_a_frequent_one_still_answers_the_newest()
    {
        Assert.True(TicketStore.IsIdentifierSearch("E40417"));
        Assert.True(TicketStore.IsIdentifierSearch("KB4021 E12"));
        Assert.False(TicketStore.IsIdentifierSearch("Fehler E40417"));

        var rare = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=E40417");
        Assert.Equal("Alte Seltenheitswert Anfrage", Assert.Single(rare.GetProperty("data").EnumerateArray()).GetProperty("title").GetString());
        Assert.False(rare.GetProperty("meta").GetProperty("total_is_lower_bound").GetBoolean());
        var inComment = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=E40418");
        Assert.Equal("Alte Seltenheitswert Anfrage", Assert.Single(inComment.GetProperty("data").EnumerateArray()).GetProperty("title").GetString());

        // KB4021 is in all 10,100 routine tickets, more than the index lookup takes: the newest 50 all the same.
        var frequent = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=KB4021&limit=100&sort=-created_at");
        Assert.Equal(TicketStore.SearchWindow, frequent.GetProperty("meta").GetProperty("total").GetInt64());
        Assert.True(frequent.GetProperty("meta").GetProperty("total_is_lower_bound").GetBoolean());
        var titles = frequent.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("title").GetString());
        Assert.Equal(Enumerable.Range(1, TicketStore.SearchWindow).Select(i => $"Routinewartung Server {i}"), titles);

        // Below the cap but above the window: the newest 50 of the matches, from the index alone.
        var some = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?search=R7001&limit=100&sort=-created_at");
        var someTitles = some.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("title").GetString());
        Assert.Equal(Enumerable.Range(0, TicketStore.SearchWindow).Select(i => $"Routinewartung Server {(i * 100) + 1}"), someTitles);
    }

    [Fact]
    public async Task Totals_above_the_exact_bound_are_the_full_count()
    {
        var body = await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?limit=10");
        var expected = await _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE deleted_at IS NULL");
        Assert.True(expected > 10_000);
        var total = body.GetProperty("meta").GetProperty("total").GetInt64();
        // The first request may answer the lower bound while the count runs; the exact total follows shortly.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (total != expected)
        {
            Assert.Equal(1001, total);
            Assert.True(DateTimeOffset.UtcNow < deadline, "the exact total did not arrive");
            await Task.Delay(100);
            total = (await Rest.GetOkAsync(_kit.Admin, "/api/v1/tickets?limit=10")).GetProperty("meta").GetProperty("total").GetInt64();
        }
    }
}

/// <summary>
/// 10,100 routine tickets, the newest first by number (all with KB4021, every hundredth with R7001), and one old
/// ticket with a rare word and error code and a comment with another.
/// </summary>
public sealed class TicketSearchWindowFixture : IAsyncLifetime
{
    public TicketTestKit Kit { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Kit = await TicketTestKit.StartAsync();
        var customer = await Kit.CustomerAsync("Hotel Braun");
        await Kit.Db.ExecuteAsync(
            """
            INSERT INTO tickets (title, description, customer_id, created_at, updated_at)
            SELECT 'Routinewartung Server ' || g, 'Monatliche Prüfung der Sicherung KB4021' || CASE WHEN g % 100 = 1 THEN ' R7001' ELSE '' END,
                   @c, now() - make_interval(mins => g), now()
              FROM generate_series(1, 10100) AS g;
            WITH old AS (
                INSERT INTO tickets (title, description, customer_id, created_at, updated_at)
                VALUES ('Alte Seltenheitswert Anfrage', 'Ein einziges Mal vorgekommen, Fehler E40417', @c, now() - interval '400 days', now())
                RETURNING id)
            INSERT INTO ticket_comments (ticket_id, body, created_at) SELECT id, '<p>Kommentarfund im Archiv (E40418)</p>', now() - interval '399 days' FROM old;
            ANALYZE tickets;
            """,
            ("c", customer));
    }

    public async Task DisposeAsync() => await Kit.DisposeAsync();
}
