using Appliance.Platform;
using Appliance.Platform.Database;
using Npgsql;

namespace Appliance.Domain.Common;

/// <summary>One page of rows plus the total matching the same filter, in one round trip (an <see cref="NpgsqlBatch"/>).</summary>
public static class PagedQuery
{
    /// <param name="dataSource">The process's data source.</param>
    /// <param name="columns">The select list.</param>
    /// <param name="fromWhere">The <c>FROM … WHERE …</c> part shared by the page and the count.</param>
    /// <param name="orderBy">An ORDER BY clause built by <see cref="SqlSort"/>.</param>
    /// <param name="bindFilter">Adds the filter parameters; called once for the page and once for the count.</param>
    /// <param name="page">Which page.</param>
    /// <param name="map">The explicit row mapper.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static async Task<Paged<T>> ReadAsync<T>(
        NpgsqlDataSource dataSource,
        string columns,
        string fromWhere,
        string orderBy,
        Action<NpgsqlParameterCollection> bindFilter,
        PageRequest page,
        Func<NpgsqlDataReader, T> map,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(bindFilter);
        ArgumentNullException.ThrowIfNull(map);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var list = new NpgsqlBatchCommand($"SELECT {columns} {fromWhere}{orderBy} LIMIT @limit OFFSET @offset");
        var count = new NpgsqlBatchCommand($"SELECT count(*) {fromWhere}");
        bindFilter(list.Parameters);
        bindFilter(count.Parameters);
        list.Parameters.Add(new NpgsqlParameter<int>("limit", page.Limit));
        list.Parameters.Add(new NpgsqlParameter<int>("offset", page.Offset));
        batch.BatchCommands.Add(list);
        batch.BatchCommands.Add(count);
        try
        {
            return await ReadBothAsync(batch, page, map, cancellationToken);
        }
        catch (PostgresException)
        {
            // The reader is closed (drained to the end of the batch); the connection must not go back out of step.
            FailedStatements.Recover(connection);
            throw;
        }
    }

    private static async Task<Paged<T>> ReadBothAsync<T>(NpgsqlBatch batch, PageRequest page, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var items = new List<T>(page.Limit);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(map(reader));
        }

        if (!await reader.NextResultAsync(cancellationToken) || !await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The count of a paged query returned no row");
        }

        return new Paged<T>(items, reader.GetInt64(0), page);
    }
}
