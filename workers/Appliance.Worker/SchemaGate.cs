using System.Net.Sockets;
using Appliance.Platform;
using Appliance.Platform.Database;
using Npgsql;

namespace Appliance.Worker;

/// <summary>The outcome of waiting for the schema: run (<see cref="ExitCode"/> 0) or exit with the one line to print.</summary>
public sealed record SchemaGateResult(int ExitCode, string? Problem)
{
    public bool CanStart => ExitCode == ExitCodes.Ok;
}

/// <summary>
/// The worker never migrates (the API's <c>migrate</c> command does, once per deploy). It starts only against a schema that
/// is current, or ahead of it during a rolling upgrade, and waits a while for a deploy that is migrating right now.
/// </summary>
public static partial class SchemaGate
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromSeconds(2);

    public static async Task<SchemaGateResult> WaitAsync(
        NpgsqlDataSource dataSource,
        ILogger logger,
        TimeSpan timeout,
        TimeSpan retryInterval,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var migrator = new Migrator(dataSource, Migration.Embedded(), logger);
        var deadline = DateTimeOffset.UtcNow + timeout;
        string problem;
        while (true)
        {
            try
            {
                var status = await migrator.GetStatusAsync(cancellationToken);
                switch (status.State)
                {
                    case SchemaState.Current:
                        LogSchemaCurrent(logger, status.AppliedVersion);
                        return new SchemaGateResult(ExitCodes.Ok, null);
                    case SchemaState.Ahead:
                        LogSchemaAhead(logger, status.AppliedVersion, status.KnownVersion);
                        return new SchemaGateResult(ExitCodes.Ok, null);
                    case SchemaState.Edited:
                        return new SchemaGateResult(ExitCodes.MigrationRefused, $"database schema refused: {status.Problem}");
                    default:
                        problem = $"database schema is behind this worker: {status.Pending.Count} migration(s) pending, first {status.Pending[0]}; run 'appliance-api migrate' first";
                        break;
                }
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("28", StringComparison.Ordinal) || ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                // Wrong credentials or database name: waiting does not fix those.
                return new SchemaGateResult(ExitCodes.DatabaseUnavailable, $"database unavailable: {ex.MessageText} (SQLSTATE {ex.SqlState})");
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                problem = $"database unavailable: {ex.Message}";
            }

            if (DateTimeOffset.UtcNow + retryInterval > deadline)
            {
                return new SchemaGateResult(ExitCodes.DatabaseUnavailable, $"{problem} (gave up after {timeout.TotalSeconds:0} s)");
            }

            LogWaiting(logger, problem, retryInterval.TotalSeconds);
            await Task.Delay(retryInterval, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "database schema is current (version {Version})")]
    private static partial void LogSchemaCurrent(ILogger logger, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "database schema is at version {Applied}, ahead of this worker's {Known}: a newer release migrated it; starting anyway")]
    private static partial void LogSchemaAhead(ILogger logger, int applied, int known);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}; retrying in {Seconds} s")]
    private static partial void LogWaiting(ILogger logger, string problem, double seconds);
}
