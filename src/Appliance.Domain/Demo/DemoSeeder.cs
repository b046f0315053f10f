using Appliance.Domain.Tickets;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Demo;

public sealed record DemoSeedResult(bool Seeded, int Customers, int Users, int Tickets, int Contacts = 0, int Sites = 0);

/// <summary>
/// Fills an empty appliance with a small, believable MSP so that a first look shows a working queue.
/// Runs once: a database that already has an organization is left alone.
/// </summary>
public sealed class DemoSeeder(NpgsqlDataSource dataSource)
{
    private static readonly (string Number, string Name, string Vat, string Language, string Street, string PostalCode, string City, string Country)[] Customers =
    [
        ("K-1001", "Bäckerei Schmidt GmbH", "DE811907980", "de", "Hauptstraße 12", "10115", "Berlin", "DE"),
        ("K-1002", "Kanzlei Weber & Partner", "DE129273398", "de", "Königsallee 45", "40212", "Düsseldorf", "DE"),
        ("K-1003", "Autohaus Müller KG", "DE118619681", "de", "Industriestraße 7", "70565", "Stuttgart", "DE"),
        ("K-1004", "Northwind Logistics Ltd", "GB123456789", "en", "12 Dock Road", "E16 1AA", "London", "GB"),
        ("K-1005", "Praxis Dr. Keller", "DE136695976", "de", "Marktplatz 3", "80331", "München", "DE"),
    ];

    // Per customer (same order): the primary contact first.
    private static readonly (string First, string Last, string Role, string Phone)[][] Contacts =
    [
        [("Karl", "Schmidt", "Geschäftsführer", "+49 30 5550101"), ("Jana", "Koch", "Filialleitung", "+49 30 5550102")],
        [("Dr. Eva", "Weber", "Partnerin", "+49 211 5550201"), ("Timo", "Brandl", "Büroleitung", "+49 211 5550202")],
        [("Uwe", "Müller", "Inhaber", "+49 711 5550301"), ("Sven", "Roth", "Werkstattleitung", "+49 711 5550302")],
        [("Oliver", "Hughes", "IT Manager", "+44 20 79460401"), ("Priya", "Shah", "Operations", "+44 20 79460402")],
        [("Dr. Lena", "Keller", "Praxisinhaberin", "+49 89 5550501"), ("Mia", "Wolf", "Praxismanagement", "+49 89 5550502")],
    ];

    private static readonly (string Name, string Street, string PostalCode, string City)[][] Sites =
    [
        [("Hauptsitz", "Hauptstraße 12", "10115", "Berlin"), ("Filiale Prenzlauer Berg", "Kastanienallee 30", "10435", "Berlin")],
        [("Kanzlei", "Königsallee 45", "40212", "Düsseldorf")],
        [("Autohaus", "Industriestraße 7", "70565", "Stuttgart"), ("Werkstatt", "Industriestraße 9", "70565", "Stuttgart")],
        [("London Depot", "12 Dock Road", "E16 1AA", "London")],
        [("Praxis", "Marktplatz 3", "80331", "München")],
    ];

    private static readonly (string Email, string Name, string Role, string[] Skills)[] Staff =
    [
        ("manager@demo-msp.example", "Sabine Brandt", "service_manager", []),
        ("l1.anna@demo-msp.example", "Anna Vogel", "technician_l1", ["hardware", "printing", "accounts"]),
        ("l1.jonas@demo-msp.example", "Jonas Becker", "technician_l1", ["email", "accounts"]),
        ("l2.mehmet@demo-msp.example", "Mehmet Yilmaz", "technician_l2", ["network", "server", "security"]),
        ("billing@demo-msp.example", "Petra Lang", "billing", []),
    ];

    private static readonly (string Title, string Description, string Category, string Priority, string Status, string Source)[] Tickets =
    [
        ("Drucker im Empfang druckt nicht", "Der Laserdrucker am Empfang zeigt Papierstau, obwohl kein Papier klemmt.", "printing", "medium", "new", "phone"),
        ("VPN-Verbindung bricht ab", "Seit dem Update trennt sich der VPN-Client alle 10 Minuten.", "network", "high", "in_progress", "portal"),
        ("Neuer Mitarbeiter: Konto anlegen", "Bitte ein Konto und ein Postfach für Frau Neumann zum 1. anlegen.", "accounts", "low", "assigned", "email"),
        ("Server antwortet nicht", "Der Dateiserver ist seit 8 Uhr nicht erreichbar, niemand kann arbeiten.", "server", "critical", "in_progress", "phone"),
        ("Outlook fragt ständig nach Passwort", "Outlook auf zwei Arbeitsplätzen fragt nach jedem Neustart nach dem Kennwort.", "email", "medium", "waiting_customer", "portal"),
        ("Firewall-Regel für Kassensystem", "Das neue Kassensystem braucht eine Freigabe für den Zahlungsanbieter.", "network", "high", "new", "api"),
        ("Monitor flackert", "Der zweite Monitor am Arbeitsplatz 3 flackert sporadisch.", "hardware", "low", "resolved", "portal"),
        ("Verdächtige E-Mail erhalten", "Eine Mitarbeiterin hat auf einen Link in einer Phishing-Mail geklickt.", "security", "critical", "assigned", "phone"),
    ];

    public async Task<DemoSeedResult> SeedAsync(string adminEmail, string adminPassword, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockOrg = new NpgsqlCommand("LOCK TABLE organization IN EXCLUSIVE MODE", connection, transaction))
        {
            await lockOrg.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var exists = new NpgsqlCommand("SELECT count(*) FROM organization", connection, transaction))
        {
            if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                return new DemoSeedResult(false, 0, 0, 0);
            }
        }

        await ExecuteAsync(connection, transaction, "INSERT INTO organization (name) VALUES ('Demo MSP GmbH')", cancellationToken);

        var adminHash = Identity.PasswordPolicy.Hash(adminEmail, adminPassword);
        await InsertUserAsync(connection, transaction, adminEmail, "Appliance Admin", "system_admin", null, [], adminHash, cancellationToken);

        var technicians = new List<Guid>();
        foreach (var (email, name, role, skills) in Staff)
        {
            var id = await InsertUserAsync(connection, transaction, email, name, role, null, skills, null, cancellationToken);
            if (role.StartsWith("technician", StringComparison.Ordinal))
            {
                technicians.Add(id);
            }
        }

        var customerIds = new List<Guid>();
        var (contactCount, siteCount) = (0, 0);
        foreach (var (index, (number, name, vat, language, street, postalCode, city, country)) in Customers.Index())
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO customers (customer_number, name, vat_id, language, street, postal_code, city, country)
                VALUES (@n, @name, @vat, @lang, @street, @postal_code, @city, @country) RETURNING id
                """,
                connection,
                transaction);
            insert.Parameters.Add(new NpgsqlParameter<string>("n", number));
            insert.Parameters.Add(new NpgsqlParameter<string>("name", name));
            insert.Parameters.Add(new NpgsqlParameter<string>("vat", vat));
            insert.Parameters.Add(new NpgsqlParameter<string>("lang", language));
            insert.Parameters.Add(new NpgsqlParameter<string>("street", street));
            insert.Parameters.Add(new NpgsqlParameter<string>("postal_code", postalCode));
            insert.Parameters.Add(new NpgsqlParameter<string>("city", city));
            insert.Parameters.Add(new NpgsqlParameter<string>("country", country));
            var customerId = (Guid)(await insert.ExecuteScalarAsync(cancellationToken))!;
            customerIds.Add(customerId);
            var slug = number.ToLowerInvariant();
            await InsertUserAsync(connection, transaction, $"admin@{slug}.example", $"IT-Kontakt {name}", "customer_admin", customerId, [], null, cancellationToken);
            contactCount += await InsertContactsAsync(connection, transaction, customerId, slug, Contacts[index], cancellationToken);
            siteCount += await InsertSitesAsync(connection, transaction, customerId, country, Sites[index], cancellationToken);
        }

        // Due dates from the default SLA policy (the migration seeds it), as the ticket module computes them on create.
        Guid policyId;
        await using (var policy = new NpgsqlCommand("SELECT id FROM sla_policies WHERE is_default", connection, transaction))
        {
            policyId = (Guid)(await policy.ExecuteScalarAsync(cancellationToken))!;
        }

        var terms = await new SlaPolicySource().ByIdAsync(connection, transaction, policyId, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var ticketCount = 0;
        for (var i = 0; i < Tickets.Length * 2; i++)
        {
            var (title, description, category, priority, status, source) = Tickets[i % Tickets.Length];
            Guid? assignee = status == "new" ? null : technicians[i % technicians.Count];
            var createdAt = now.AddHours(-(Tickets.Length * 2 - i) * 7);
            var due = TicketSla.ForNewTicket(terms, priority, createdAt);
            await using var insert = new NpgsqlCommand(
                """
                WITH ticket AS (
                    INSERT INTO tickets (title, description, status, priority, category, tags, customer_id, assigned_to, source, created_at, updated_at,
                                         sla_policy_id, sla_response_due, sla_resolution_due, first_response_at, resolved_at, sla_paused_since)
                    VALUES (@title, @description, @status, @priority, @category, @tags, @customer, @assignee, @source, @created, @created,
                            @policy, @response_due, @resolution_due,
                            CASE WHEN @status <> 'new' THEN @created + interval '20 minutes' END,
                            CASE WHEN @status = 'resolved' THEN @now END,
                            CASE WHEN @status = 'waiting_customer' THEN @now - interval '1 hour' END)
                    RETURNING id, sla_paused_since)
                INSERT INTO ticket_sla_pauses (ticket_id, paused_at) SELECT id, sla_paused_since FROM ticket WHERE sla_paused_since IS NOT NULL
                """,
                connection,
                transaction);
            insert.Parameters.Add(new NpgsqlParameter<string>("title", title));
            insert.Parameters.Add(new NpgsqlParameter<string>("description", description));
            insert.Parameters.Add(new NpgsqlParameter<string>("status", status));
            insert.Parameters.Add(new NpgsqlParameter<string>("priority", priority));
            insert.Parameters.Add(new NpgsqlParameter<string>("category", category));
            insert.Parameters.Add(new NpgsqlParameter<string[]>("tags", [category, "demo"]));
            insert.Parameters.Add(new NpgsqlParameter<Guid>("customer", customerIds[i % customerIds.Count]));
            insert.Parameters.Add(new NpgsqlParameter<Guid?>("assignee", NpgsqlDbType.Uuid) { TypedValue = assignee });
            insert.Parameters.Add(new NpgsqlParameter<string>("source", source));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("created", createdAt));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            insert.Parameters.Add(new NpgsqlParameter<Guid>("policy", policyId));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("response_due", NpgsqlDbType.TimestampTz) { TypedValue = due.ResponseDue });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("resolution_due", NpgsqlDbType.TimestampTz) { TypedValue = due.ResolutionDue });
            await insert.ExecuteNonQueryAsync(cancellationToken);
            ticketCount++;
        }

        await transaction.CommitAsync(cancellationToken);
        return new DemoSeedResult(true, customerIds.Count, 1 + Staff.Length + customerIds.Count, ticketCount, contactCount, siteCount);
    }

    private static async Task<int> InsertContactsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customerId, string slug, (string First, string Last, string Role, string Phone)[] contacts, CancellationToken cancellationToken)
    {
        foreach (var (index, (first, last, role, phone)) in contacts.Index())
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO contacts (customer_id, first_name, last_name, email, phone, role, is_primary)
                VALUES (@customer, @first, @last, @email, @phone, @role, @primary)
                """,
                connection,
                transaction);
            insert.Parameters.Add(new NpgsqlParameter<Guid>("customer", customerId));
            insert.Parameters.Add(new NpgsqlParameter<string>("first", first));
            insert.Parameters.Add(new NpgsqlParameter<string>("last", last));
            insert.Parameters.Add(new NpgsqlParameter<string>("email", $"{last.ToLowerInvariant().Replace("ü", "ue", StringComparison.Ordinal)}@{slug}.example"));
            insert.Parameters.Add(new NpgsqlParameter<string>("phone", phone));
            insert.Parameters.Add(new NpgsqlParameter<string>("role", role));
            insert.Parameters.Add(new NpgsqlParameter<bool>("primary", index == 0));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return contacts.Length;
    }

    private static async Task<int> InsertSitesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customerId, string country, (string Name, string Street, string PostalCode, string City)[] sites, CancellationToken cancellationToken)
    {
        foreach (var (name, street, postalCode, city) in sites)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO sites (customer_id, name, street, postal_code, city, country) VALUES (@customer, @name, @street, @postal_code, @city, @country)",
                connection,
                transaction);
            insert.Parameters.Add(new NpgsqlParameter<Guid>("customer", customerId));
            insert.Parameters.Add(new NpgsqlParameter<string>("name", name));
            insert.Parameters.Add(new NpgsqlParameter<string>("street", street));
            insert.Parameters.Add(new NpgsqlParameter<string>("postal_code", postalCode));
            insert.Parameters.Add(new NpgsqlParameter<string>("city", city));
            insert.Parameters.Add(new NpgsqlParameter<string>("country", country));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return sites.Length;
    }

    private static async Task<Guid> InsertUserAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string email,
        string name,
        string role,
        Guid? customerId,
        string[] skills,
        string? passwordHash,
        CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO users (email, display_name, role, customer_id, skills, password_hash) VALUES (@e, @n, @r, @c, @s, @h) RETURNING id",
            connection,
            transaction);
        insert.Parameters.Add(new NpgsqlParameter<string>("e", email));
        insert.Parameters.Add(new NpgsqlParameter<string>("n", name));
        insert.Parameters.Add(new NpgsqlParameter<string>("r", role));
        insert.Parameters.Add(new NpgsqlParameter<Guid?>("c", NpgsqlDbType.Uuid) { TypedValue = customerId });
        insert.Parameters.Add(new NpgsqlParameter<string[]>("s", skills));
        insert.Parameters.Add(new NpgsqlParameter<string?>("h", NpgsqlDbType.Text) { TypedValue = passwordHash });
        return (Guid)(await insert.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
