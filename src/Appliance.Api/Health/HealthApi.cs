using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Appliance.Api.Http;
using Appliance.Platform.Configuration;
using Appliance.Platform.Database;
using Appliance.Platform.Redis;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Appliance.Api.Health;

public sealed record HealthResponse(string Status, string Version, long UptimeSeconds);

public sealed record CheckResult(string Status, double LatencyMs, string? Detail);

public sealed record ReadyResponse(string Status, IReadOnlyDictionary<string, CheckResult> Checks);

/// <summary>
/// <c>/health</c>: the process answers (for systemd and HAProxy liveness, no I/O).
/// <c>/ready</c>: PostgreSQL and Redis answer and the schema is migrated (for HAProxy to route traffic here).
/// </summary>
public static class HealthApi
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(string.Empty).WithTags("Health").AllowAnonymous();
        group.MapGet("/health", GetHealth).WithName("GetHealth").WithSummary("Liveness: the process is up");
        group.MapGet("/ready", GetReady).WithName("GetReady").WithSummary("Readiness: PostgreSQL, Redis and the schema are usable");
        return routes;
    }

    private static readonly DateTime ProcessStartedUtc = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public static Ok<HealthResponse> GetHealth() =>
        TypedResults.Ok(new HealthResponse("ok", Version, (long)(DateTime.UtcNow - ProcessStartedUtc).TotalSeconds));

    public static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ErrorEnvelope>>> GetReady(
        HttpContext context, ApplianceSettings settings, IRedisClient redis, Migrator migrator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(migrator);
        var postgres = CheckAsync(ct => ProbeNewConnectionAsync(settings.Database.ConnectionString, ct), cancellationToken);
        var redisCheck = CheckAsync(async ct =>
        {
            await redis.PingAsync(ct);
            return null;
        }, cancellationToken);
        var migrations = CheckAsync(async ct =>
        {
            var status = await migrator.GetStatusAsync(ct);
            return status.State switch
            {
                SchemaState.Current => $"version {status.AppliedVersion}",
                SchemaState.Ahead => $"version {status.AppliedVersion} (newer than this release's {status.KnownVersion})",
                _ => throw new InvalidOperationException(status.Problem),
            };
        }, cancellationToken);
        var checks = new Dictionary<string, CheckResult>(StringComparer.Ordinal)
        {
            ["postgres"] = await postgres,
            ["redis"] = await redisCheck,
            ["migrations"] = await migrations,
        };
        var failed = checks.Where(c => c.Value.Status != "ok").ToList();
        if (failed.Count == 0)
        {
            return TypedResults.Ok(new ReadyResponse("ready", checks));
        }

        context.Response.Headers.RetryAfter = "5";
        return ApiErrors.Result(
            context,
            StatusCodes.Status503ServiceUnavailable,
            ErrorCodes.ServiceUnavailable,
            "Not ready: " + string.Join(", ", failed.Select(f => f.Key)) + " unavailable",
            failed.Select(f => new ErrorDetail(f.Key, f.Value.Detail ?? "failed")).ToList());
    }

    // One unpooled data source per connection string (a process has one; tests run several servers).
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> Probes = new(StringComparer.Ordinal);

    /// <summary>
    /// Opens a new physical connection (never one from the pool, which can stay usable while every new connection
    /// fails, e.g. when a library a session loads is missing) and runs a PL/pgSQL block that reads a catalog table, so
    /// "ready" means the API could open the connections it will need and run real statements on them.
    /// </summary>
    private static async Task<string?> ProbeNewConnectionAsync(string connectionString, CancellationToken cancellationToken)
    {
        var probe = Probes.GetOrAdd(connectionString, static cs =>
        {
            var builder = new NpgsqlConnectionStringBuilder(cs) { Pooling = false, Multiplexing = false, Timeout = (int)CheckTimeout.TotalSeconds, ApplicationName = "appliance-api-ready" };
            return new NpgsqlSlimDataSourceBuilder(builder.ConnectionString).Build();
        });
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        try
        {
            await using var connection = await probe.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("DO $$ BEGIN PERFORM count(*) FROM pg_catalog.pg_namespace; END $$", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return $"database {database}";
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException($"a new connection to database {database} failed: {(ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.Message)}", ex);
        }
    }

    private static async Task<CheckResult> CheckAsync(Func<CancellationToken, Task<string?>> check, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var detail = await check(timeout.Token);
            return new CheckResult("ok", Math.Round(watch.Elapsed.TotalMilliseconds, 2), detail);
        }
        catch (Exception ex) when (ex is NpgsqlException or RedisUnavailableException or RedisServerException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            var detail = ex is OperationCanceledException ? $"no answer within {CheckTimeout.TotalSeconds:0} s" : ex.Message;
            return new CheckResult("failed", Math.Round(watch.Elapsed.TotalMilliseconds, 2), detail);
        }
    }
}
