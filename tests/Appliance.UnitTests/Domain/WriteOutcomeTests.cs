using Appliance.Domain.Common;

namespace Appliance.UnitTests.Domain;

public sealed class WriteOutcomeTests
{
    private sealed record Row(int Version);

    [Fact]
    public async Task Refusals_raised_inside_a_write_become_outcomes_with_their_status_code_and_details()
    {
        var duplicate = await WriteOutcome.CatchAsync<Row>(() => throw new DomainConflictException("taken", [new FieldError("name", "in use", Guid.Empty)]));
        Assert.Equal(WriteStatus.Conflict, duplicate.Status);
        Assert.Equal(WriteOutcome.AlreadyExistsCode, duplicate.Refusal!.Code);
        Assert.Equal("name", Assert.Single(duplicate.Refusal.Details).Field);

        var conflict = await WriteOutcome.CatchAsync<Row>(() => throw new DomainConflictException("merged", [], isDuplicate: false));
        Assert.Equal(WriteOutcome.ConflictCode, conflict.Refusal!.Code);

        var stale = await WriteOutcome.CatchAsync<Row>(() => throw new PreconditionFailedException("ticket", 7));
        Assert.Equal(WriteStatus.PreconditionFailed, stale.Status);
        Assert.Equal(7, stale.Refusal!.CurrentVersion);

        var missing = await WriteOutcome.CatchAsync<Row>(() => throw new DomainNotFoundException("Customer"));
        Assert.Equal(WriteStatus.NotFound, missing.Status);
        Assert.Null(missing.Value);
    }

    [Fact]
    public async Task Invalid_input_and_unexpected_failures_are_not_turned_into_outcomes()
    {
        await Assert.ThrowsAsync<DomainValidationException>(() => WriteOutcome.CatchAsync<Row>(() => throw new DomainValidationException([new FieldError("title", "required")])));
        await Assert.ThrowsAsync<InvalidOperationException>(() => WriteOutcome.CatchAsync<Row>(() => throw new InvalidOperationException("bug")));
    }

    [Fact]
    public void Done_and_unchanged_carry_the_row_and_whether_anything_was_written()
    {
        var done = WriteOutcome.Done(new Row(2));
        Assert.Equal(WriteStatus.Done, done.Status);
        Assert.True(done.Changed);
        Assert.False(WriteOutcome.Unchanged(new Row(1)).Changed);

        var refused = WriteOutcome.Forbidden<Row>("no").Refused<string>();
        Assert.Equal(WriteStatus.Forbidden, refused.Status);
        Assert.Throws<InvalidOperationException>(() => done.Refused<string>());
    }
}
