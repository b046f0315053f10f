using Appliance.Domain.Audit;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Events;

/// <summary>One domain event: <c>customer.created</c>, <c>ticket.status_changed</c>, ... with a JSON object payload.</summary>
/// <param name="EventType">Lower-case <c>aggregate.happening</c>.</param>
/// <param name="AggregateType">What changed (<c>customer</c>).</param>
/// <param name="AggregateId">Its id.</param>
/// <param name="Payload">A JSON object, already serialised through a source-generated context.</param>
public sealed record OutboxEvent(string EventType, string AggregateType, string AggregateId, string Payload);

/// <summary>
/// The transactional outbox. A mutation writes its event on the connection and transaction of the change, so the
/// event exists exactly when the change committed; a dispatcher (the worker) publishes and marks them later.
/// </summary>
public static class Outbox
{
    private const string InsertSql = """
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, actor_type, actor_id, request_id)
        VALUES (@event_type, @aggregate_type, @aggregate_id, @payload::jsonb, @actor_type, @actor_id, @request_id)
        """;

    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext context, OutboxEvent outboxEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        Bind(command.Parameters, context, outboxEvent);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The event as one command of a batch run on the transaction of the change.</summary>
    public static NpgsqlBatchCommand Command(AuditContext context, OutboxEvent outboxEvent)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        Bind(command.Parameters, context, outboxEvent);
        return command;
    }

    private static void Bind(NpgsqlParameterCollection parameters, AuditContext context, OutboxEvent outboxEvent)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(outboxEvent);
        parameters.Add(new NpgsqlParameter<string>("event_type", outboxEvent.EventType));
        parameters.Add(new NpgsqlParameter<string>("aggregate_type", outboxEvent.AggregateType));
        parameters.Add(new NpgsqlParameter<string>("aggregate_id", outboxEvent.AggregateId));
        parameters.Add(new NpgsqlParameter<string>("payload", NpgsqlDbType.Text) { TypedValue = outboxEvent.Payload });
        parameters.Add(new NpgsqlParameter<string>("actor_type", context.Actor.Type));
        parameters.Add(new NpgsqlParameter<string?>("actor_id", NpgsqlDbType.Text) { TypedValue = context.Actor.Id });
        parameters.Add(new NpgsqlParameter<string?>("request_id", NpgsqlDbType.Text) { TypedValue = context.RequestId });
    }
}
