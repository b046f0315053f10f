using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Npgsql;
using Rest = Appliance.IntegrationTests.Crm.Crm;

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
    public async Task<Guid> TicketAsync(Guid customerId, string status = "new")
    {
        await using var command = Api.Database!.DataSource.CreateCommand(
            "INSERT INTO tickets (title, description, customer_id, status) VALUES ('Drucker streikt', 'Der Drucker im 2. OG druckt nicht mehr', @customer, @status) RETURNING id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("customer", customerId));
        command.Parameters.Add(new NpgsqlParameter<string>("status", status));
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Api.Database!.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Api.Database!.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>Everything a comment or time-entry mutation could touch; equal before and after means nothing was written.</summary>
    public async Task<string> FootprintAsync() =>
        string.Join(
            '/',
            await Rest.CountAsync(Api, "SELECT count(*) FROM ticket_comments WHERE deleted_at IS NULL"),
            await Rest.CountAsync(Api, "SELECT count(*) FROM time_entries WHERE deleted_at IS NULL"),
            await Rest.CountAsync(Api, "SELECT count(*) FROM audit_log"),
            await Rest.CountAsync(Api, "SELECT count(*) FROM outbox_events"),
            await Rest.CountAsync(Api, "SELECT coalesce(sum(version), 0)::bigint FROM (SELECT version FROM ticket_comments UNION ALL SELECT version FROM time_entries UNION ALL SELECT version FROM tickets) v"),
            await Rest.CountAsync(Api, "SELECT count(first_response_at) FROM tickets"));

    /// <summary>The outbox event types of one aggregate, oldest first.</summary>
    public async Task<List<string>> EventsAsync(Guid aggregateId)
    {
        await using var command = Api.Database!.DataSource.CreateCommand("SELECT event_type FROM outbox_events WHERE aggregate_id = @id ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter("id", aggregateId.ToString()));
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<string>();
        while (await reader.ReadAsync())
        {
            events.Add(reader.GetString(0));
        }

        return events;
    }

    /// <summary>The audit actions of one entity, oldest first.</summary>
    public async Task<List<string>> AuditAsync(string entityType, Guid id)
    {
        await using var command = Api.Database!.DataSource.CreateCommand("SELECT action FROM audit_log WHERE entity_type = @type AND entity_id = @id ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter("type", entityType));
        command.Parameters.Add(new NpgsqlParameter("id", id.ToString()));
        await using var reader = await command.ExecuteReaderAsync();
        var actions = new List<string>();
        while (await reader.ReadAsync())
        {
            actions.Add(reader.GetString(0));
        }

        return actions;
    }

    /// <summary>Makes every outbox insert whose payload matches <paramref name="marker"/> fail until disposed.</summary>
    public async Task<IAsyncDisposable> FailEventsContainingAsync(string marker)
    {
        await ExecuteAsync($$"""
            CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.payload::text LIKE '%{{marker}}%' THEN RAISE EXCEPTION 'outbox refused'; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox_events FOR EACH ROW EXECUTE FUNCTION fail_outbox();
            """);
        return new Cleanup(() => ExecuteAsync("DROP TRIGGER fail_outbox ON outbox_events; DROP FUNCTION fail_outbox();"));
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
