using Appliance.Domain.Tickets;

namespace Appliance.UnitTests.Tickets;

public sealed class AutoAssignmentTests
{
    private static readonly DateTimeOffset Day = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AssignmentCandidate Tech(int id, int open, int tenureDays, params string[] skills) =>
        new(Guid.Parse($"00000000-0000-0000-0000-{id:D12}"), skills, open, Day.AddDays(-tenureDays));

    [Fact]
    public void The_skilled_technician_with_the_fewest_open_tickets_wins()
    {
        var chosen = AutoAssignment.Choose("network", [Tech(1, 5, 10, "network"), Tech(2, 2, 10, "network", "m365"), Tech(3, 0, 10, "m365")]);
        Assert.Equal(Tech(2, 0, 0).UserId, chosen);
    }

    [Fact]
    public void Skills_match_case_insensitively_and_trimmed()
    {
        Assert.Equal(Tech(1, 0, 0).UserId, AutoAssignment.Choose("  Network ", [Tech(1, 3, 1, "NETWORK")]));
    }

    [Fact]
    public void Ties_go_to_the_longest_serving_then_the_smallest_id()
    {
        Assert.Equal(Tech(2, 0, 0).UserId, AutoAssignment.Choose("backup", [Tech(1, 1, 10, "backup"), Tech(2, 1, 20, "backup")]));
        Assert.Equal(Tech(1, 0, 0).UserId, AutoAssignment.Choose("backup", [Tech(3, 1, 10, "backup"), Tech(1, 1, 10, "backup")]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("printers")]
    public void No_category_or_nobody_skilled_leaves_the_ticket_unassigned(string? category)
    {
        Assert.Null(AutoAssignment.Choose(category, [Tech(1, 0, 1, "network"), Tech(2, 0, 1)]));
    }

    [Fact]
    public void No_candidates_means_unassigned()
    {
        Assert.Null(AutoAssignment.Choose("network", []));
    }
}
