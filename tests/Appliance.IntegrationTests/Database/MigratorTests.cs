using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Appliance.IntegrationTests.Database;

public sealed class MigratorTests : IAsyncLifetime
{
    private static readonly Migration First = new(1, "first", "CREATE TABLE a (id int PRIMARY KEY);");
    private static readonly Migration Second = new(2, "second", "CREATE TABLE b (id int PRIMARY KEY); INSERT INTO a VALUES (1);");
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync(migrated: false);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Migrator MigratorWith(params Migration[] migrations) => new(_db.DataSource, Migration.Ordered(migrations), NullLogger.Instance);

    private async Task<List<(int Version, string Name, string Checksum)>> HistoryAsync()
    {
        await using var command = _db.DataSource.CreateCommand("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    [Fact]
    public async Task The_embedded_migrations_apply_to_an_empty_database_and_rerun_is_a_noop()
    {
        var migrator = new Migrator(_db.DataSource, Migration.Embedded(), NullLogger.Instance);
        var applied = await migrator.MigrateAsync();
        Assert.Equal(Migration.Embedded().Count, applied.Count);
        Assert.Empty(await migrator.MigrateAsync());
        var status = await migrator.GetStatusAsync();
        Assert.Equal(SchemaState.Current, status.State);
        Assert.Equal(Migration.Embedded()[^1].Version, status.AppliedVersion);
    }

    [Fact]
    public async Task History_records_version_name_and_checksum()
    {
        await MigratorWith(First, Second).MigrateAsync();
        Assert.Equal([(1, "first", First.Checksum), (2, "second", Second.Checksum)], await HistoryAsync());
    }

    [Fact]
    public async Task New_migrations_apply_on_top_of_old_ones()
    {
        await MigratorWith(First).MigrateAsync();
        Assert.Equal(SchemaState.Pending, (await MigratorWith(First, Second).GetStatusAsync()).State);
        var applied = await MigratorWith(First, Second).MigrateAsync();
        Assert.Equal([2], applied.Select(m => m.Version));
    }

    [Fact]
    public async Task An_edited_applied_migration_is_refused_with_a_clear_message_and_nothing_more_is_applied()
    {
        await MigratorWith(First).MigrateAsync();
        var edited = First with { Sql = "CREATE TABLE a (id bigint PRIMARY KEY);" };
        var ex = await Assert.ThrowsAsync<MigrationRefusedException>(() => MigratorWith(edited, Second).MigrateAsync());
        Assert.Contains("0001_first.sql was changed after it was applied", ex.Message, StringComparison.Ordinal);
        Assert.Contains("add a new numbered migration", ex.Message, StringComparison.Ordinal);
        Assert.Single(await HistoryAsync());
        Assert.Equal(SchemaState.Edited, (await MigratorWith(edited, Second).GetStatusAsync()).State);
    }

    [Fact]
    public async Task Line_ending_changes_do_not_count_as_edits()
    {
        await MigratorWith(First).MigrateAsync();
        var crlf = First with { Sql = First.Sql.Replace("\n", "\r\n", StringComparison.Ordinal) };
        Assert.Empty(await MigratorWith(crlf).MigrateAsync());
    }

    [Fact]
    public async Task A_failing_migration_rolls_back_completely_and_is_not_recorded()
    {
        var broken = new Migration(2, "broken", "CREATE TABLE c (id int); INSERT INTO nowhere VALUES (1);");
        var ex = await Assert.ThrowsAsync<MigrationRefusedException>(() => MigratorWith(First, broken).MigrateAsync());
        Assert.Contains("0002_broken.sql failed and was rolled back", ex.Message, StringComparison.Ordinal);
        Assert.Contains("42P01", ex.Message, StringComparison.Ordinal);
        Assert.Equal([1], (await HistoryAsync()).Select(h => h.Version));
        await using var command = _db.DataSource.CreateCommand("SELECT to_regclass('c') IS NULL");
        Assert.True((bool)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_migration_exactly_once()
    {
        var slow = new Migration(1, "slow", "SELECT pg_sleep(0.3); CREATE TABLE a (id int PRIMARY KEY);");
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => MigratorWith(slow, Second).MigrateAsync())));
        Assert.Equal(2, runs.Sum(r => r.Count));
        Assert.Equal([1, 2], (await HistoryAsync()).Select(h => h.Version));
    }

    [Fact]
    public async Task The_advisory_lock_is_released_after_a_failure()
    {
        var broken = new Migration(1, "broken", "SELECT * FROM nowhere;");
        await Assert.ThrowsAsync<MigrationRefusedException>(() => MigratorWith(broken).MigrateAsync());
        await using var command = _db.DataSource.CreateCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        Assert.Single(await MigratorWith(First).MigrateAsync());
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_release_is_reported_ahead_not_pending()
    {
        await MigratorWith(First, Second).MigrateAsync();
        var status = await MigratorWith(First).GetStatusAsync();
        Assert.Equal(SchemaState.Ahead, status.State);
        Assert.Empty(await MigratorWith(First).MigrateAsync());
    }

    [Fact]
    public async Task Status_of_an_empty_database_lists_every_pending_file()
    {
        var status = await MigratorWith(First, Second).GetStatusAsync();
        Assert.Equal(SchemaState.Pending, status.State);
        Assert.Equal(["0001_first.sql", "0002_second.sql"], status.Pending);
    }

    [Fact]
    public async Task Unreachable_database_surfaces_as_npgsql_exception()
    {
        await using var dataSource = ApplianceDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Timeout=2", "t");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => new Migrator(dataSource, [First], NullLogger.Instance).MigrateAsync());
    }
}
