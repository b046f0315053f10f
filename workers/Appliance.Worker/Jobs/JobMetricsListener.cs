using Prometheus;
using Quartz;

namespace Appliance.Worker.Jobs;

/// <summary>
/// Counts every Quartz job run on this node: <c>worker_job_runs_total{job}</c>, <c>worker_job_failures_total{job}</c>
/// (the job threw) and <c>worker_job_duration_seconds{job}</c>, exported at the worker's <c>/metrics</c>.
/// </summary>
public sealed class JobMetricsListener : IJobListener
{
    private static readonly string[] JobLabel = ["job"];

    private static readonly Counter Runs = Metrics.CreateCounter("worker_job_runs_total", "Job runs finished on this node", new CounterConfiguration { LabelNames = JobLabel });

    private static readonly Counter Failures = Metrics.CreateCounter("worker_job_failures_total", "Job runs that failed (the job threw)", new CounterConfiguration { LabelNames = JobLabel });

    private static readonly Histogram Duration = Metrics.CreateHistogram("worker_job_duration_seconds", "Job run time in seconds", new HistogramConfiguration
    {
        LabelNames = JobLabel,
        Buckets = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 30, 120],
    });

    public string Name => "appliance-job-metrics";

    public ValueTask JobToBeExecuted(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask JobExecutionVetoed(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.JobDetail.Key.Name;
        Runs.WithLabels(job).Inc();
        if (jobException is not null)
        {
            Failures.WithLabels(job).Inc();
        }

        Duration.WithLabels(job).Observe(context.JobRunTime.TotalSeconds);
        return ValueTask.CompletedTask;
    }
}
