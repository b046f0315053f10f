using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>
/// Two customer companies, a user of every role and helpers for the comment and time-entry tests. Tickets are written
/// straight into the table: the tickets endpoints are not what these tests are about. One per test class (each test
/// works on tickets of its own).
/// </summary>
public sealed class ServiceDeskFixture : IAsyncLifetime
{
    public ApiServer Api { get; private set; } = null!;

    public Guid CustomerA { get; private set; }

    public Guid CustomerB { get; private set; }

    public User Manager { get; private set; } = null!;

    public User Technician { get; private set; } = null!;

    public User OtherTechnician { get; private set; } = null!;

    public User BillingUser { get; private set; } = null!;

    public User PortalA { get; private set; } = null!;

    public User PortalB { get; private set; } = null!;

    public NpgsqlDataSource Db => Api.Db;

    public HttpClient Admin => Api.Client;

    public HttpClient AsManager { get; private set; } = null!;

    public HttpClient AsTechnician { get; private set; } = null!;

    public HttpClient AsOtherTechnician { get; private set; } = null!;

    public HttpClient AsBilling { get; private set; } = null!;

    public HttpClient AsPortalA { get; private set; } = null!;

    public HttpClient AsPortalB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Api = await ApiServer.StartAsync();
        var api = Api;
        var fixture = this;
        fixture.CustomerA = (await Rest.CreateAsync(api.Client, "/api/v1/customers", """{"name":"Kunde A GmbH"}""")).Id;
        fixture.CustomerB = (await Rest.CreateAsync(api.Client, "/api/v1/customers", """{"name":"Kunde B AG"}""")).Id;
        fixture.Manager = await api.CreateUserAsync(Roles.ServiceManager);
        fixture.Technician = await api.CreateUserAsync(Roles.TechnicianL1);
        fixture.OtherTechnician = await api.CreateUserAsync(Roles.TechnicianL2);
        fixture.BillingUser = await api.CreateUserAsync(Roles.Billing);
        fixture.PortalA = await api.CreateUserAsync(Roles.CustomerAdmin, fixture.CustomerA);
        fixture.PortalB = await api.CreateUserAsync(Roles.CustomerAdmin, fixture.CustomerB);
        fixture.AsManager = api.ClientFor(fixture.Manager);
        fixture.AsTechnician = api.ClientFor(fixture.Technician);
        fixture.AsOtherTechnician = api.ClientFor(fixture.OtherTechnician);
        fixture.AsBilling = api.ClientFor(fixture.BillingUser);
        fixture.AsPortalA = api.ClientFor(fixture.PortalA);
        fixture.AsPortalB = api.ClientFor(fixture.PortalB);
    }

    /// <summary>A live ticket of <paramref name="customerId"/>, inserted with SQL.</summary>
    public Task<Guid> TicketAsync(Guid customerId, string status = "new") => Db.TicketAsync(customerId, status);

    /// <summary>Everything a comment or time-entry mutation could touch; equal before and after means nothing was written.</summary>
    public async Task<string> FootprintAsync() =>
        string.Join(
            '/',
            await Api.Db.CountAsync("SELECT count(*) FROM ticket_comments WHERE deleted_at IS NULL"),
            await Api.Db.CountAsync("SELECT count(*) FROM time_entries WHERE deleted_at IS NULL"),
            await Api.Db.CountAsync("SELECT count(*) FROM audit_log"),
            await Api.Db.CountAsync("SELECT count(*) FROM outbox_events"),
            await Api.Db.CountAsync("SELECT coalesce(sum(version), 0)::bigint FROM (SELECT version FROM ticket_comments UNION ALL SELECT version FROM time_entries UNION ALL SELECT version FROM tickets) v"),
            await Api.Db.CountAsync("SELECT count(first_response_at) FROM tickets"));

    /// <summary>Makes every outbox insert whose payload matches <paramref name="marker"/> fail until disposed.</summary>
    public async Task<IAsyncDisposable> FailEventsContainingAsync(string marker)
    {
        await Db.ExecuteAsync($$"""
            CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.payload::text LIKE '%{{marker}}%' THEN RAISE EXCEPTION 'outbox refused'; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox_events FOR EACH ROW EXECUTE FUNCTION fail_outbox();
            """);
        return new Cleanup(() => Db.ExecuteAsync("DROP TRIGGER fail_outbox ON outbox_events; DROP FUNCTION fail_outbox();"));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in new[] { AsManager, AsTechnician, AsOtherTechnician, AsBilling, AsPortalA, AsPortalB })
        {
            client?.Dispose();
        }

        await Api.DisposeAsync();
    }

    private sealed class Cleanup(Func<Task> run) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await run();
    }
}
