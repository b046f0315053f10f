using Appliance.Domain.Common;
using Appliance.Domain.Tickets;

namespace Appliance.UnitTests.Tickets;

public sealed class TicketRulesTests
{
    private static readonly Guid Customer = Guid.NewGuid();

    [Fact]
    public void Valid_ticket_is_trimmed_sanitised_and_defaulted()
    {
        var ticket = TicketRules.ValidateNew("  Printer offline ", "<p>The printer <script>x</script>is offline</p>", Customer, null, " Printing ", [" HW ", "hw", "floor-2"], null);
        Assert.Equal("Printer offline", ticket.Title);
        Assert.Equal("<p>The printer is offline</p>", ticket.Description);
        Assert.Equal("medium", ticket.Priority);
        Assert.Equal("Printing", ticket.Category);
        Assert.Equal(["hw", "floor-2"], ticket.Tags);
        Assert.Equal("portal", ticket.Source);
    }

    [Theory]
    [InlineData(null, "title")]
    [InlineData("ab", "title")]
    [InlineData("  ab  ", "title")]
    public void Title_bounds(string? title, string field)
    {
        var ex = Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew(title, "long enough text", Customer, null, null, null, null));
        Assert.Equal(field, Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void Title_of_200_passes_and_201_fails()
    {
        Assert.Equal(200, TicketRules.ValidateNew(new string('t', 200), "long enough text", Customer, null, null, null, null).Title.Length);
        Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew(new string('t', 201), "long enough text", Customer, null, null, null, null));
        Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew("tab\there", "long enough text", Customer, null, null, null, null));
    }

    [Theory]
    [InlineData("too short")]
    [InlineData("<p><strong>   </strong>short</p>")]
    [InlineData("<script>long script content here</script>")]
    public void Description_counts_visible_text(string description)
    {
        var ex = Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew("Title", description, Customer, null, null, null, null));
        Assert.Equal("description", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_field()
    {
        var ex = Assert.Throws<DomainValidationException>(() =>
            TicketRules.ValidateNew("x", "short", null, "urgent", new string('c', 51), ["bad tag!"], "fax"));
        Assert.Equal(["title", "description", "customer_id", "priority", "category", "tags", "source"], ex.Errors.Select(e => e.Field));
        Assert.Contains("low, medium, high, critical", ex.Errors[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tags_are_limited_in_number_and_length()
    {
        var many = Enumerable.Range(0, 21).Select(i => $"t{i}").ToList();
        Assert.Equal("tags", Assert.Single(Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew("Title", "long enough text", Customer, null, null, many, null)).Errors).Field);
        Assert.Equal(20, TicketRules.ValidateNew("Title", "long enough text", Customer, null, null, many.Take(20).ToList(), null).Tags.Count);
        Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew("Title", "long enough text", Customer, null, null, [new string('t', 51)], null));
        Assert.Throws<DomainValidationException>(() => TicketRules.ValidateNew("Title", "long enough text", Customer, null, null, [""], null));
        Assert.Equal(["übergabe"], TicketRules.ValidateNew("Title", "long enough text", Customer, null, null, ["Übergabe"], null).Tags);
    }

    [Theory]
    [InlineData("low")]
    [InlineData("medium")]
    [InlineData("high")]
    [InlineData("critical")]
    public void Each_priority_is_accepted(string priority) =>
        Assert.Equal(priority, TicketRules.ValidateNew("Title", "long enough text", Customer, priority, null, null, "email").Priority);

    [Fact]
    public void Changes_validate_only_what_is_given()
    {
        var none = TicketRules.ValidateChanges(null, null, null, null, false, null);
        Assert.Equal(new ValidTicketChanges(null, null, null, null, false, null), none);

        var clearCategory = TicketRules.ValidateChanges(null, null, null, "  ", true, null);
        Assert.True(clearCategory.CategoryGiven);
        Assert.Null(clearCategory.Category);

        var ex = Assert.Throws<DomainValidationException>(() => TicketRules.ValidateChanges("x", null, "urgent", null, false, null));
        Assert.Equal(["title", "priority"], ex.Errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("<p></p>")]
    [InlineData("<script>x</script>")]
    [InlineData(null)]
    public void Empty_comments_are_refused(string? body)
    {
        var ex = Assert.Throws<DomainValidationException>(() => TicketRules.ValidateCommentBody(body));
        Assert.Equal("body", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void Comment_body_is_sanitised()
    {
        Assert.Equal("<p>Done <em>now</em></p>", TicketRules.ValidateCommentBody("<p onclick=x>Done <em>now</em></p>"));
    }
}
