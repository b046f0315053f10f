using Npgsql;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>Records written straight to the tables, for tests whose subject is another endpoint than the one that
/// would create them (and which must not be shaped by auto-assignment or SLA rules on the way in).</summary>
public static class Seed
{
    /// <summary>A customer with a unique number and a name made unique from <paramref name="name"/>.</summary>
    public static Task<Guid> CustomerAsync(this NpgsqlDataSource db, string name, Guid? slaPolicyId = null) =>
        db.ScalarAsync<Guid>(
            "INSERT INTO customers (customer_number, name, sla_policy_id) VALUES (@number, @name, @policy) RETURNING id",
            ("number", "T-" + Guid.NewGuid().ToString("N")[..10]),
            ("name", name + " " + Guid.NewGuid().ToString("N")[..6]),
            ("policy", (object?)slaPolicyId ?? DBNull.Value));

    /// <summary>
    /// A policy open around the clock (so a due date is creation plus the target, to the microsecond): response/resolution
    /// minutes critical 60/240, high 120/480, medium 240/1440, low 480/2880.
    /// </summary>
    public static Task<Guid> AlwaysOpenPolicyAsync(this NpgsqlDataSource db) =>
        db.ScalarAsync<Guid>(
            """
            WITH p AS (
                INSERT INTO sla_policies (name, is_default, time_zone, critical_response_minutes, critical_resolution_minutes,
                    high_response_minutes, high_resolution_minutes, medium_response_minutes, medium_resolution_minutes,
                    low_response_minutes, low_resolution_minutes)
                VALUES (@name, false, 'Europe/Berlin', 60, 240, 120, 480, 240, 1440, 480, 2880)
                RETURNING id),
            h AS (INSERT INTO sla_policy_hours (policy_id, weekday, start_time, end_time)
                  SELECT p.id, d, '00:00', '24:00' FROM p, generate_series(1, 7) d)
            SELECT id FROM p
            """,
            ("name", "24x7 " + Guid.NewGuid().ToString("N")[..8]));

    public static Task<Guid> ContactAsync(this NpgsqlDataSource db, Guid customerId) =>
        db.ScalarAsync<Guid>("INSERT INTO contacts (customer_id, first_name, last_name) VALUES (@c, 'Sea', 'Seed') RETURNING id", ("c", customerId));

    public static Task<Guid> SiteAsync(this NpgsqlDataSource db, Guid customerId) =>
        db.ScalarAsync<Guid>("INSERT INTO sites (customer_id, name) VALUES (@c, 'Seed site') RETURNING id", ("c", customerId));

    /// <summary>A live ticket of <paramref name="customerId"/> in <paramref name="status"/>, assigned to
    /// <paramref name="assignedTo"/> when given.</summary>
    public static Task<Guid> TicketAsync(this NpgsqlDataSource db, Guid customerId, string status = "new", Guid? assignedTo = null) =>
        db.ScalarAsync<Guid>(
            "INSERT INTO tickets (title, description, customer_id, status, assigned_to) VALUES ('Drucker streikt', 'Der Drucker im 2. OG druckt nicht mehr', @customer, @status, @assignee) RETURNING id",
            ("customer", customerId),
            ("status", status),
            ("assignee", (object?)assignedTo ?? DBNull.Value));

    /// <summary>An unapproved, billable 30-minute remote entry of <paramref name="userId"/> on today's date.</summary>
    public static Task<Guid> TimeEntryAsync(this NpgsqlDataSource db, Guid ticketId, Guid userId) =>
        db.ScalarAsync<Guid>(
            "INSERT INTO time_entries (ticket_id, user_id, work_date, minutes, work_type) VALUES (@t, @u, current_date, 30, 'remote') RETURNING id",
            ("t", ticketId),
            ("u", userId));
}
