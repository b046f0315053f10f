using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Audit;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Npgsql;

namespace Appliance.Domain.Common;

/// <summary>A row with a uuid and a version that every update bumps (the ETag).</summary>
public interface IVersioned
{
    Guid Id { get; }

    int Version { get; }
}

/// <summary>
/// The write path shared by versioned, soft-deleted entities: create, partial update under an expected version,
/// soft delete. Each runs in one transaction together with its audit row and outbox event (<see cref="ChangeLog"/>)
/// and reports a <see cref="WriteOutcome{T}"/>: a duplicate names the record that holds the value, a stale If-Match the
/// current version; nothing is written on any refusal.
/// </summary>
/// <typeparam name="T">The entity as read (the API's representation).</typeparam>
/// <typeparam name="TData">The validated, writable fields (a record, so "nothing changed" is plain equality).</typeparam>
public abstract class VersionedStore<T, TData>(NpgsqlDataSource dataSource)
    where T : class, IVersioned
    where TData : class
{
    protected NpgsqlDataSource DataSource => dataSource;

    /// <summary>The audit entity type and event prefix: <c>customer</c>.</summary>
    protected abstract string EntityType { get; }

    /// <summary>How refusals name the record: <c>Customer not found</c>.</summary>
    protected virtual string What => char.ToUpperInvariant(EntityType[0]) + EntityType[1..];

    protected abstract string Table { get; }

    /// <summary>The select list <see cref="Map"/> reads.</summary>
    protected abstract string Columns { get; }

    protected abstract JsonTypeInfo<T> TypeInfo { get; }

    /// <summary><c>INSERT … RETURNING {Columns}</c> over the parameters of <see cref="Bind"/> (and <c>@parent</c> for children).</summary>
    protected abstract string InsertSql { get; }

    /// <summary>The <c>SET</c> list of an update, over the parameters of <see cref="Bind"/>.</summary>
    protected abstract string UpdateSet { get; }

    protected abstract T Map(NpgsqlDataReader reader);

    protected abstract void Bind(NpgsqlParameterCollection parameters, TData data);

    protected abstract TData DataOf(T entity);

    /// <summary>The duplicates <paramref name="data"/> would create, or null. Runs in the write transaction first,
    /// and again on a fresh connection when a concurrent writer won the race for a unique index.</summary>
    protected abstract Task<DomainConflictException?> FindDuplicatesAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, TData data, Guid? self, Guid? parent, CancellationToken cancellationToken);

    protected virtual Guid? ParentOf(T entity) => null;

    /// <summary>For children: lock the live parent against a concurrent delete, or throw <see cref="DomainNotFoundException"/>.</summary>
    protected virtual Task LockParentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid parent, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Side changes a write needs first (clearing another primary contact); they are audited too.</summary>
    protected virtual Task BeforeWriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TData data, Guid? self, Guid? parent, AuditContext audit, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Refuses a delete the record's state forbids (throw <see cref="DomainConflictException"/>).</summary>
    protected virtual Task BeforeDeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, T entity, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>What goes with a delete (a customer's contacts and sites).</summary>
    protected virtual Task AfterDeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, T entity, AuditContext audit, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public async Task<T?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM {Table} WHERE id = @id AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    /// <summary>The live rows among <paramref name="ids"/>, in no particular order.</summary>
    public async Task<IReadOnlyList<T>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAllAsync(connection, null, $"SELECT {Columns} FROM {Table} WHERE id = ANY(@ids) AND deleted_at IS NULL", p => p.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids])), cancellationToken);
    }

    /// <summary>A page of live rows matching <paramref name="conditions"/> (SQL over the parameters <paramref name="bind"/> adds).</summary>
    protected Task<Paged<T>> ListWhereAsync(
        string conditions,
        Action<NpgsqlParameterCollection> bind,
        IReadOnlyList<SortField> sort,
        IReadOnlyDictionary<string, string> sortColumns,
        PageRequest page,
        CancellationToken cancellationToken) =>
        PagedQuery.ReadAsync(dataSource, Columns, $"FROM {Table} WHERE deleted_at IS NULL AND {conditions}", SqlSort.OrderBy(sort, sortColumns, "id"), bind, page, Map, cancellationToken);

    protected Task<WriteOutcome<T>> CreateCoreAsync(Guid? parent, TData data, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(principal);
        return WriteOutcome.CatchAsync(() => RetryOnDeadlockAsync(() => CreateOnceAsync(parent, data, principal.Audit, cancellationToken)));
    }

    private async Task<WriteOutcome<T>> CreateOnceAsync(Guid? parent, TData data, AuditContext audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (parent is { } parentId)
        {
            await LockParentAsync(connection, transaction, parentId, cancellationToken);
        }

        await ThrowIfDuplicateAsync(connection, transaction, data, null, parent, cancellationToken);
        await BeforeWriteAsync(connection, transaction, data, null, parent, audit, cancellationToken);
        var created = await WriteRowAsync(connection, transaction, InsertSql, data, null, parent, cancellationToken)
            ?? throw new InvalidOperationException($"INSERT INTO {Table} returned no row");
        await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, created.Id, ChangeLog.Created, null, created, TypeInfo, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(created);
    }

    /// <summary>
    /// Applies <paramref name="change"/> (validation; it throws <see cref="DomainValidationException"/>) to the locked
    /// current row; <see cref="WriteOutcome.Unchanged{T}"/>, with nothing written, when nothing changes.
    /// </summary>
    public Task<WriteOutcome<T>> UpdateAsync(Guid id, ExpectedVersion expected, Func<T, TData> change, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(principal);
        return ChangeAsync(id, expected, (connection, transaction, before) => UpdateLockedAsync(connection, transaction, before, change(before), principal.Audit, cancellationToken), cancellationToken);
    }

    /// <summary>Soft delete: the row disappears from reads and frees its unique values. The outcome carries the row as it was.</summary>
    public Task<WriteOutcome<T>> DeleteAsync(Guid id, ExpectedVersion expected, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return ChangeAsync(id, expected, (connection, transaction, before) => DeleteLockedAsync(connection, transaction, before, principal.Audit, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> (one whole transaction) again when a concurrent writer made it fail in a way a
    /// fresh start resolves: a deadlock PostgreSQL broke by aborting it (a contact change racing its customer's
    /// delete), or a unique index that is not a user-visible duplicate (two contacts made primary at once: the
    /// second demoted a primary that was already gone). Duplicates of user values are reported, never retried.
    /// </summary>
    private async Task<TResult> RetryOnDeadlockAsync<TResult>(Func<Task<TResult>> attempt)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.UniqueViolation)
            {
                // The failed statement's connection may be out of step with its prepared statements (FailedStatements);
                // a race like this is rare, so the pool discards its connections rather than lend that one out again.
                dataSource.Clear();
                if (tries == 3)
                {
                    throw new DomainConflictException($"The {EntityType} collides with concurrent changes; retry", [], isDuplicate: false);
                }
            }
        }
    }

    /// <summary>Locks the live row, checks the caller's version, applies <paramref name="apply"/> and commits.</summary>
    private Task<WriteOutcome<T>> ChangeAsync(
        Guid id, ExpectedVersion expected, Func<NpgsqlConnection, NpgsqlTransaction, T, Task<WriteOutcome<T>>> apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return WriteOutcome.CatchAsync(() => RetryOnDeadlockAsync(() => ChangeOnceAsync(id, expected, apply, cancellationToken)));
    }

    private async Task<WriteOutcome<T>> ChangeOnceAsync(
        Guid id, ExpectedVersion expected, Func<NpgsqlConnection, NpgsqlTransaction, T, Task<WriteOutcome<T>>> apply, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await ReadAllAsync(connection, transaction, $"SELECT {Columns} FROM {Table} WHERE id = @id AND deleted_at IS NULL FOR UPDATE", p => p.Add(new NpgsqlParameter<Guid>("id", id)), cancellationToken);
        if (rows.Count == 0)
        {
            return WriteOutcome.NotFound<T>(What);
        }

        if (!expected.Accepts(rows[0].Version))
        {
            return WriteOutcome.Stale<T>(EntityType, rows[0].Version);
        }

        var result = await apply(connection, transaction, rows[0]);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private async Task<WriteOutcome<T>> UpdateLockedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, T before, TData data, AuditContext audit, CancellationToken cancellationToken)
    {
        var id = before.Id;
        if (EqualityComparer<TData>.Default.Equals(data, DataOf(before)))
        {
            return WriteOutcome.Unchanged(before);
        }

        var parent = ParentOf(before);
        await ThrowIfDuplicateAsync(connection, transaction, data, id, parent, cancellationToken);
        await BeforeWriteAsync(connection, transaction, data, id, parent, audit, cancellationToken);
        // The row is locked, so the version still matches; the condition states the rule where the write happens.
        var after = await WriteRowAsync(
            connection,
            transaction,
            $"UPDATE {Table} SET {UpdateSet}, version = version + 1, updated_at = now() WHERE id = @id AND version = @version AND deleted_at IS NULL RETURNING {Columns}",
            data,
            id,
            parent,
            cancellationToken,
            p => p.Add(new NpgsqlParameter<int>("version", before.Version)))
            ?? throw new PreconditionFailedException(EntityType, before.Version);
        await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, id, ChangeLog.Updated, before, after, TypeInfo, cancellationToken);
        return WriteOutcome.Done(after);
    }

    private async Task<WriteOutcome<T>> DeleteLockedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, T before, AuditContext audit, CancellationToken cancellationToken)
    {
        var id = before.Id;
        await BeforeDeleteAsync(connection, transaction, before, cancellationToken);
        await using (var delete = new NpgsqlCommand($"UPDATE {Table} SET deleted_at = now() WHERE id = @id AND version = @version AND deleted_at IS NULL", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
            delete.Parameters.Add(new NpgsqlParameter<int>("version", before.Version));
            if (await delete.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new PreconditionFailedException(EntityType, before.Version);
            }
        }

        await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, id, ChangeLog.Deleted, before, null, TypeInfo, cancellationToken);
        await AfterDeleteAsync(connection, transaction, before, audit, cancellationToken);
        return WriteOutcome.Done(before);
    }

    /// <summary>Soft-deletes every live row matching <paramref name="condition"/>, each with its audit row and event.</summary>
    protected async Task<int> DeleteWhereAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string condition, Action<NpgsqlParameterCollection> bind, AuditContext audit, CancellationToken cancellationToken)
    {
        var deleted = await ReadAllAsync(connection, transaction, $"UPDATE {Table} SET deleted_at = now() WHERE deleted_at IS NULL AND {condition} RETURNING {Columns}", bind, cancellationToken);
        foreach (var row in deleted)
        {
            await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, row.Id, ChangeLog.Deleted, row, null, TypeInfo, cancellationToken);
        }

        return deleted.Count;
    }

    /// <summary>Applies <paramref name="set"/> to every live row matching <paramref name="condition"/>, each audited as an update.</summary>
    protected async Task UpdateWhereAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string condition, string set, Action<NpgsqlParameterCollection> bind, AuditContext audit, CancellationToken cancellationToken)
    {
        var before = (await ReadAllAsync(connection, transaction, $"SELECT {Columns} FROM {Table} WHERE deleted_at IS NULL AND {condition} ORDER BY id FOR UPDATE", bind, cancellationToken))
            .ToDictionary(row => row.Id);
        if (before.Count == 0)
        {
            return;
        }

        var after = await ReadAllAsync(
            connection,
            transaction,
            $"UPDATE {Table} SET {set}, version = version + 1, updated_at = now() WHERE id = ANY(@ids) RETURNING {Columns}",
            p => p.Add(new NpgsqlParameter<Guid[]>("ids", [.. before.Keys])),
            cancellationToken);
        foreach (var row in after)
        {
            await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, row.Id, ChangeLog.Updated, before[row.Id], row, TypeInfo, cancellationToken);
        }
    }

    protected async Task<List<T>> ReadAllAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        bind(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Map(reader));
        }

        return rows;
    }

    private async Task ThrowIfDuplicateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TData data, Guid? self, Guid? parent, CancellationToken cancellationToken)
    {
        if (await FindDuplicatesAsync(connection, transaction, data, self, parent, cancellationToken) is { } conflict)
        {
            throw conflict;
        }
    }

    private async Task<T?> WriteRowAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string sql,
        TData data,
        Guid? self,
        Guid? parent,
        CancellationToken cancellationToken,
        Action<NpgsqlParameterCollection>? bindMore = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        Bind(command.Parameters, data);
        if (self is { } id)
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        }

        if (parent is { } parentId)
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("parent", parentId));
        }

        bindMore?.Invoke(command.Parameters);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The connection stays in the aborted transaction until the caller disposes it; clearing the pool makes it
            // discarded on return (FailedStatements: a failed statement can leave it out of step).
            dataSource.Clear();

            // A concurrent writer committed the same value between the check and the write: name it from a fresh look.
            await using var fresh = await dataSource.OpenConnectionAsync(cancellationToken);
            if (await FindDuplicatesAsync(fresh, null, data, self, parent, cancellationToken) is { } duplicate)
            {
                throw duplicate;
            }

            throw;
        }
    }
}
