using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>The few columns of a ticket that comments and time entries need, read straight from the table.</summary>
internal static class TicketRows
{
    public enum Lock
    {
        None,

        /// <summary>Blocks a concurrent delete or merge of the ticket while something is added to it.</summary>
        Share,

        /// <summary>As <see cref="Share"/>, and serialises writers that may stamp the ticket (first response).</summary>
        NoKeyUpdate,
    }

    public sealed record Row(Guid Id, Guid CustomerId, Guid? MergedInto, long TicketNumber);

    /// <summary>Soft-deletes a locked record of a ticket (comment, time entry) at its version, with its audit row and event.</summary>
    public static async Task SoftDeleteAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string table, AuditContext audit, string entityType, T before, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class, IVersioned
    {
        await using (var delete = new NpgsqlCommand($"UPDATE {table} SET deleted_at = now() WHERE id = @id AND version = @version AND deleted_at IS NULL", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<Guid>("id", before.Id));
            delete.Parameters.Add(new NpgsqlParameter<int>("version", before.Version));
            if (await delete.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new PreconditionFailedException(entityType, before.Version);
            }
        }

        await ChangeLog.RecordAsync(connection, transaction, audit, entityType, before.Id, ChangeLog.Deleted, before, null, typeInfo, cancellationToken);
    }

    /// <summary>The live (not deleted) ticket, or null.</summary>
    public static async Task<Row?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, Lock mode, CancellationToken cancellationToken)
    {
        var suffix = mode switch
        {
            Lock.Share => " FOR SHARE",
            Lock.NoKeyUpdate => " FOR NO KEY UPDATE",
            _ => string.Empty,
        };
        await using var command = new NpgsqlCommand($"SELECT id, customer_id, merged_into, ticket_number FROM tickets WHERE id = @id AND deleted_at IS NULL{suffix}", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Row(reader.GetGuid(0), reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.GetInt64(3))
            : null;
    }
}
