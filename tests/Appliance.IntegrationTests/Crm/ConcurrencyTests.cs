using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Crm;

/// <summary>ETag and If-Match on real PostgreSQL: a lost update is refused with 412 and nothing is written.</summary>
public sealed class ConcurrencyTests : IAsyncLifetime
{
    private ApiServer _api = null!;

    public async Task InitializeAsync() => _api = await ApiServer.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Each_answer_about_one_resource_carries_its_current_etag()
    {
        var created = await Rest.CreateCustomerAsync(_api.Client);
        Assert.Equal("\"1\"", created.ETag);
        Assert.Equal("\"1\"", (await Rest.GetAsync(_api.Client, $"/api/v1/customers/{created.Id}")).ETag);
        Assert.Equal("\"1\"", (await Rest.GetAsync(_api.Client, $"/api/v1/customers/{created.Id}?fields=name&include=contacts")).ETag);
        var patched = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", """{"notes":"eins"}""", "\"1\"");
        Assert.Equal("\"2\"", patched.ETag);
        Assert.Equal("\"2\"", (await Rest.GetAsync(_api.Client, $"/api/v1/customers/{created.Id}")).ETag);
    }

    [Fact]
    public async Task A_stale_etag_is_412_with_the_current_tag_and_nothing_is_written()
    {
        var created = await Rest.CreateCustomerAsync(_api.Client);
        var url = $"/api/v1/customers/{created.Id}";
        Assert.Equal(200, (await Rest.PatchAsync(_api.Client, url, """{"notes":"zuerst"}""", created.ETag)).Status);
        var before = await Crm.FootprintAsync(_api);

        var stale = await Rest.PatchAsync(_api.Client, url, """{"notes":"verloren"}""", created.ETag);
        var error = await ApiServer.AssertErrorAsync(stale.Response, 412, "PRECONDITION_FAILED");
        Assert.Equal(["If-Match"], Rest.DetailFields(error));
        Assert.Equal("\"2\"", stale.ETag);
        await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(_api.Client, url, created.ETag)).Response, 412, "PRECONDITION_FAILED");
        Assert.Equal(before, await Crm.FootprintAsync(_api));
        Assert.Equal("zuerst", (await Rest.GetAsync(_api.Client, url)).Body.GetProperty("notes").GetString());
    }

    [Theory]
    [InlineData("*", 200)]
    [InlineData("\"7\", \"1\"", 200)]
    [InlineData("W/\"1\"", 412)]
    [InlineData("\"2\"", 412)]
    [InlineData("\"abc\"", 412)]
    public async Task If_match_forms(string header, int status)
    {
        var created = await Rest.CreateCustomerAsync(_api.Client);
        var answer = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", """{"notes":"x"}""", header);
        Assert.Equal(status, answer.Status);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"1")]
    [InlineData("\"1\" junk")]
    public async Task A_malformed_if_match_is_400_naming_the_header_and_nothing_is_written(string header)
    {
        var created = await Rest.CreateCustomerAsync(_api.Client);
        var before = await Crm.FootprintAsync(_api);
        var patch = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", """{"notes":"x"}""", header);
        Assert.Equal(["If-Match"], Rest.DetailFields(await ApiServer.AssertErrorAsync(patch.Response, 400, "INVALID_INPUT")));
        var delete = await Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{created.Id}", header);
        await ApiServer.AssertErrorAsync(delete.Response, 400, "INVALID_INPUT");
        Assert.Equal(before, await Crm.FootprintAsync(_api));
    }

    [Fact]
    public async Task Without_if_match_the_change_applies_to_the_current_version()
    {
        var created = await Rest.CreateCustomerAsync(_api.Client);
        await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", """{"notes":"a"}""");
        var second = await Rest.PatchAsync(_api.Client, $"/api/v1/customers/{created.Id}", """{"notes":"b"}""");
        Assert.Equal((200, "\"3\""), (second.Status, second.ETag));
    }

    [Fact]
    public async Task Racing_writers_with_one_etag_one_wins_the_rest_get_412()
    {
        for (var round = 0; round < 5; round++)
        {
            var created = await Rest.CreateCustomerAsync(_api.Client);
            var url = $"/api/v1/customers/{created.Id}";
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                Rest.PatchAsync(_api.Client, url, $$"""{"notes":"Schreiber {{i}}"}""", created.ETag)));
            var winner = Assert.Single(answers, a => a.Status == 200);
            Assert.All(answers.Where(a => a != winner), a => Assert.Equal(412, a.Status));
            var stored = await Rest.GetAsync(_api.Client, url);
            Assert.Equal(winner.Body.GetProperty("notes").GetString(), stored.Body.GetProperty("notes").GetString());
            Assert.Equal("\"2\"", stored.ETag);
            Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM audit_log WHERE entity_id = @id AND action = 'updated'", ("id", created.Id.ToString())));
            Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM outbox_events WHERE aggregate_id = @id AND event_type = 'customer.updated'", ("id", created.Id.ToString())));
        }
    }

    [Fact]
    public async Task A_patch_racing_a_delete_cannot_resurrect_or_lose_it()
    {
        var created = await Rest.CreateCustomerAsync(_api.Client);
        var url = $"/api/v1/customers/{created.Id}";
        var answers = await Task.WhenAll(
            Rest.PatchAsync(_api.Client, url, """{"notes":"spät"}""", created.ETag),
            Rest.DeleteAsync(_api.Client, url, created.ETag));
        Assert.Single(answers, a => a.Status is 200 or 204);
        Assert.Single(answers, a => a.Status is 412 or 404);
    }

    [Fact]
    public async Task Contacts_made_primary_at_once_all_succeed_and_one_stays_primary()
    {
        // Both writers wait for the current primary's lock; the second then finds it already demoted and would
        // collide with the first on the one-primary index. The store runs it again instead of answering 409 or 500.
        for (var round = 0; round < 5; round++)
        {
            var customer = await Rest.CreateCustomerAsync(_api.Client);
            var contacts = new List<Guid>();
            for (var i = 0; i < 3; i++)
            {
                contacts.Add((await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer.Id}/contacts", $$"""{"last_name":"Kontakt {{i}}","is_primary":true}""")).Id);
            }

            var answers = await Task.WhenAll(contacts.Take(2).Select(id => Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{id}", """{"is_primary":true}""")));
            Assert.All(answers, a => Assert.Equal(200, a.Status));
            Assert.Equal(1, await _api.Db.CountAsync("SELECT count(*) FROM contacts WHERE customer_id = @c AND is_primary", ("c", customer.Id)));
        }
    }

    [Fact]
    public async Task Deleting_a_customer_while_its_contacts_change_never_answers_500()
    {
        for (var round = 0; round < 5; round++)
        {
            var customer = await Rest.CreateCustomerAsync(_api.Client);
            var contacts = new List<Guid>();
            for (var i = 0; i < 3; i++)
            {
                contacts.Add((await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer.Id}/contacts", $$"""{"last_name":"Kontakt {{i}}","is_primary":true}""")).Id);
            }

            var changes = contacts.Take(2).Select(id => Rest.PatchAsync(_api.Client, $"/api/v1/contacts/{id}", """{"is_primary":true}"""));
            var answers = await Task.WhenAll(changes.Append(Rest.DeleteAsync(_api.Client, $"/api/v1/customers/{customer.Id}")));
            Assert.All(answers, a => Assert.True(a.Status is 200 or 204 or 404, $"{a.Status} {a.Body}"));
            Assert.Equal(204, answers[^1].Status);
            Assert.Equal(0, await _api.Db.CountAsync("SELECT count(*) FROM contacts WHERE customer_id = @c AND deleted_at IS NULL", ("c", customer.Id)));
        }
    }

    [Fact]
    public async Task Contacts_and_sites_use_the_same_tags()
    {
        var customer = await Rest.CreateCustomerAsync(_api.Client);
        var contact = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer.Id}/contacts", """{"last_name":"Tag"}""");
        var site = await Rest.CreateAsync(_api.Client, $"/api/v1/customers/{customer.Id}/sites", """{"name":"Tagsitz"}""");
        foreach (var (url, body) in new[] { ($"/api/v1/contacts/{contact.Id}", """{"role":"Chef"}"""), ($"/api/v1/sites/{site.Id}", """{"city":"Bonn"}""") })
        {
            Assert.Equal("\"1\"", (await Rest.GetAsync(_api.Client, url)).ETag);
            Assert.Equal("\"2\"", (await Rest.PatchAsync(_api.Client, url, body, "\"1\"")).ETag);
            await ApiServer.AssertErrorAsync((await Rest.PatchAsync(_api.Client, url, body, "\"1\"")).Response, 412, "PRECONDITION_FAILED");
            await ApiServer.AssertErrorAsync((await Rest.DeleteAsync(_api.Client, url, "\"1\"")).Response, 412, "PRECONDITION_FAILED");
            Assert.Equal(204, (await Rest.DeleteAsync(_api.Client, url, "\"2\"")).Status);
        }
    }
}
