using System.Text;
using Appliance.Platform;

namespace Appliance.Domain.Common;

/// <summary>Turns whitelisted sort keys into an ORDER BY clause; field names never reach SQL unmapped.</summary>
public static class SqlSort
{
    public static string OrderBy(IReadOnlyList<SortField> keys, IReadOnlyDictionary<string, string> columns, string tieBreaker)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(columns);
        var sql = new StringBuilder(" ORDER BY ");
        foreach (var key in keys)
        {
            if (!columns.TryGetValue(key.Field, out var column))
            {
                throw new ArgumentException($"'{key.Field}' is not a sortable field", nameof(keys));
            }

            sql.Append(column).Append(key.Descending ? " DESC, " : " ASC, ");
        }

        return sql.Append(tieBreaker).ToString();
    }
}
