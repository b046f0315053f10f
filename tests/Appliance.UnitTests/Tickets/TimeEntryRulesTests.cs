using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.Domain.Tickets;

namespace Appliance.UnitTests.Tickets;

public sealed class TimeEntryRulesTests
{
    private static readonly DateOnly Today = new(2026, 11, 20);
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 9, 0, 0, TimeSpan.FromHours(1));

    [Fact]
    public void Minutes_only_books_today_by_default()
    {
        var entry = TimeEntryRules.Validate(null, 45, null, null, null, null, "  fixed it ", Today);
        Assert.Equal(new ValidTimeEntry(Today, 45, null, null, true, "remote", "fixed it"), entry);
    }

    [Fact]
    public void Start_and_end_give_the_minutes_rounded_up_and_the_date()
    {
        var entry = TimeEntryRules.Validate(null, null, Start, Start.AddMinutes(90).AddSeconds(1), false, "onsite", null, Today);
        Assert.Equal(91, entry.Minutes);
        Assert.Equal(Today, entry.WorkDate);
        Assert.False(entry.Billable);
    }

    [Fact]
    public void Minutes_and_start_end_must_agree()
    {
        Assert.Equal(60, TimeEntryRules.Validate(null, 60, Start, Start.AddHours(1), null, null, null, Today).Minutes);
        var ex = Assert.Throws<DomainValidationException>(() => TimeEntryRules.Validate(null, 30, Start, Start.AddHours(1), null, null, null, Today));
        Assert.Equal("minutes", Assert.Single(ex.Errors).Field);
    }

    [Theory]
    [InlineData(null, false, false, "minutes")]
    [InlineData(0, false, false, "minutes")]
    [InlineData(1441, false, false, "minutes")]
    [InlineData(null, true, false, "ended_at")]
    [InlineData(null, false, true, "started_at")]
    public void Duration_rules_name_their_field(int? minutes, bool withStart, bool withEnd, string field)
    {
        var ex = Assert.Throws<DomainValidationException>(() =>
            TimeEntryRules.Validate(Today, minutes, withStart ? Start : null, withEnd ? Start.AddHours(1) : null, null, null, null, Today));
        Assert.Equal(field, Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void End_after_start_and_at_most_a_day()
    {
        Assert.Equal("ended_at", Assert.Single(Assert.Throws<DomainValidationException>(() => TimeEntryRules.Validate(null, null, Start, Start, null, null, null, Today)).Errors).Field);
        Assert.Equal("ended_at", Assert.Single(Assert.Throws<DomainValidationException>(() => TimeEntryRules.Validate(null, null, Start, Start.AddHours(24).AddMinutes(1), null, null, null, Today)).Errors).Field);
        Assert.Equal(1440, TimeEntryRules.Validate(null, null, Start, Start.AddHours(24), null, null, null, Today).Minutes);
        Assert.Equal(1440, TimeEntryRules.Validate(null, 1440, null, null, null, null, null, Today).Minutes);
    }

    [Fact]
    public void Dates_within_the_last_year_and_not_ahead()
    {
        Assert.Equal(Today.AddDays(1), TimeEntryRules.Validate(Today.AddDays(1), 5, null, null, null, null, null, Today).WorkDate);
        Assert.Equal(Today.AddYears(-1), TimeEntryRules.Validate(Today.AddYears(-1), 5, null, null, null, null, null, Today).WorkDate);
        Assert.Throws<DomainValidationException>(() => TimeEntryRules.Validate(Today.AddDays(2), 5, null, null, null, null, null, Today));
        Assert.Throws<DomainValidationException>(() => TimeEntryRules.Validate(Today.AddYears(-1).AddDays(-1), 5, null, null, null, null, null, Today));
    }

    [Fact]
    public void Work_type_and_note_are_checked()
    {
        Assert.All(TimeEntryRules.WorkTypes, type => Assert.Equal(type, TimeEntryRules.Validate(null, 5, null, null, null, type, null, Today).WorkType));
        var ex = Assert.Throws<DomainValidationException>(() => TimeEntryRules.Validate(null, 5, null, null, null, "gardening", new string('n', 4001), Today));
        Assert.Equal(["work_type", "note"], ex.Errors.Select(e => e.Field));
    }

    private static Actor As(string role) => new(Guid.NewGuid(), role, null, Roles.PermissionsOf(role).ToHashSet());

    [Fact]
    public void Technicians_edit_their_own_entries_until_approved()
    {
        var tech = As(Roles.TechnicianL1);
        Assert.True(TimeEntryRules.CanEdit(tech, tech.Id, approved: false));
        Assert.False(TimeEntryRules.CanEdit(tech, tech.Id, approved: true));
        Assert.False(TimeEntryRules.CanEdit(tech, Guid.NewGuid(), approved: false));
    }

    [Theory]
    [InlineData("system_admin", true)]
    [InlineData("service_manager", true)]
    [InlineData("billing", false)]
    [InlineData("customer_admin", false)]
    public void Managers_edit_anyones_unapproved_entry(string role, bool expected)
    {
        var actor = As(role);
        Assert.Equal(expected, TimeEntryRules.CanEdit(actor, Guid.NewGuid(), approved: false));
        Assert.False(TimeEntryRules.CanEdit(actor, Guid.NewGuid(), approved: true));
    }

    [Theory]
    [InlineData("system_admin", true)]
    [InlineData("service_manager", true)]
    [InlineData("billing", true)]
    [InlineData("technician_l2", false)]
    [InlineData("customer_admin", false)]
    public void Approval_is_for_billing_and_managers(string role, bool expected) => Assert.Equal(expected, TimeEntryRules.CanApprove(As(role)));
}
