using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Crm;

/// <summary>Something that belongs to one customer (a contact, a site).</summary>
public interface ICustomerOwned
{
    Guid CustomerId { get; }
}

/// <summary>
/// What contacts and sites share: they are created under a live customer (locked against a concurrent delete),
/// listed per customer for <c>include=</c>, and deleted with it.
/// </summary>
public abstract class CustomerChildStore<T, TData>(NpgsqlDataSource dataSource) : VersionedStore<T, TData>(dataSource)
    where T : class, IVersioned, ICustomerOwned
    where TData : class
{
    /// <summary>The ORDER BY of embedded lists.</summary>
    protected abstract string EmbeddedOrder { get; }

    public Task<WriteOutcome<T>> CreateAsync(Guid customerId, TData data, Principal principal, CancellationToken cancellationToken) =>
        CreateCoreAsync(customerId, data, principal, cancellationToken);

    /// <summary>
    /// A page of live rows, of one customer when <paramref name="customerId"/> is given, matching
    /// <paramref name="searchCondition"/> (over <c>@search</c>, LIKE-escaped) when <paramref name="search"/> is given,
    /// and <paramref name="conditions"/> over the parameters <paramref name="bind"/> adds.
    /// </summary>
    protected Task<Paged<T>> ListOfCustomerAsync(
        Guid? customerId,
        string? search,
        string searchCondition,
        string conditions,
        Action<NpgsqlParameterCollection> bind,
        IReadOnlyList<SortField> sort,
        IReadOnlyDictionary<string, string> sortColumns,
        PageRequest page,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        return ListWhereAsync(
            $"(@customer::uuid IS NULL OR customer_id = @customer) AND (@search::text IS NULL OR {searchCondition}) AND {conditions}",
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<Guid?>("customer", NpgsqlDbType.Uuid) { TypedValue = customerId });
                parameters.Add(new NpgsqlParameter<string?>("search", NpgsqlDbType.Text) { TypedValue = SqlLike.Escape(search) });
                bind(parameters);
            },
            sort,
            sortColumns,
            page,
            cancellationToken);
    }

    /// <summary>The live rows of these customers, by customer, for embedding.</summary>
    public async Task<ILookup<Guid, T>> ListForCustomersAsync(IReadOnlyCollection<Guid> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        if (customerIds.Count == 0)
        {
            return Array.Empty<T>().ToLookup(row => row.CustomerId);
        }

        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        var rows = await ReadAllAsync(
            connection,
            null,
            $"SELECT {Columns} FROM {Table} WHERE customer_id = ANY(@customers) AND deleted_at IS NULL ORDER BY {EmbeddedOrder}",
            p => p.Add(new NpgsqlParameter<Guid[]>("customers", [.. customerIds])),
            cancellationToken);
        return rows.ToLookup(row => row.CustomerId);
    }

    internal Task<int> DeleteAllOfCustomerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customerId, AuditContext audit, CancellationToken cancellationToken) =>
        DeleteWhereAsync(connection, transaction, "customer_id = @customer", p => p.Add(new NpgsqlParameter<Guid>("customer", customerId)), audit, cancellationToken);

    protected override Guid? ParentOf(T entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return entity.CustomerId;
    }

    protected override Task LockParentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid parent, CancellationToken cancellationToken) =>
        CustomerStore.LockLiveAsync(connection, transaction, parent, cancellationToken);
}
