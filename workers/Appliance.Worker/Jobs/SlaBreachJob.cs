using Appliance.Domain.Tickets;
using Npgsql;
using Quartz;

namespace Appliance.Worker.Jobs;

/// <summary>
/// Flags tickets whose SLA response or resolution due date passed while the clock ran (open, not waiting for the
/// customer), with an audit row and a <c>ticket.sla_breached</c> event each, in batches (<see cref="SlaBreaches"/>).
/// Cluster-wide: one fire per minute on whichever node acquires it; <see cref="DisallowConcurrentExecutionAttribute"/>
/// keeps a slow run from overlapping the next, and the batches skip rows an API request holds, so a run never waits
/// on the desk's work.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class SlaBreachJob(NpgsqlDataSource dataSource, ILogger<SlaBreachJob> logger) : IJob
{
    public static readonly JobKey Key = new("sla-breach", "tickets");

    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var marked = await SlaBreaches.MarkAsync(dataSource, DateTimeOffset.UtcNow, SlaBreaches.DefaultBatchSize, cancellationToken);
        if (marked > 0)
        {
            LogMarked(logger, marked);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "flagged {Count} ticket(s) as SLA breached")]
    private static partial void LogMarked(ILogger logger, int count);
}
