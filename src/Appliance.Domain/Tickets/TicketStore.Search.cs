using Appliance.Domain.Common;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

public sealed partial class TicketStore
{
    // The query words as a tsquery (migration 0007); immutable, so PostgreSQL folds it into a constant per statement.
    private const string Query = "ticket_search_query(@search)";

    // Parallel workers cost more to start (about 10 ms) than these bounded queries take; on two cores they would also
    // take the cores other requests need. For the search's own read-only transaction only.
    private const string NoParallelWorkers = "SET LOCAL max_parallel_workers_per_gather = 0";

    /// <summary>
    /// Full-text search, combined with the filters: the newest <see cref="SearchWindow"/> tickets whose title,
    /// description or number match and the tickets of the newest <see cref="SearchWindow"/> matching comments (public
    /// ones only for customer users), ranked (title above description above comments), then newest first. The window
    /// keeps a search over a million tickets in milliseconds whatever the words: a frequent word fills it from the
    /// newest rows, a rare one is looked up in the GIN index. <c>meta.total</c> counts the window, and when a branch
    /// filled its window (more matches may exist) the result says so (<see cref="Paged{T}.TotalIsLowerBound"/>,
    /// <c>meta.total_is_lower_bound</c>); add words or filters (<c>created_before</c>) to reach older matches.
    /// Identifiers (<see cref="IsIdentifierSearch"/>) ask the GIN index first, for a bounded number of matches; the
    /// answer is the same, the work smaller (docs/benchmarks.md).
    /// </summary>
    private async Task<Paged<Ticket>> SearchAsync(TicketFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        var where = BuildWhere(filter, out var bindFilter);
        var publicOnly = filter.PublicCommentsOnly ? " AND NOT c.is_internal" : string.Empty;
        void Bind(NpgsqlParameterCollection parameters)
        {
            bindFilter(parameters);
            parameters.Add(new NpgsqlParameter<string>("search", NpgsqlDbType.Text) { TypedValue = filter.Search });
            parameters.Add(new NpgsqlParameter<int>("walk", SearchWalk));
            parameters.Add(new NpgsqlParameter<int>("window", SearchWindow));
            parameters.Add(new NpgsqlParameter<int>("cap", SearchProbeCap));
        }

        // Step 1: read the newest rows the filters leave, newest first, until the window is full or the walk is spent.
        var tickets = $"""
            SELECT r.id, ts_rank(r.search_vector, {Query})
              FROM (SELECT t.id, t.search_vector, t.created_at FROM tickets t WHERE {where} ORDER BY t.created_at DESC, t.id LIMIT @walk) r
             WHERE r.search_vector @@ {Query}
             ORDER BY r.created_at DESC, r.id LIMIT @window
            """;
        var comments = $"""
            SELECT r.ticket_id, ts_rank(r.search_vector, {Query}) * 0.5::real
              FROM (SELECT c.id, c.ticket_id, c.search_vector, c.created_at FROM ticket_comments c
                     WHERE c.deleted_at IS NULL{publicOnly} ORDER BY c.created_at DESC, c.id LIMIT @walk) r
              JOIN tickets t ON t.id = r.ticket_id
             WHERE r.search_vector @@ {Query} AND {where}
             ORDER BY r.created_at DESC, r.id LIMIT @window
            """;

        // Step 2, for a branch whose window did not fill: every match, from the GIN index. "NULLS LAST" (created_at is
        // never null) is not the order of any index, so PostgreSQL cannot choose to walk the whole table newest first.
        var allTickets = $"""
            SELECT t.id, ts_rank(t.search_vector, {Query}) FROM tickets t
             WHERE t.search_vector @@ {Query} AND {where}
             ORDER BY t.created_at DESC NULLS LAST, t.id LIMIT @window
            """;
        var allComments = $"""
            SELECT c.ticket_id, ts_rank(c.search_vector, {Query}) * 0.5::real
              FROM ticket_comments c JOIN tickets t ON t.id = c.ticket_id
             WHERE c.search_vector @@ {Query} AND c.deleted_at IS NULL{publicOnly} AND {where}
             ORDER BY c.created_at DESC NULLS LAST, c.id LIMIT @window
            """;

        // An identifier (every word holds a digit: an error code, a ticket or KB number) is usually rare, and a rare
        // term costs the walk its whole length before the GIN index is asked anyway; those ask the index first, for at
        // most SearchProbeCap matches (then they are all there, and sorting them gives the newest). A branch that hits
        // the cap goes on as a word does. Every path answers the same rows; only the work differs.
        var cappedTickets = $"""
            SELECT m.id, ts_rank(m.search_vector, {Query}), count(*) OVER ()
              FROM (SELECT t.id, t.search_vector, t.created_at FROM tickets t
                     WHERE t.search_vector @@ {Query} AND {where} LIMIT @cap) m
             ORDER BY m.created_at DESC, m.id LIMIT @window
            """;
        var cappedComments = $"""
            SELECT m.ticket_id, ts_rank(m.search_vector, {Query}) * 0.5::real, count(*) OVER ()
              FROM (SELECT c.id, c.ticket_id, c.search_vector, c.created_at FROM ticket_comments c JOIN tickets t ON t.id = c.ticket_id
                     WHERE c.search_vector @@ {Query} AND c.deleted_at IS NULL{publicOnly} AND {where} LIMIT @cap) m
             ORDER BY m.created_at DESC, m.id LIMIT @window
            """;
        string[][] plans = IsIdentifierSearch(filter.Search!)
            ? [[cappedTickets, tickets, allTickets], [cappedComments, comments, allComments]]
            : [[tickets, allTickets], [comments, allComments]];

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var found = new List<(Guid Id, float Rank)>?[plans.Length];
        var step = new int[plans.Length];
        var first = true;
        while (found.Any(hits => hits is null))
        {
            var pending = Enumerable.Range(0, plans.Length).Where(branch => found[branch] is null).ToList();
            var queries = pending.Select(branch => plans[branch][step[branch]]);
            var results = await HitsAsync(connection, transaction, first ? [NoParallelWorkers, .. queries] : [.. queries], Bind, cancellationToken);
            first = false;
            for (var i = 0; i < pending.Count; i++)
            {
                var branch = pending[i];
                var (hits, matched) = results[i];
                var last = step[branch] == plans[branch].Length - 1;
                // A capped lookup is complete below its cap; a walk is done once its window filled.
                if (last || (matched is { } count ? count < SearchProbeCap : hits.Count >= SearchWindow))
                {
                    found[branch] = hits;
                }
                else
                {
                    step[branch]++;
                }
            }
        }

        var ranks = new Dictionary<Guid, float>();
        foreach (var (id, rank) in found.SelectMany(hits => hits!))
        {
            ranks[id] = ranks.TryGetValue(id, out var best) ? Math.Max(best, rank) : rank;
        }

        if (ranks.Count == 0)
        {
            return new Paged<Ticket>([], 0, page);
        }

        await using var command = new NpgsqlCommand(
            $"""
            SELECT {Columns} FROM unnest(@ids, @ranks) AS hits (id, rank) JOIN tickets t ON t.id = hits.id
             WHERE t.deleted_at IS NULL{SqlSort.OrderBy(sort, SortColumns, "t.id")} LIMIT @limit OFFSET @offset
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ranks.Keys]));
        command.Parameters.Add(new NpgsqlParameter<float[]>("ranks", [.. ranks.Values]));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", page.Limit));
        command.Parameters.Add(new NpgsqlParameter<int>("offset", page.Offset));
        var items = new List<Ticket>(page.Limit);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Map(reader));
            }
        }

        // A branch that filled its window stopped looking: older matches may exist beyond it.
        return new Paged<Ticket>(items, ranks.Count, page) { TotalIsLowerBound = found.Any(hits => hits!.Count >= SearchWindow) };
    }

    /// <summary>
    /// Whether every word of the search holds a digit (<c>E2596</c>, <c>602262</c>, <c>KB4021 E12</c>): such terms
    /// are looked up in the GIN index first.
    /// </summary>
    public static bool IsIdentifierSearch(string search)
    {
        var words = search.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 0 && words.All(word => word.Any(char.IsAsciiDigit));
    }

    /// <summary>
    /// Runs the branch queries in one round trip; per branch the (ticket, rank) pairs it found and, for a capped lookup
    /// (a third column counts its matches), how many matched.
    /// </summary>
    private static async Task<List<(List<(Guid Id, float Rank)> Hits, long? Matched)>> HitsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<string> queries, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var sql in queries)
        {
            var command = new NpgsqlBatchCommand(sql);
            if (sql != NoParallelWorkers)
            {
                bind(command.Parameters);
            }

            batch.BatchCommands.Add(command);
        }

        var results = new List<(List<(Guid, float)>, long?)>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            if (reader.FieldCount == 0)
            {
                continue; // SET LOCAL
            }

            var hits = new List<(Guid, float)>();
            long? matched = reader.FieldCount > 2 ? 0 : null;
            while (await reader.ReadAsync(cancellationToken))
            {
                hits.Add((reader.GetGuid(0), reader.GetFloat(1)));
                if (matched is not null)
                {
                    matched = reader.GetInt64(2);
                }
            }

            results.Add((hits, matched));
        }
        while (await reader.NextResultAsync(cancellationToken));

        return results;
    }
}
