using Npgsql;

namespace Appliance.Platform.Database;

/// <summary>
/// Creates the process's one <see cref="NpgsqlDataSource"/>; the slim builder keeps trimming and NativeAOT clean.
/// Statements run often are prepared on the server automatically (unless the connection string says otherwise): the
/// API's queries are short, so parsing and planning them again on every request would cost as much as running them
/// (<c>Max Auto Prepare=0</c> in the connection string, the default of Npgsql, is taken as "not set"). The pool holds
/// at most <see cref="DefaultMaxPoolSize"/> connections unless the connection string names its own maximum.
/// </summary>
public static class ApplianceDataSource
{
    /// <summary>
    /// Connections one process keeps at most. PostgreSQL does the most work with a few busy backends per core: under a
    /// burst of writes, 64 backends on 2 cores finished a third fewer ticket creates than 8 (they fight over the same
    /// index pages and get descheduled holding their locks), and the benchmark's 1,000 creates/s went from p95 300 ms
    /// with 32 connections to 38 ms with 16 (docs/decisions/0010-service-desk-performance.md). Callers beyond the pool
    /// wait in Npgsql's queue, which costs nothing on the server.
    /// </summary>
    public const int DefaultMaxPoolSize = 16;

    public static NpgsqlDataSource Create(string connectionString, string applicationName)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (!NamesMaxPoolSize(connectionString))
        {
            csb.MaxPoolSize = DefaultMaxPoolSize;
        }

        if (string.IsNullOrEmpty(csb.ApplicationName))
        {
            csb.ApplicationName = applicationName;
        }

        if (csb.MaxAutoPrepare == 0)
        {
            csb.MaxAutoPrepare = 128;
            csb.AutoPrepareMinUsages = 3;
        }

        // Nothing here leaves session state behind (settings are SET LOCAL, the migrator releases its advisory lock),
        // so a connection going back to the pool needs no RESET ALL / DISCARD round on the server each time.
        csb.NoResetOnClose = true;

        var builder = new NpgsqlSlimDataSourceBuilder(csb.ConnectionString);
        builder.EnableArrays();
        builder.EnableNetworkTypes();
        return builder.Build();
    }

    /// <summary>Whether the connection string sets the pool's maximum itself (under any of Npgsql's names for it).</summary>
    internal static bool NamesMaxPoolSize(string connectionString)
    {
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys;
        foreach (string key in keys)
        {
            var name = key.Replace(" ", "", StringComparison.Ordinal);
            if (name.Equals("MaximumPoolSize", StringComparison.OrdinalIgnoreCase) || name.Equals("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
