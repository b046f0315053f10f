using System.Runtime.InteropServices;
using Appliance.Platform;
using Appliance.Platform.Configuration;
using Appliance.Platform.Database;
using Appliance.Platform.Hosting;
using Appliance.Platform.Logging;
using Appliance.Platform.Metrics;
using Appliance.Platform.Redis;
using Appliance.Worker;
using Appliance.Worker.Jobs;
using Quartz;

// appliance-worker: the background-job host. Cluster-wide jobs run on Quartz's clustered PostgreSQL store (each fire on
// one node); the per-node heartbeat is a hosted timer (see WorkerHeartbeatJob). SIGTERM stops taking new fires and waits
// for running jobs. Exit codes (ExitCodes): 0 stopped, 78 configuration, 69 database unavailable, 65 schema refused, 1 crash.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    DisableDefaults = true,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
builder.Configuration.AddApplianceSources(args);

ApplianceSettings settings;
try
{
    settings = ApplianceSettings.Load(builder.Configuration);
}
catch (ConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return ExitCodes.Configuration;
}

builder.AddApplianceLogging("appliance-worker");

await using var dataSource = ApplianceDataSource.Create(settings.Database.ConnectionString, "appliance-worker");
builder.Services.AddSingleton(dataSource);
// The process's one Redis multiplexer for jobs that need Redis; created (and connected) on first use only, so a worker
// whose jobs never ask for it opens no connection.
builder.Services.AddSingleton<IRedisClient>(_ => new MultiplexedRedisClient(settings.Redis, "appliance-worker"));
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(60));
builder.Services.AddQuartz(quartz =>
{
    quartz.UseApplianceCluster(dataSource).AddClusterJobs();
    quartz.AddJobListener<JobMetricsListener>();
});
builder.Services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
builder.Services.AddHostedService<WorkerHeartbeatJob>();
builder.Services.AddApplianceSystemd();
ApplianceMetrics.Configure();
builder.Services.AddHostedService<MetricServerService>();

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Worker");

// The host handles SIGTERM once it runs; before that, a stop during the wait for the schema is a clean stop too.
using (var stop = new CancellationTokenSource())
using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stop.Cancel(); }))
{
    try
    {
        var schema = await SchemaGate.WaitAsync(dataSource, logger, SchemaGate.DefaultTimeout, SchemaGate.DefaultRetryInterval, stop.Token);
        if (!schema.CanStart)
        {
            await Console.Error.WriteLineAsync(schema.Problem);
            return schema.ExitCode;
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        return ExitCodes.Ok;
    }
}

try
{
    await host.RunAsync();
    return ExitCodes.Ok;
}
catch (OperationCanceledException)
{
    return ExitCodes.Ok; // stopped while starting
}
catch (Exception ex)
{
    logger.LogCritical(ex, "worker stopped on an unexpected error");
    return ExitCodes.RuntimeError;
}
