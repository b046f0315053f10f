using System.Globalization;
using System.Net;
using System.Text.Json;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Platform;
using Appliance.Platform.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Appliance.IntegrationTests.Database;

/// <summary>
/// A statement that fails in PostgreSQL must not leave its pooled connection out of step: Npgsql loses track of an
/// automatically prepared statement whose preparing execution failed, and the next list on that connection read the
/// count's one-column result as its rows (issue 11, section 9). On a one-connection pool every request meets the
/// connection the failing one used.
/// </summary>
public sealed class PooledConnectionStateTests
{
    [Fact]
    public async Task Failing_and_succeeding_lists_interleaved_on_one_connection_each_get_their_own_rows()
    {
        await using var database = await TestDatabase.CreateAsync();
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1, Timeout = 5 }.ConnectionString;
        await using var dataSource = ApplianceDataSource.Create(connectionString, "pool-state-tests");
        var log = new AuditLog(dataSource);
        var context = new AuditContext(AuditActor.System, null, "tests", null);
        for (var i = 0; i < 3; i++)
        {
            await log.WriteAsync(context, new AuditEntry("alpha", $"a{i}", "created"), CancellationToken.None);
        }

        for (var i = 0; i < 5; i++)
        {
            await log.WriteAsync(context, new AuditEntry("beta", $"b{i}", "created"), CancellationToken.None);
        }

        var page = new PageRequest(1, 20);
        for (var round = 0; round < 12; round++)
        {
            // A text parameter PostgreSQL refuses at bind time (22021), the way a NUL in a query string reached it.
            await Assert.ThrowsAsync<PostgresException>(() => log.ListAsync(new AuditFilter(null, "x\0y", null, null, null, null), AuditLog.DefaultSort, page, CancellationToken.None));
            var type = round % 2 == 0 ? "alpha" : "beta";
            var rows = await log.ListAsync(new AuditFilter(type, null, null, null, null, null), AuditLog.DefaultSort, page, CancellationToken.None);
            Assert.Equal(type == "alpha" ? 3 : 5, rows.Total);
            Assert.Equal(type == "alpha" ? 3 : 5, rows.Items.Count);
            Assert.All(rows.Items, r => Assert.Equal(type, r.EntityType));
        }
    }

    [Fact]
    public async Task Duplicate_emails_refused_again_and_again_leave_the_one_pooled_connection_in_step()
    {
        await using var database = await TestDatabase.CreateAsync();
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1, Timeout = 5 }.ConnectionString;
        await using var dataSource = ApplianceDataSource.Create(connectionString, "pool-state-tests");
        var users = new UserStore(dataSource);
        var principal = Principal.System("tests");
        var taken = UserRules.ValidateNew("taken@test.example", "Taken", Roles.TechnicianL1, null, "de", [], ApiServer.DefaultPassword);
        Assert.Equal(WriteStatus.Done, (await users.CreateAsync(taken, principal, CancellationToken.None)).Status);
        for (var round = 0; round < 8; round++)
        {
            // The same INSERT fails on its third use, the one Npgsql prepares automatically.
            var duplicate = await users.CreateAsync(taken, principal, CancellationToken.None);
            Assert.Equal(WriteStatus.Conflict, duplicate.Status);
            var fresh = UserRules.ValidateNew($"fresh{round}@test.example", $"Fresh {round}", Roles.TechnicianL2, null, "en", [], ApiServer.DefaultPassword);
            var created = await users.CreateAsync(fresh, principal, CancellationToken.None);
            Assert.Equal($"fresh{round}@test.example", created.Value!.Email);
            Assert.Equal(Roles.TechnicianL2, (await users.GetAsync(created.Value.Id, CancellationToken.None))!.Role);
        }
    }

    [Fact]
    public async Task Api_lists_interleaved_with_lists_failing_in_postgres_on_a_one_connection_pool_answer_their_own_rows()
    {
        await using var api = await ApiServer.StartAsync(maxPoolSize: 1, mapExtra: app =>
            app.MapGet("/test/failing-list", static async (int divisor, NpgsqlDataSource dataSource, CancellationToken ct) =>
            {
                // Another list shape whose statements fail in PostgreSQL (22012) when the divisor is 0.
                var rows = await PagedQuery.ReadAsync(
                    dataSource,
                    "entity_id, action",
                    "FROM audit_log WHERE 10 / @divisor > 0",
                    " ORDER BY id",
                    p => p.Add(new NpgsqlParameter<int>("divisor", divisor)),
                    new PageRequest(1, 5),
                    r => r.GetString(0),
                    ct);
                return TypedResults.Ok(rows.Total.ToString(CultureInfo.InvariantCulture));
            }));
        for (var i = 0; i < 4; i++)
        {
            var created = await api.Client.PostAsync("/api/v1/customers", ApiServer.Json($$"""{"name":"Pool {{i}} GmbH"}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        for (var round = 0; round < 12; round++)
        {
            using var failing = await api.Client.GetAsync("/test/failing-list?divisor=0");
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
            Assert.Equal("INTERNAL_ERROR", (await ApiServer.ReadJsonAsync(failing)).GetProperty("error").GetProperty("code").GetString());

            using var customers = await api.Client.GetAsync("/api/v1/customers?search=Pool&sort=name");
            Assert.Equal(HttpStatusCode.OK, customers.StatusCode);
            var customerBody = await ApiServer.ReadJsonAsync(customers);
            Assert.Equal(4, customerBody.GetProperty("meta").GetProperty("total").GetInt64());
            Assert.Equal(["Pool 0 GmbH", "Pool 1 GmbH", "Pool 2 GmbH", "Pool 3 GmbH"], customerBody.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray());

            using var audit = await api.Client.GetAsync("/api/v1/audit-log?entity_type=customer&action=created");
            Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
            var auditBody = await ApiServer.ReadJsonAsync(audit);
            Assert.Equal(4, auditBody.GetProperty("meta").GetProperty("total").GetInt64());
            Assert.All(auditBody.GetProperty("data").EnumerateArray(), a => Assert.Equal("customer", a.GetProperty("entity_type").GetString()));

            using var working = await api.Client.GetAsync("/test/failing-list?divisor=1");
            Assert.Equal(HttpStatusCode.OK, working.StatusCode);
            Assert.Equal(JsonValueKind.String, (await ApiServer.ReadJsonAsync(working)).ValueKind);
        }
    }
}
