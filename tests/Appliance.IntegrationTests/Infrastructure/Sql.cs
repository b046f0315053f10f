using Npgsql;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>Parameterised SQL straight against a test database: the "what was written" side of the API tests.</summary>
public static class Sql
{
    private static NpgsqlCommand Command(NpgsqlDataSource db, string sql, (string Name, object Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(db);
        var command = db.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    public static async Task ExecuteAsync(this NpgsqlDataSource db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row; the type's default for no row or NULL.</summary>
    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default! : (T)result;
    }

    /// <summary>A count or sum as a long, whatever integer type PostgreSQL answers with.</summary>
    public static async Task<long> CountAsync(this NpgsqlDataSource db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row, as text.</summary>
    public static async Task<List<string>> StringsAsync(this NpgsqlDataSource db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>The audit actions of one entity, oldest first.</summary>
    public static Task<List<string>> AuditActionsAsync(this NpgsqlDataSource db, string entityType, Guid id) =>
        db.StringsAsync("SELECT action FROM audit_log WHERE entity_type = @type AND entity_id = @id ORDER BY id", ("type", entityType), ("id", id.ToString()));

    /// <summary>The outbox event types of one aggregate, oldest first.</summary>
    public static Task<List<string>> EventTypesAsync(this NpgsqlDataSource db, Guid aggregateId) =>
        db.StringsAsync("SELECT event_type FROM outbox_events WHERE aggregate_id = @id ORDER BY id", ("id", aggregateId.ToString()));
}
