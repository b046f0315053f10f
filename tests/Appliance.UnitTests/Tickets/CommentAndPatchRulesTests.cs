using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;

namespace Appliance.UnitTests.Tickets;

/// <summary>Who may change a comment, and how a time-entry patch is merged and validated.</summary>
public sealed class CommentAndPatchRulesTests
{
    private static readonly DateTimeOffset Written = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2026, 11, 20);

    private static Actor ActorOf(string role, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), role, role == Roles.CustomerAdmin ? Guid.NewGuid() : null, Roles.PermissionsOf(role).ToHashSet());

    public static TheoryData<string, bool, int, bool> ChangeCases() => new()
    {
        // role, is the author, minutes after writing, may change
        { Roles.TechnicianL1, true, 0, true },
        { Roles.TechnicianL1, true, 15, true },
        { Roles.TechnicianL1, true, 16, false },
        { Roles.TechnicianL1, false, 1, false },
        { Roles.TechnicianL2, false, 1, false },
        { Roles.Billing, false, 1, false },
        { Roles.Billing, true, 5, true },
        { Roles.CustomerAdmin, true, 5, true },
        { Roles.CustomerAdmin, true, 60, false },
        { Roles.CustomerAdmin, false, 1, false },
        { Roles.ServiceManager, false, 600, true },
        { Roles.SystemAdmin, false, 100_000, true },
    };

    [Theory]
    [MemberData(nameof(ChangeCases))]
    public void Authors_change_within_the_window_managers_and_admins_always(string role, bool isAuthor, int minutesLater, bool allowed)
    {
        var actor = ActorOf(role);
        var author = isAuthor ? actor.Id : Guid.NewGuid();
        Assert.Equal(allowed, CommentRules.CanChange(actor, author, Written, Written.AddMinutes(minutesLater)));
    }

    [Fact]
    public void A_comment_without_a_known_author_is_for_moderators_only()
    {
        Assert.False(CommentRules.CanChange(ActorOf(Roles.TechnicianL1), null, Written, Written));
        Assert.True(CommentRules.CanChange(ActorOf(Roles.ServiceManager), null, Written, Written));
    }

    [Fact]
    public void The_refusal_says_why()
    {
        var actor = ActorOf(Roles.TechnicianL1);
        Assert.Contains("15 minutes", CommentRules.Refusal(actor, actor.Id), StringComparison.Ordinal);
        Assert.Contains("author", CommentRules.Refusal(actor, Guid.NewGuid()), StringComparison.Ordinal);
    }

    private static TimeEntry Entry(int minutes = 60, DateTimeOffset? start = null, DateTimeOffset? end = null, string? note = "Notiz") => new(
        Guid.NewGuid(), Guid.NewGuid(), 10001, Guid.NewGuid(), "Techniker", Today.AddDays(-1), minutes, start, end, true, "remote", note, null, null, null, 1, Written, Written);

    [Fact]
    public void An_empty_patch_gives_the_entry_as_it_is()
    {
        var entry = Entry();
        Assert.Equal(entry.Data, new TimeEntryPatch().ApplyTo(entry, Today));
        var timed = Entry(90, Written, Written.AddMinutes(90));
        Assert.Equal(timed.Data, new TimeEntryPatch().ApplyTo(timed, Today));
    }

    [Fact]
    public void Set_fields_replace_and_null_clears_the_note()
    {
        var changed = new TimeEntryPatch(Minutes: new(true, 30), Billable: new(true, false), WorkType: new(true, "travel"), Note: new(true, null)).ApplyTo(Entry(), Today);
        Assert.Equal(new ValidTimeEntry(Today.AddDays(-1), 30, null, null, false, "travel", null), changed);
    }

    [Fact]
    public void Minutes_follow_a_changed_end_and_switching_to_minutes_needs_start_and_end_cleared()
    {
        var timed = Entry(60, Written, Written.AddHours(1));
        Assert.Equal(120, new TimeEntryPatch(EndedAt: new(true, Written.AddHours(2))).ApplyTo(timed, Today).Minutes);
        var mismatch = Assert.Throws<DomainValidationException>(() => new TimeEntryPatch(Minutes: new(true, 30)).ApplyTo(timed, Today));
        Assert.Equal("minutes", Assert.Single(mismatch.Errors).Field);
        var plain = new TimeEntryPatch(Minutes: new(true, 30), StartedAt: new(true, null), EndedAt: new(true, null)).ApplyTo(timed, Today);
        Assert.Equal((30, (DateTimeOffset?)null, (DateTimeOffset?)null), (plain.Minutes, plain.StartedAt, plain.EndedAt));
    }

    [Fact]
    public void Giving_start_and_end_to_a_minutes_entry_recomputes_the_minutes()
    {
        var patched = new TimeEntryPatch(StartedAt: new(true, Written), EndedAt: new(true, Written.AddMinutes(45))).ApplyTo(Entry(), Today);
        Assert.Equal(45, patched.Minutes);
    }

    [Fact]
    public void A_cleared_date_is_derived_again_and_a_future_one_is_refused()
    {
        Assert.Equal(Today, new TimeEntryPatch(WorkDate: new(true, null)).ApplyTo(Entry(), Today).WorkDate);
        var future = Assert.Throws<DomainValidationException>(() => new TimeEntryPatch(WorkDate: new(true, Today.AddDays(2))).ApplyTo(Entry(), Today));
        Assert.Equal("work_date", Assert.Single(future.Errors).Field);
    }
}
