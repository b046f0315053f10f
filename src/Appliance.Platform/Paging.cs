namespace Appliance.Platform;

/// <summary>A validated page request: <see cref="Page"/> from 1, <see cref="Limit"/> from 1 to <see cref="MaxLimit"/>.</summary>
public readonly record struct PageRequest(int Page, int Limit)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public int Offset => (Page - 1) * Limit;
}

/// <summary>One page of rows plus the total row count matching the filters.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, long Total, PageRequest Request)
{
    /// <summary>More rows may match than <see cref="Total"/> says (a search that stopped at its window).</summary>
    public bool TotalIsLowerBound { get; init; }

    public int TotalPages => Total == 0 ? 0 : (int)((Total + Request.Limit - 1) / Request.Limit);
}

/// <summary>One sort key: a whitelisted field and its direction.</summary>
public readonly record struct SortField(string Field, bool Descending);
