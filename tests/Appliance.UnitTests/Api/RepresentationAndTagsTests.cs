using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Api.Http;
using Appliance.Api.Json;
using Appliance.Domain.Crm;
using Appliance.Domain.Events;
using Microsoft.AspNetCore.Http;

namespace Appliance.UnitTests.Api;

public sealed class RepresentationAndTagsTests
{
    private static readonly Customer Sample = new(
        Guid.Parse("6d1f8e0c-2a57-4b4e-9a55-0c8f0e6f5b11"), "K-00001", "Acme GmbH", null, "de", null, true, null, null, "Berlin", "DE", 3, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static HttpRequest Request(string queryString, params string[] ifMatch)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(queryString);
        if (ifMatch.Length > 0)
        {
            context.Request.Headers.IfMatch = ifMatch;
        }

        return context.Request;
    }

    private static string Json(Shaped shaped) => JsonSerializer.Serialize(shaped, ApiJsonContext.Default.Shaped);

    private static (Representation Representation, List<ErrorDetail> Errors) Parse(string queryString)
    {
        var errors = new List<ErrorDetail>();
        var representation = Representation.ParseSingle(Request(queryString), ApiJsonContext.Default.Customer, ["contacts", "sites"], errors);
        return (representation, errors);
    }

    [Fact]
    public void No_parameters_is_the_full_representation()
    {
        var (representation, errors) = Parse(string.Empty);
        Assert.Empty(errors);
        Assert.True(representation.IsFull);
        Assert.Equal(JsonSerializer.Serialize(Sample, ApiJsonContext.Default.Customer), Json(representation.Shape(Sample, ApiJsonContext.Default.Customer)));
    }

    [Fact]
    public void Fields_keep_the_named_properties_and_always_id()
    {
        var (representation, errors) = Parse("?fields=name,customer_number");
        Assert.Empty(errors);
        Assert.False(representation.IsFull);
        var shaped = JsonNode.Parse(Json(representation.Shape(Sample, ApiJsonContext.Default.Customer)))!.AsObject();
        Assert.Equal(["id", "customer_number", "name"], shaped.Select(p => p.Key));
        Assert.Equal("Acme GmbH", shaped["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("?fields=name,password", "fields", "'password'")]
    [InlineData("?fields=Name", "fields", "'Name'")]
    [InlineData("?fields=name,,city", "fields", "empty")]
    [InlineData("?fields=name&fields=city", "fields", "once")]
    [InlineData("?include=tickets", "include", "'tickets'")]
    [InlineData("?page=2", "page", "Unknown query parameter")]
    public void Bad_fields_include_or_parameters_are_named(string queryString, string field, string message)
    {
        var (_, errors) = Parse(queryString);
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_field_message_lists_the_allowed_fields()
    {
        var (_, errors) = Parse("?fields=nope");
        Assert.Contains("customer_number", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("updated_at", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Include_is_read_and_embeds_beside_the_fields()
    {
        var (representation, errors) = Parse("?include=sites,contacts&fields=name");
        Assert.Empty(errors);
        Assert.True(representation.Has("sites") && representation.Has("contacts"));
        var shaped = representation.Shape(Sample, ApiJsonContext.Default.Customer).Embed("sites", new List<Site>(), ApiJsonContext.Default.ListSite).Embed("owner", (Customer?)null, ApiJsonContext.Default.Customer);
        Assert.Equal("""{"id":"6d1f8e0c-2a57-4b4e-9a55-0c8f0e6f5b11","name":"Acme GmbH","sites":[],"owner":null}""", Json(shaped));
    }

    [Fact]
    public void Shaped_items_are_never_read()
    {
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize("{}", ApiJsonContext.Default.Shaped));
    }

    [Fact]
    public void A_resource_without_relations_refuses_include()
    {
        var errors = new List<ErrorDetail>();
        Representation.ParseSingle(Request("?include=customer"), ApiJsonContext.Default.Customer, [], errors);
        Assert.Contains("embeds nothing", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_queries_accept_fields_only_when_the_endpoint_shapes()
    {
        Assert.False(ListQuery.Parse(Request("?fields=name"), [], ["name"], []).IsValid);
        var shaped = ListQuery.Parse(Request("?fields=name&include=contacts"), [], ["name"], [], ApiJsonContext.Default.Customer, ["contacts"]);
        Assert.True(shaped.IsValid);
        Assert.True(shaped.Representation.Has("contacts"));
    }

    [Theory]
    [InlineData("2020-01-31", "2020-01-31T00:00:00+00:00")]
    [InlineData("2020-01-31T10:00:00+02:00", "2020-01-31T08:00:00+00:00")]
    [InlineData("2020-01-31T10:00:00", "2020-01-31T10:00:00+00:00")]
    public void Timestamps_are_read_as_utc(string text, string expected)
    {
        var query = ListQuery.Parse(Request("?from=" + Uri.EscapeDataString(text)), ["from"], ["name"], []);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), query.Timestamp("from"));
        Assert.True(query.IsValid);
    }

    [Fact]
    public void A_bad_timestamp_is_named()
    {
        var query = ListQuery.Parse(Request("?from=yesterday"), ["from"], ["name"], []);
        Assert.Null(query.Timestamp("from"));
        Assert.Equal("from", Assert.Single(query.Errors).Field);
    }

    [Fact]
    public void ETags_are_strong_quoted_versions()
    {
        Assert.Equal("\"7\"", EntityTags.Format(7));
        var context = new DefaultHttpContext();
        EntityTags.Write(context.Response, 12);
        Assert.Equal("\"12\"", context.Response.Headers.ETag.ToString());
    }

    [Theory]
    [InlineData(new string[0], 5, true)]
    [InlineData(new[] { "\"5\"" }, 5, true)]
    [InlineData(new[] { "\"4\"" }, 5, false)]
    [InlineData(new[] { "\"4\", \"5\"" }, 5, true)]
    [InlineData(new[] { "\"4\"", "\"5\"" }, 5, true)]
    [InlineData(new[] { "*" }, 5, true)]
    [InlineData(new[] { "W/\"5\"" }, 5, false)]
    [InlineData(new[] { "\"abc\"" }, 5, false)]
    [InlineData(new[] { "\"-5\"" }, 5, false)]
    public void If_match_decides_which_versions_may_change(string[] header, int current, bool accepted)
    {
        var (expected, error) = EntityTags.ReadIfMatch(Request(string.Empty, header));
        Assert.Null(error);
        Assert.Equal(accepted, expected!.Accepts(current));
        Assert.Equal(header.Length == 0 || header[0] == "*", expected.IsAny);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("\"5")]
    [InlineData("\"5\" garbage")]
    [InlineData(",")]
    public void Malformed_if_match_is_an_error_naming_the_header(string header)
    {
        var (expected, error) = EntityTags.ReadIfMatch(Request(string.Empty, header));
        Assert.Null(expected);
        Assert.Equal("If-Match", error!.Field);
    }

    [Fact]
    public void Patch_bodies_know_which_properties_were_named()
    {
        var request = JsonSerializer.Deserialize("""{"name":"Neu","vat_id":null}""", ApiJsonContext.Default.UpdateCustomerRequest)!;
        var patch = request.ToPatch();
        Assert.Equal(new(true, "Neu"), patch.Name);
        Assert.Equal(new(true, null), patch.VatId);
        Assert.False(patch.Notes.IsSet);
        Assert.False(patch.IsActive.IsSet);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"nmae":"x"}""", ApiJsonContext.Default.UpdateCustomerRequest));
    }

    [Fact]
    public void Changed_fields_ignore_bookkeeping()
    {
        var before = JsonSerializer.SerializeToNode(Sample, DomainJsonContext.Default.Customer)!.AsObject();
        var after = JsonSerializer.SerializeToNode(Sample with { Name = "Neu", City = null, Version = 4, UpdatedAt = DateTimeOffset.UtcNow }, DomainJsonContext.Default.Customer)!.AsObject();
        Assert.Equal(["name", "city"], ChangeLog.ChangedFields(before, after));
        Assert.Empty(ChangeLog.ChangedFields(before, JsonNode.Parse(before.ToJsonString())!.AsObject()));
    }
}
