using Appliance.Domain.Common;

namespace Appliance.Api.Http;

/// <summary>
/// A JSON merge-style PATCH body that knows which properties the client named: an absent property keeps the stored
/// value, <c>null</c> clears it. Each property's setter calls <see cref="Mark"/>; the source-generated deserialiser
/// calls setters only for properties present in the body.
/// </summary>
public abstract class PatchRequest
{
    private readonly HashSet<string> _given = new(StringComparer.Ordinal);

    protected void Mark(string property) => _given.Add(property);

    protected PatchField<T> Field<T>(string property, T value) => new(_given.Contains(property), value);
}
