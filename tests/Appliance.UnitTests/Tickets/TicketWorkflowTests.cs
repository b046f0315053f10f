using Appliance.Domain.Tickets;

namespace Appliance.UnitTests.Tickets;

public sealed class TicketWorkflowTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid Tech = Guid.Parse("11111111-1111-1111-1111-111111111111");

    // The whole matrix, written out once more by hand so that a change to the workflow has to change this table too.
    private static readonly HashSet<(string From, string To)> Expected =
    [
        ("new", "assigned"), ("new", "in_progress"), ("new", "waiting_customer"), ("new", "resolved"), ("new", "closed"),
        ("assigned", "new"), ("assigned", "in_progress"), ("assigned", "waiting_customer"), ("assigned", "resolved"), ("assigned", "closed"),
        ("in_progress", "assigned"), ("in_progress", "waiting_customer"), ("in_progress", "resolved"),
        ("waiting_customer", "in_progress"), ("waiting_customer", "resolved"),
        ("resolved", "in_progress"), ("resolved", "closed"),
        ("closed", "in_progress"),
    ];

    public static TheoryData<string, string> AllPairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var from in TicketVocabulary.Statuses)
        {
            foreach (var to in TicketVocabulary.Statuses)
            {
                if (from != to)
                {
                    data.Add(from, to);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_pair_of_statuses_is_allowed_or_rejected_as_the_table_says(string from, string to)
    {
        Assert.Equal(Expected.Contains((from, to)), TicketWorkflow.CanMove(from, to));
        var assignee = from == "new" ? null : (Guid?)Tech;
        var (result, rejection) = TicketWorkflow.Apply(
            new TicketLifecycle(from, assignee, null, null, 0), to, assigneeGiven: true, to == "new" ? null : Tech, Now);
        if (Expected.Contains((from, to)))
        {
            Assert.Null(rejection);
            Assert.Equal(to, result!.Status);
        }
        else
        {
            Assert.Null(result);
            Assert.Equal("status", rejection!.Field);
            Assert.Equal(TicketWorkflow.AllowedFrom(from), rejection.Allowed);
            Assert.Contains(from, rejection.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_status_has_a_way_forward_and_the_vocabulary_matches()
    {
        Assert.All(TicketVocabulary.Statuses, status => Assert.NotEmpty(TicketWorkflow.AllowedFrom(status)));
        Assert.Empty(TicketWorkflow.AllowedFrom("open"));
        Assert.Equal(["new", "assigned", "in_progress", "waiting_customer"], TicketWorkflow.OpenStatuses);
        Assert.All(TicketVocabulary.Statuses, s => Assert.Equal(TicketWorkflow.OpenStatuses.Contains(s), TicketWorkflow.IsOpen(s)));
    }

    [Theory]
    [InlineData("in_progress")]
    [InlineData("waiting_customer")]
    public void Work_that_started_is_resolved_before_it_is_closed(string from)
    {
        var (result, rejection) = TicketWorkflow.Apply(new TicketLifecycle(from, Tech, null, null, 0), "closed", false, null, Now);
        Assert.Null(result);
        Assert.Contains("resolved", rejection!.Allowed);
        Assert.DoesNotContain("closed", rejection.Allowed);
    }

    [Fact]
    public void The_description_lists_every_status_with_its_next_ones()
    {
        Assert.Equal(
            "new → assigned, in_progress, waiting_customer, resolved, closed; assigned → new, in_progress, waiting_customer, resolved, closed; "
            + "in_progress → assigned, waiting_customer, resolved; waiting_customer → in_progress, resolved; resolved → in_progress, closed; closed → in_progress",
            TicketWorkflow.Describe());
    }

    [Fact]
    public void Unknown_target_status_is_rejected_with_the_allowed_ones()
    {
        var (result, rejection) = TicketWorkflow.Apply(new TicketLifecycle("new", null, null, null, 0), "open", false, null, Now);
        Assert.Null(result);
        Assert.Equal(["assigned", "in_progress", "waiting_customer", "resolved", "closed"], rejection!.Allowed);
    }

    [Fact]
    public void Resolving_sets_resolved_at_and_closing_keeps_it()
    {
        var resolved = TicketWorkflow.Apply(new TicketLifecycle("in_progress", Tech, null, null, 0), "resolved", false, null, Now).Result!;
        Assert.Equal(Now, resolved.ResolvedAt);
        Assert.Null(resolved.ClosedAt);

        var later = Now.AddDays(2);
        var closed = TicketWorkflow.Apply(resolved, "closed", false, null, later).Result!;
        Assert.Equal(Now, closed.ResolvedAt);
        Assert.Equal(later, closed.ClosedAt);
    }

    [Fact]
    public void Closing_without_resolving_sets_both()
    {
        var closed = TicketWorkflow.Apply(new TicketLifecycle("new", null, null, null, 0), "closed", false, null, Now).Result!;
        Assert.Equal(Now, closed.ResolvedAt);
        Assert.Equal(Now, closed.ClosedAt);
    }

    [Theory]
    [InlineData("resolved")]
    [InlineData("closed")]
    public void Reopening_clears_the_end_timestamps_and_counts(string from)
    {
        var current = new TicketLifecycle(from, Tech, Now.AddDays(-1), from == "closed" ? Now.AddHours(-1) : null, 1);
        var reopened = TicketWorkflow.Apply(current, "in_progress", false, null, Now).Result!;
        Assert.Equal("in_progress", reopened.Status);
        Assert.Null(reopened.ResolvedAt);
        Assert.Null(reopened.ClosedAt);
        Assert.Equal(2, reopened.ReopenCount);
        Assert.Equal(Tech, reopened.AssignedTo);
    }

    [Fact]
    public void Assigning_a_new_ticket_moves_it_to_assigned_and_unassigning_moves_it_back()
    {
        var assigned = TicketWorkflow.Apply(new TicketLifecycle("new", null, null, null, 0), null, true, Tech, Now).Result!;
        Assert.Equal(("assigned", (Guid?)Tech), (assigned.Status, assigned.AssignedTo));

        var back = TicketWorkflow.Apply(assigned, null, true, null, Now).Result!;
        Assert.Equal(("new", (Guid?)null), (back.Status, back.AssignedTo));
    }

    [Fact]
    public void Reassigning_a_ticket_in_progress_keeps_its_status()
    {
        var other = Guid.NewGuid();
        var result = TicketWorkflow.Apply(new TicketLifecycle("in_progress", Tech, null, null, 0), null, true, other, Now).Result!;
        Assert.Equal(("in_progress", (Guid?)other), (result.Status, result.AssignedTo));
    }

    [Fact]
    public void Assigned_needs_an_assignee_and_new_has_none()
    {
        var noAssignee = TicketWorkflow.Apply(new TicketLifecycle("new", null, null, null, 0), "assigned", false, null, Now);
        Assert.Equal("assigned_to", noAssignee.Rejection!.Field);

        var keepsAssignee = TicketWorkflow.Apply(new TicketLifecycle("assigned", Tech, null, null, 0), "new", false, null, Now);
        Assert.Equal("assigned_to", keepsAssignee.Rejection!.Field);

        var explicitBoth = TicketWorkflow.Apply(new TicketLifecycle("new", null, null, null, 0), "assigned", true, Tech, Now);
        Assert.Equal("assigned", explicitBoth.Result!.Status);
    }

    [Fact]
    public void Same_status_is_no_transition_and_changes_nothing_else()
    {
        var current = new TicketLifecycle("waiting_customer", Tech, null, null, 3);
        var (result, rejection) = TicketWorkflow.Apply(current, "waiting_customer", false, null, Now);
        Assert.Null(rejection);
        Assert.Equal(current, result);
    }
}
