using Appliance.Api.Http;
using Appliance.Platform;
using Microsoft.AspNetCore.Http;

namespace Appliance.UnitTests.Api;

public sealed class ListQueryTests
{
    private static readonly string[] SortFields = ["name", "created_at"];
    private static readonly SortField[] DefaultSort = [new("name", false)];

    private static ListQuery Parse(string queryString, params string[] filters)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/api/v1/things";
        context.Request.QueryString = new QueryString(queryString);
        return ListQuery.Parse(context.Request, filters, SortFields, DefaultSort);
    }

    [Fact]
    public void Defaults()
    {
        var query = Parse(string.Empty);
        Assert.True(query.IsValid);
        Assert.Equal(new PageRequest(1, 20), query.Page);
        Assert.Equal(DefaultSort, query.Sort);
        Assert.Equal(0, query.Page.Offset);
    }

    [Theory]
    [InlineData("?page=3&limit=25", 3, 25, 50)]
    [InlineData("?limit=100", 1, 100, 0)]
    [InlineData("?limit=1&page=2147483647", 2147483647, 1, 2147483646)]
    public void Paging_values_are_read(string qs, int page, int limit, int offset)
    {
        var query = Parse(qs);
        Assert.True(query.IsValid);
        Assert.Equal((page, limit, offset), (query.Page.Page, query.Page.Limit, query.Page.Offset));
    }

    [Theory]
    [InlineData("?limit=101", "limit")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=+5", "limit")]
    [InlineData("?limit=5.5", "limit")]
    [InlineData("?page=0", "page")]
    [InlineData("?page=2147483648", "page")]
    [InlineData("?page=1&page=2", "page")]
    [InlineData("?unknown=1", "unknown")]
    [InlineData("?sort=secret", "sort")]
    [InlineData("?sort=name&order=up", "order")]
    [InlineData("?sort=name&order=asc,desc", "order")]
    [InlineData("?order=asc", "order")]
    [InlineData("?sort=name,-name", "sort")]
    public void Bad_values_are_reported_per_parameter(string qs, string field)
    {
        var query = Parse(qs);
        Assert.False(query.IsValid);
        Assert.Contains(query.Errors, e => e.Field == field);
    }

    [Theory]
    [InlineData("?sort=created_at", "created_at", false)]
    [InlineData("?sort=-created_at", "created_at", true)]
    [InlineData("?sort=created_at&order=DESC", "created_at", true)]
    [InlineData("?sort=%2Bname", "name", false)]
    public void Single_sort(string qs, string field, bool descending)
    {
        var query = Parse(qs);
        Assert.True(query.IsValid);
        Assert.Equal([new SortField(field, descending)], query.Sort);
    }

    [Fact]
    public void Multi_field_sort_pairs_order_by_position()
    {
        var query = Parse("?sort=created_at,name&order=desc");
        Assert.Equal([new SortField("created_at", true), new SortField("name", false)], query.Sort);
    }

    [Fact]
    public void Declared_filters_are_allowed_and_typed()
    {
        var id = Guid.NewGuid();
        var query = Parse($"?status=new&owner={id}&active=true&q=abc", "status", "owner", "active", "q");
        Assert.Equal("new", query.OneOf("status", ["new", "closed"]));
        Assert.Equal(id, query.Uuid("owner"));
        Assert.True(query.Boolean("active"));
        Assert.Equal("abc", query.Text("q"));
        Assert.Null(query.Text("missing"));
        Assert.True(query.IsValid);
    }

    [Fact]
    public void Bad_filter_values_add_errors()
    {
        var query = Parse("?status=open&owner=42&active=yes&q=" + new string('x', 201), "status", "owner", "active", "q");
        Assert.Null(query.OneOf("status", ["new", "closed"]));
        Assert.Null(query.Uuid("owner"));
        Assert.Null(query.Boolean("active"));
        Assert.Null(query.Text("q"));
        Assert.Equal(["status", "owner", "active", "q"], query.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Response_links_keep_other_parameters_and_replace_page()
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/api/v1/things";
        context.Request.QueryString = new QueryString("?status=a%20b&page=2&limit=10");
        var query = ListQuery.Parse(context.Request, ["status"], SortFields, DefaultSort);
        var rows = new Paged<int>([1, 2, 3], 35, query.Page);
        var response = query.ToResponse(context.Request, rows, i => i * 10)!;
        Assert.Equal([10, 20, 30], response.Data);
        Assert.Equal(new ListMeta(2, 10, 35, 4), response.Meta);
        Assert.Equal("/api/v1/things?limit=10&status=a%20b&page=2", response.Links.Self);
        Assert.Equal("/api/v1/things?limit=10&status=a%20b&page=3", response.Links.Next);
        Assert.Equal("/api/v1/things?limit=10&status=a%20b&page=1", response.Links.Prev);
        Assert.Equal("/api/v1/things?limit=10&status=a%20b&page=1", response.Links.First);
        Assert.Equal("/api/v1/things?limit=10&status=a%20b&page=4", response.Links.Last);
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(0, 2, false)]
    [InlineData(20, 1, true)]
    [InlineData(20, 2, false)]
    [InlineData(21, 2, true)]
    [InlineData(21, 3, false)]
    public void Pages_beyond_the_end_are_errors_but_page_1_of_nothing_is_fine(long total, int page, bool ok)
    {
        var query = Parse($"?page={page}");
        var response = query.ToResponse(new DefaultHttpContext().Request, new Paged<int>([], total, query.Page), i => i);
        Assert.Equal(ok, response is not null);
        Assert.Equal(ok, query.IsValid);
    }

    [Theory]
    [InlineData(0, 20, 0)]
    [InlineData(1, 20, 1)]
    [InlineData(20, 20, 1)]
    [InlineData(21, 20, 2)]
    [InlineData(1000000, 100, 10000)]
    public void Total_pages(long total, int limit, int pages) =>
        Assert.Equal(pages, new Paged<int>([], total, new PageRequest(1, limit)).TotalPages);
}
