using Appliance.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>
/// A private PostgreSQL database for one test class, cloned from a template that was migrated once per test run.
/// <see cref="ResetAsync"/> empties every application table between tests.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private const string TemplateName = "appliance_template";
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static bool _templateReady;

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = ApplianceDataSource.Create(connectionString, "appliance-tests");
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>A fresh database; <paramref name="migrated"/> false gives an empty one (for migrator tests).</summary>
    public static async Task<TestDatabase> CreateAsync(bool migrated = true)
    {
        var name = "appliance_t_" + Guid.NewGuid().ToString("N")[..12];
        if (migrated)
        {
            await EnsureTemplateAsync();
        }

        await AdminExecuteAsync($"CREATE DATABASE {name}{(migrated ? $" TEMPLATE {TemplateName}" : string.Empty)}");
        return new TestDatabase(name, ConnectionStringFor(name));
    }

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresAdminConnectionString) { Database = database, Pooling = true }.ConnectionString;

    /// <summary>Empties all application tables, the append-only audit log included (keeps the migration history).</summary>
    public async Task ResetAsync()
    {
        await using var command = DataSource.CreateCommand("""
            DO $$
            DECLARE tables text;
            BEGIN
              -- the append-only audit log refuses TRUNCATE through a trigger; tests (as superuser) skip triggers
              PERFORM set_config('session_replication_role', 'replica', true);
              SELECT string_agg(format('%I', tablename), ', ') INTO tables
                FROM pg_tables
               WHERE schemaname = 'public' AND tablename <> 'schema_migrations';
              IF tables IS NOT NULL THEN
                EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE';
              END IF;
            END $$;
            """);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await AdminExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private static async Task EnsureTemplateAsync()
    {
        await TemplateGate.WaitAsync();
        try
        {
            if (_templateReady)
            {
                return;
            }

            await AdminExecuteAsync($"DROP DATABASE IF EXISTS {TemplateName} WITH (FORCE)");
            await AdminExecuteAsync($"CREATE DATABASE {TemplateName}");
            await using (var dataSource = ApplianceDataSource.Create(ConnectionStringFor(TemplateName), "appliance-tests"))
            {
                await new Migrator(dataSource, Migration.Embedded(), NullLogger.Instance).MigrateAsync();
            }

            _templateReady = true;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    private static async Task AdminExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresAdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
