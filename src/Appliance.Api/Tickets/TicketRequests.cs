using Appliance.Api.Http;
using Appliance.Domain.Common;
using Appliance.Domain.Tickets;

namespace Appliance.Api.Tickets;

public sealed class CreateTicketRequest
{
    public string? Title { get; set; }

    /// <summary>Rich text (p, br, strong, em, ul, ol, li); anything else is removed.</summary>
    public string? Description { get; set; }

    /// <summary>Required for staff; customer users may leave it out (their company).</summary>
    public Guid? CustomerId { get; set; }

    public string? Priority { get; set; }

    public string? Category { get; set; }

    public List<string>? Tags { get; set; }

    /// <summary>portal, email, phone or api; customer users' tickets are always portal.</summary>
    public string? Source { get; set; }
}

/// <summary>A partial update: absent properties keep their value; <c>category</c> and <c>assigned_to</c> may be cleared with null.</summary>
public sealed class UpdateTicketRequest : PatchRequest
{
    public string? Title { get; set { field = value; Mark(nameof(Title)); } }

    public string? Description { get; set { field = value; Mark(nameof(Description)); } }

    public string? Priority { get; set { field = value; Mark(nameof(Priority)); } }

    public string? Category { get; set { field = value; Mark(nameof(Category)); } }

    public List<string>? Tags { get; set { field = value; Mark(nameof(Tags)); } }

    public string? Status { get; set { field = value; Mark(nameof(Status)); } }

    public Guid? AssignedTo { get; set { field = value; Mark(nameof(AssignedTo)); } }

    /// <summary>Validates the edited fields; a property that cannot be cleared but was sent as null is an error too.</summary>
    public TicketChanges ToChanges()
    {
        var errors = new List<FieldError>();
        foreach (var (name, field, given) in new[]
        {
            (nameof(Title), "title", Field(nameof(Title), Title)),
            (nameof(Description), "description", Field(nameof(Description), Description)),
            (nameof(Priority), "priority", Field(nameof(Priority), Priority)),
            (nameof(Status), "status", Field(nameof(Status), Status)),
        })
        {
            if (given.IsSet && given.Value is null)
            {
                errors.Add(new FieldError(field, $"{name} cannot be cleared"));
            }
        }

        var tags = Field(nameof(Tags), Tags);
        if (tags.IsSet && tags.Value is null)
        {
            errors.Add(new FieldError("tags", "Tags cannot be null; send [] to remove all"));
        }

        if (Status is not null && !TicketVocabulary.Statuses.Contains(Status, StringComparer.Ordinal))
        {
            errors.Add(new FieldError("status", $"Must be one of: {string.Join(", ", TicketVocabulary.Statuses)}"));
        }

        ValidTicketChanges? fields = null;
        try
        {
            fields = TicketRules.ValidateChanges(Title, Description, Priority, Category, Field(nameof(Category), Category).IsSet, Tags);
        }
        catch (DomainValidationException invalid)
        {
            errors.AddRange(invalid.Errors);
        }

        if (errors.Count > 0)
        {
            throw new DomainValidationException(errors);
        }

        var assignee = Field(nameof(AssignedTo), AssignedTo);
        return new TicketChanges(fields!, Status, assignee.IsSet, assignee.Value);
    }
}

public sealed class MergeTicketRequest
{
    /// <summary>The surviving ticket.</summary>
    public Guid? Into { get; set; }
}

public sealed class AddWatcherRequest
{
    public Guid? UserId { get; set; }
}

public sealed record TicketWatchersResponse(IReadOnlyList<TicketWatcher> Data);
