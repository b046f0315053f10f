namespace Appliance.Domain.Tickets;

/// <summary>A technician who could take a new ticket, with their skills and how many open tickets they hold now.</summary>
public sealed record AssignmentCandidate(Guid UserId, IReadOnlyList<string> Skills, int OpenTickets, DateTimeOffset CreatedAt);

/// <summary>
/// Auto-assignment on create: among active technicians whose skills include the ticket's category, the one
/// with the fewest open tickets; ties go to the longest-serving technician, then the smallest id, so the choice is
/// deterministic. No category or nobody skilled: unassigned, status <c>new</c>.
/// </summary>
public static class AutoAssignment
{
    public static Guid? Choose(string? category, IEnumerable<AssignmentCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (string.IsNullOrWhiteSpace(category))
        {
            return null;
        }

        var wanted = category.Trim();
        AssignmentCandidate? best = null;
        foreach (var candidate in candidates)
        {
            if (!candidate.Skills.Any(skill => string.Equals(skill, wanted, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (best is null || IsBetter(candidate, best))
            {
                best = candidate;
            }
        }

        return best?.UserId;
    }

    private static bool IsBetter(AssignmentCandidate candidate, AssignmentCandidate best)
    {
        if (candidate.OpenTickets != best.OpenTickets)
        {
            return candidate.OpenTickets < best.OpenTickets;
        }

        if (candidate.CreatedAt != best.CreatedAt)
        {
            return candidate.CreatedAt < best.CreatedAt;
        }

        return candidate.UserId.CompareTo(best.UserId) < 0;
    }
}
