using Npgsql;

namespace Appliance.Platform.Database;

/// <summary>Creates the process's one <see cref="NpgsqlDataSource"/>; the slim builder keeps trimming and NativeAOT clean.</summary>
public static class ApplianceDataSource
{
    public static NpgsqlDataSource Create(string connectionString, string applicationName)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(csb.ApplicationName))
        {
            csb.ApplicationName = applicationName;
        }

        var builder = new NpgsqlSlimDataSourceBuilder(csb.ConnectionString);
        builder.EnableArrays();
        builder.EnableNetworkTypes();
        return builder.Build();
    }
}
