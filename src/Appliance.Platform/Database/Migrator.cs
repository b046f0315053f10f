using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Appliance.Platform.Database;

public enum SchemaState
{
    Current,
    Pending,
    Ahead,
    Edited,
}

public sealed record SchemaStatus(SchemaState State, int AppliedVersion, int KnownVersion, IReadOnlyList<string> Pending, string? Problem);

/// <summary>An applied migration no longer matches its file, or the history cannot be trusted.</summary>
public sealed class MigrationRefusedException : Exception
{
    public MigrationRefusedException()
    {
    }

    public MigrationRefusedException(string message)
        : base(message)
    {
    }

    public MigrationRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Applies forward-only migrations, each in its own transaction, under a session advisory lock so that
/// several API or worker nodes starting at once apply each migration exactly once.
/// </summary>
public sealed class Migrator(NpgsqlDataSource dataSource, IReadOnlyList<Migration> migrations, ILogger logger)
{
    /// <summary>Arbitrary but fixed: every node must agree on it. ASCII "APPLMIGR".</summary>
    public const long AdvisoryLockKey = 0x4150504C4D494752;

    private const string HistoryDdl = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
        )
        """;

    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_lock(@key)", cancellationToken, ("key", AdvisoryLockKey));
        try
        {
            await ExecuteAsync(connection, HistoryDdl, cancellationToken);
            var applied = await ReadHistoryAsync(connection, cancellationToken);
            var problem = FindEditedMigration(applied);
            if (problem is not null)
            {
                throw new MigrationRefusedException(problem);
            }

            var done = new List<Migration>();
            foreach (var migration in migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                var watch = Stopwatch.StartNew();
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                try
                {
                    await using (var command = new NpgsqlCommand(migration.Sql, connection, transaction))
                    {
                        command.CommandTimeout = 0;
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }

                    await using (var record = new NpgsqlCommand(
                        "INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (@v, @n, @c, @d)",
                        connection,
                        transaction))
                    {
                        record.Parameters.AddWithValue("v", migration.Version);
                        record.Parameters.AddWithValue("n", migration.Name);
                        record.Parameters.AddWithValue("c", migration.Checksum);
                        record.Parameters.AddWithValue("d", (int)watch.ElapsedMilliseconds);
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }

                    await transaction.CommitAsync(cancellationToken);
                }
                catch (PostgresException ex)
                {
                    throw new MigrationRefusedException($"migration {migration.FileName} failed and was rolled back: {ex.MessageText} (SQLSTATE {ex.SqlState}{(ex.Position > 0 ? $", at character {ex.Position}" : string.Empty)})", ex);
                }

                logger.LogInformation("applied migration {Migration} in {ElapsedMs} ms", migration.FileName, watch.ElapsedMilliseconds);
                done.Add(migration);
            }

            var unknown = applied.Keys.Where(v => migrations.All(m => m.Version != v)).Order().ToList();
            if (unknown.Count > 0)
            {
                logger.LogWarning("database has migrations this binary does not know: {Versions}; it was migrated by a newer release", string.Join(", ", unknown));
            }

            return done;
        }
        finally
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, ("key", AdvisoryLockKey));
        }
    }

    /// <summary>Read-only comparison of the database with this binary's migrations (for /ready).</summary>
    public async Task<SchemaStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var applied = await ReadHistoryAsync(connection, cancellationToken);
        var known = migrations.Count == 0 ? 0 : migrations[^1].Version;
        var appliedVersion = applied.Count == 0 ? 0 : applied.Keys.Max();
        var edited = FindEditedMigration(applied);
        if (edited is not null)
        {
            return new SchemaStatus(SchemaState.Edited, appliedVersion, known, [], edited);
        }

        var pending = migrations.Where(m => !applied.ContainsKey(m.Version)).Select(m => m.FileName).ToList();
        if (pending.Count > 0)
        {
            return new SchemaStatus(SchemaState.Pending, appliedVersion, known, pending, $"{pending.Count} migration(s) pending");
        }

        return appliedVersion > known
            ? new SchemaStatus(SchemaState.Ahead, appliedVersion, known, [], null)
            : new SchemaStatus(SchemaState.Current, appliedVersion, known, [], null);
    }

    private string? FindEditedMigration(Dictionary<int, string> applied)
    {
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var checksum) && checksum != migration.Checksum)
            {
                return $"migration {migration.FileName} was changed after it was applied (recorded checksum {checksum[..12]}, file now {migration.Checksum[..12]}); applied migrations are never edited: add a new numbered migration instead";
            }
        }

        return null;
    }

    private static async Task<Dictionary<int, string>> ReadHistoryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var history = new Dictionary<int, string>();
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
        {
            return history;
        }

        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            history[reader.GetInt32(0)] = reader.GetString(1);
        }

        return history;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
