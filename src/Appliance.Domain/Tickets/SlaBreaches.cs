using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>
/// Marks tickets whose SLA ran out: open and not waiting for the customer (the clocks run), not yet breached, and past
/// the response due date without a first response or past the resolution due date. Each batch is one statement: the
/// flag (with a new version), an audit row per ticket (actor <c>system</c>) and a <c>ticket.sla_breached</c> event per
/// ticket commit together. Rows another transaction holds are skipped and caught by the next run.
/// </summary>
public static class SlaBreaches
{
    public const int DefaultBatchSize = 500;

    private const string MarkBatch = """
        WITH due AS (
            SELECT id FROM tickets
             WHERE deleted_at IS NULL AND NOT sla_breached AND sla_paused_since IS NULL
               AND status IN ('new', 'assigned', 'in_progress')
               AND ((first_response_at IS NULL AND sla_response_due < @now) OR sla_resolution_due < @now)
             LIMIT @batch
             FOR UPDATE SKIP LOCKED),
        marked AS (
            UPDATE tickets t SET sla_breached = true, version = t.version + 1, updated_at = @now
              FROM due WHERE t.id = due.id
            RETURNING t.id, t.ticket_number, t.customer_id, t.version, t.sla_response_due, t.sla_resolution_due,
                      (t.first_response_at IS NULL AND t.sla_response_due < @now) AS response_breached,
                      coalesce(t.sla_resolution_due < @now, false) AS resolution_breached),
        audited AS (
            INSERT INTO audit_log (entity_type, entity_id, action, actor_type, old_values, new_values)
            SELECT 'ticket', id::text, 'sla_breached', 'system',
                   jsonb_build_object('sla_breached', false, 'version', version - 1),
                   jsonb_build_object('sla_breached', true, 'version', version, 'response_breached', response_breached,
                                      'resolution_breached', resolution_breached)
              FROM marked),
        published AS (
            INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, actor_type)
            SELECT 'ticket.sla_breached', 'ticket', id::text,
                   jsonb_build_object('id', id, 'ticket_number', ticket_number, 'customer_id', customer_id,
                                      'response_breached', response_breached, 'resolution_breached', resolution_breached,
                                      'sla_response_due', sla_response_due, 'sla_resolution_due', sla_resolution_due),
                   'system'
              FROM marked)
        SELECT count(*)::int FROM marked
        """;

    /// <summary>Marks every breached ticket as of <paramref name="now"/>, batch by batch; returns how many were marked.</summary>
    public static async Task<int> MarkAsync(NpgsqlDataSource dataSource, DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var total = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(MarkBatch);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            command.Parameters.Add(new NpgsqlParameter<int>("batch", batchSize));
            var marked = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            total += marked;
            if (marked < batchSize)
            {
                return total;
            }
        }
    }
}
