using Appliance.Domain.Common;
using Appliance.Domain.Tickets;
using Appliance.Platform;

namespace Appliance.UnitTests.Domain;

public sealed class SqlSortTests
{
    [Fact]
    public void Builds_order_by_from_mapped_columns_with_a_tie_breaker()
    {
        var sql = SqlSort.OrderBy([new SortField("created_at", true), new SortField("title", false)], TicketStore.SortColumns, "id");
        Assert.Equal(" ORDER BY t.created_at DESC, lower(t.title) ASC, id", sql);
    }

    [Fact]
    public void Unmapped_fields_never_reach_sql() =>
        Assert.Throws<ArgumentException>(() => SqlSort.OrderBy([new SortField("id; DROP TABLE tickets", false)], TicketStore.SortColumns, "id"));
}
