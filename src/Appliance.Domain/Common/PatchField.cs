namespace Appliance.Domain.Common;

/// <summary>One field of a partial update: absent keeps the stored value, present (even null) replaces it.</summary>
public readonly record struct PatchField<T>(bool IsSet, T Value)
{
    public T Or(T current) => IsSet ? Value : current;
}
