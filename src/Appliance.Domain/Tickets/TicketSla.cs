using System.Collections.Concurrent;
using Appliance.Domain.Sla;
using Npgsql;

namespace Appliance.Domain.Tickets;

/// <summary>The calendar and targets a ticket's due dates are measured with.</summary>
public sealed record TicketSlaTerms(Guid PolicyId, BusinessCalendar Calendar, SlaTargets Targets);

/// <summary>
/// SLA policies for the ticket module from the SLA module's store, kept per policy version: a create reads the
/// effective policy's id and <c>updated_at</c> in its own transaction and takes the parsed calendar from here, so a
/// thousand creates a second do not load and rebuild a calendar each, and a changed policy applies from its next use.
/// </summary>
public sealed class SlaPolicySource : ISlaPolicySource
{
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset UpdatedAt, TicketSlaTerms Terms)> _cache = new();

    public async Task<TicketSlaTerms?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid policyId, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(policyId, out var cached) && cached.UpdatedAt == updatedAt)
        {
            return cached.Terms;
        }

        return await ByIdAsync(connection, transaction, policyId, cancellationToken);
    }

    public async Task<TicketSlaTerms?> ByIdAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid policyId, CancellationToken cancellationToken)
    {
        var policy = await SlaPolicyStore.GetAsync(connection, transaction, policyId, cancellationToken);
        if (policy is null)
        {
            _cache.TryRemove(policyId, out _);
            return null;
        }

        var terms = new TicketSlaTerms(policy.Id, policy.Calendar, policy.Targets);
        _cache[policyId] = (policy.UpdatedAt, terms);
        return terms;
    }
}

/// <summary>Due dates and the breach flag as a ticket stores them.</summary>
public sealed record TicketDueDates(DateTimeOffset? ResponseDue, DateTimeOffset? ResolutionDue, bool Breached);

/// <summary>
/// A ticket's due dates from the SLA clock (pure). The clock is read with the ticket's current priority over its whole
/// life and its pauses: that gives the current priority's due dates (the clock's rule for a priority change) and a
/// breach when the current target is overrun. Breaches are sticky: a flag set before (by the breach job, under an
/// earlier priority) stays set.
/// </summary>
public static class TicketSla
{
    public static TicketDueDates ForNewTicket(TicketSlaTerms? terms, string priority, DateTimeOffset createdAt)
    {
        if (terms is null)
        {
            return new TicketDueDates(null, null, false);
        }

        var target = terms.Targets.For(priority);
        return new TicketDueDates(
            SlaClock.DueFor(terms.Calendar, createdAt, target.Response),
            SlaClock.DueFor(terms.Calendar, createdAt, target.Resolution),
            false);
    }

    /// <summary>
    /// Recomputes after a change (priority, pause, resume, resolve, reopen) as of <paramref name="now"/>. While the
    /// ticket is paused short of a target the clock has no due date; the stored one is kept then and recomputed on resume.
    /// </summary>
    public static TicketDueDates Recompute(TicketSlaTerms? terms, Ticket ticket, IReadOnlyList<SlaPause> pauses, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (terms is null)
        {
            return new TicketDueDates(ticket.SlaResponseDue, ticket.SlaResolutionDue, ticket.SlaBreached);
        }

        var history = new SlaTicketHistory(ticket.CreatedAt, ticket.Priority, null, pauses, ticket.FirstResponseAt, ticket.ResolvedAt);
        var reading = SlaClock.Read(terms.Calendar, terms.Targets, history, now);
        return new TicketDueDates(
            reading.Response.Due ?? ticket.SlaResponseDue,
            reading.Resolution.Due ?? ticket.SlaResolutionDue,
            ticket.SlaBreached || reading.Response.Breached || reading.Resolution.Breached);
    }
}
