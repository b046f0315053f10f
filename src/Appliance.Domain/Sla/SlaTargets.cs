using Appliance.Domain.Tickets;

namespace Appliance.Domain.Sla;

/// <summary>How much business time a ticket of one priority may take to its first response and to its resolution.</summary>
public sealed record SlaTarget(TimeSpan Response, TimeSpan Resolution)
{
    public static SlaTarget FromMinutes(int responseMinutes, int resolutionMinutes) =>
        new(TimeSpan.FromMinutes(responseMinutes), TimeSpan.FromMinutes(resolutionMinutes));
}

/// <summary>The targets of a policy for each ticket priority (<see cref="TicketVocabulary.Priorities"/>).</summary>
public sealed record SlaTargets(SlaTarget Critical, SlaTarget High, SlaTarget Medium, SlaTarget Low)
{
    public SlaTarget For(string priority) => priority switch
    {
        "critical" => Critical,
        "high" => High,
        "medium" => Medium,
        "low" => Low,
        _ => throw new ArgumentException($"'{priority}' is not a ticket priority ({string.Join(", ", TicketVocabulary.Priorities)})", nameof(priority)),
    };
}
