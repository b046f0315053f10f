namespace Appliance.Domain.Common;

/// <summary>Escapes user text for use inside an ILIKE pattern (PostgreSQL's default escape character is the backslash).</summary>
public static class SqlLike
{
    public static string? Escape(string? search) =>
        string.IsNullOrWhiteSpace(search)
            ? null
            : search.Trim().Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
