using System.Data;
using Npgsql;

namespace Appliance.Platform.Database;

/// <summary>
/// Puts a pooled connection back in step after a statement on it failed in PostgreSQL. Npgsql (8.0 to 10.0.3 tried)
/// loses track of an automatically prepared statement whose preparing execution (its third use on that connection)
/// fails: the next execution of that statement on the connection reads the wrong messages ("Received unexpected backend
/// message DataRow"), and in a batch it can read another statement's result as its rows. The session reset on return
/// does not help (it keeps prepared statements), so the connection must forget its prepared statements before it goes
/// back to the pool (they are prepared again after three uses), or be discarded.
/// </summary>
public static class FailedStatements
{
    /// <summary>
    /// Call after a <see cref="PostgresException"/> on <paramref name="connection"/>, with its readers closed and outside
    /// any transaction. A connection Npgsql already broke is discarded by the pool anyway; when forgetting fails (an
    /// aborted transaction, a lost server), the pool is told to discard its connections.
    /// </summary>
    public static void Recover(NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.FullState != ConnectionState.Open)
        {
            return;
        }

        try
        {
            connection.UnprepareAll();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            NpgsqlConnection.ClearPool(connection);
        }
    }

    /// <summary>
    /// For a failure a store handles itself (a unique or foreign-key violation it reports as a conflict): rolls the
    /// aborted <paramref name="transaction"/> back, then <see cref="Recover"/>s the connection before it goes back to
    /// the pool.
    /// </summary>
    public static async Task RecoverAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        try
        {
            await transaction.RollbackAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            NpgsqlConnection.ClearPool(connection);
            return;
        }

        Recover(connection);
    }
}
