using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>
/// Where the ticket module gets SLA policies from. A miss is read on the caller's connection and transaction: a
/// request holding one pooled connection never waits for a second, so a burst as large as the pool cannot starve it.
/// </summary>
public interface ISlaPolicySource
{
    /// <summary>The policy as it was last changed at <paramref name="updatedAt"/> (callers read that stamp in their own query).</summary>
    Task<TicketSlaTerms?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid policyId, DateTimeOffset updatedAt, CancellationToken cancellationToken);

    /// <summary>The policy as it is now, or null when it is gone.</summary>
    Task<TicketSlaTerms?> ByIdAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid policyId, CancellationToken cancellationToken);
}
