using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Crm;

/// <summary>What the CRM tests check after a refused request: nothing written to the CRM tables.</summary>
public static class Crm
{
    /// <summary>Rows in the tables every mutation writes to: nothing written means none of these moved.</summary>
    public static async Task<(long Customers, long Contacts, long Sites, long Audit, long Outbox, long Versions)> FootprintAsync(ApiServer api)
    {
        ArgumentNullException.ThrowIfNull(api);
        return (await api.Db.CountAsync("SELECT count(*) FROM customers WHERE deleted_at IS NULL"),
            await api.Db.CountAsync("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
            await api.Db.CountAsync("SELECT count(*) FROM sites WHERE deleted_at IS NULL"),
            await api.Db.CountAsync("SELECT count(*) FROM audit_log"),
            await api.Db.CountAsync("SELECT count(*) FROM outbox_events"),
            await api.Db.CountAsync("SELECT coalesce(sum(version), 0)::bigint FROM (SELECT version FROM customers UNION ALL SELECT version FROM contacts UNION ALL SELECT version FROM sites) v"));
    }
}
