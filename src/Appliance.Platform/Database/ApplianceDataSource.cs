using Npgsql;

namespace Appliance.Platform.Database;

/// <summary>
/// Creates the process's one <see cref="NpgsqlDataSource"/>; the slim builder keeps trimming and NativeAOT clean.
/// Statements run often are prepared on the server automatically (unless the connection string says otherwise): the
/// API's queries are short, so parsing and planning them again on every request would cost as much as running them
/// (<c>Max Auto Prepare=0</c> in the connection string, the default of Npgsql, is taken as "not set").
/// </summary>
public static class ApplianceDataSource
{
    public static NpgsqlDataSource Create(string connectionString, string applicationName)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
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
}
