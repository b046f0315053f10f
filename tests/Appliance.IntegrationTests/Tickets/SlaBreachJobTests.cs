using System.Text.Json.Nodes;
using Appliance.Domain.Tickets;
using Appliance.IntegrationTests.Infrastructure;
using Appliance.Worker;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Appliance.IntegrationTests.Tickets;

/// <summary>The SLA breach job: which tickets it flags, what it writes with each, and that the worker schedules it.</summary>
public sealed class SlaBreachJobTests(TicketKitFixture fixture) : IClassFixture<TicketKitFixture>
{
    private readonly TicketTestKit _kit = fixture.Kit;

    /// <summary>A ticket in <paramref name="status"/> whose due dates are moved as given (minutes from now; negative is past).</summary>
    private async Task<Guid> TicketAsync(Guid customer, string status, int responseDueIn, int resolutionDueIn, bool responded = false)
    {
        var id = (await _kit.CreateTicketAsync(customer)).GetProperty("id").GetGuid();
        if (status != "new")
        {
            await TicketTestKit.PatchOkAsync(_kit.Admin, id, new JsonObject { ["status"] = status });
        }

        await _kit.Db.ExecuteAsync(
            """
            UPDATE tickets SET sla_response_due = now() + make_interval(mins => @response), sla_resolution_due = now() + make_interval(mins => @resolution),
                               first_response_at = CASE WHEN @responded THEN now() - interval '1 minute' END
             WHERE id = @id
            """,
            ("id", id), ("response", responseDueIn), ("resolution", resolutionDueIn), ("responded", responded));
        return id;
    }

    [Fact]
    public async Task Open_running_tickets_past_a_due_date_are_flagged_in_batches_with_an_audit_row_and_an_event_each()
    {
        var customer = await _kit.CustomerAsync("Spedition Wolf", await _kit.AlwaysOpenPolicyAsync());
        var noResponse = await TicketAsync(customer, "in_progress", -5, 60);
        var lateResolution = await TicketAsync(customer, "new", -120, -1, responded: true);
        var paused = await TicketAsync(customer, "waiting_customer", -5, -5);
        var resolved = await TicketAsync(customer, "resolved", -5, -5);
        var answeredInTime = await TicketAsync(customer, "in_progress", -5, 60, responded: true);
        var notYet = await TicketAsync(customer, "in_progress", 5, 60);
        var flaggedBefore = await TicketAsync(customer, "in_progress", -5, -5);
        await _kit.Db.ExecuteAsync("UPDATE tickets SET sla_breached = true WHERE id = @id", ("id", flaggedBefore));
        var deleted = await TicketAsync(customer, "in_progress", -5, -5);
        Assert.Equal(204, (int)(await _kit.Admin.DeleteAsync($"/api/v1/tickets/{deleted}")).StatusCode);
        var versions = await _kit.Db.CountAsync("SELECT sum(version) FROM tickets WHERE id IN (@a, @b)", ("a", noResponse), ("b", lateResolution));

        Assert.Equal(2, await SlaBreaches.MarkAsync(_kit.Db, DateTimeOffset.UtcNow, batchSize: 1, CancellationToken.None));

        Assert.Equal(
            new[] { noResponse, lateResolution }.Order(),
            (await TicketIdsAsync("SELECT id FROM tickets WHERE sla_breached AND id <> @before AND customer_id = @customer", flaggedBefore, customer)).Order());
        Assert.Equal(versions + 2, await _kit.Db.CountAsync("SELECT sum(version) FROM tickets WHERE id IN (@a, @b)", ("a", noResponse), ("b", lateResolution)));
        foreach (var (id, response, resolution) in new[] { (noResponse, true, false), (lateResolution, false, true) })
        {
            var breach = Assert.Single(await _kit.EventsAsync(id), e => e.Type == "ticket.sla_breached").Payload;
            Assert.Equal(response, breach.GetProperty("response_breached").GetBoolean());
            Assert.Equal(resolution, breach.GetProperty("resolution_breached").GetBoolean());
            Assert.Equal(1, await _kit.Db.CountAsync(
                "SELECT count(*) FROM audit_log WHERE entity_type = 'ticket' AND entity_id = @id AND action = 'sla_breached' AND actor_type = 'system' AND (new_values->>'sla_breached')::boolean",
                ("id", id.ToString())));
            var ticket = await Rest.GetOkAsync(_kit.Admin, $"/api/v1/tickets/{id}");
            Assert.True(ticket.GetProperty("sla_breached").GetBoolean());
        }

        foreach (var id in new[] { paused, resolved, answeredInTime, notYet, deleted })
        {
            Assert.DoesNotContain(await _kit.EventsAsync(id), e => e.Type == "ticket.sla_breached");
        }

        Assert.DoesNotContain(await _kit.EventsAsync(flaggedBefore), e => e.Type == "ticket.sla_breached");
        Assert.Equal(0, await SlaBreaches.MarkAsync(_kit.Db, DateTimeOffset.UtcNow, SlaBreaches.DefaultBatchSize, CancellationToken.None));
        Assert.Equal(["ticket.sla_breached"], (await _kit.EventsAsync(noResponse)).Where(e => e.Type == "ticket.sla_breached").Select(e => e.Type));
    }

    [Fact]
    public async Task The_worker_schedules_the_job_cluster_wide_and_it_flags_a_breached_ticket()
    {
        var customer = await _kit.CustomerAsync("Metallbau Koch", await _kit.AlwaysOpenPolicyAsync());
        var id = await TicketAsync(customer, "in_progress", -1, -1);
        var dataSource = _kit.Db;
        var factory = QuartzSchedulerBuilder.Create(quartz =>
        {
            quartz.Services.AddSingleton(dataSource);
            quartz.Services.AddLogging();
            quartz.UseApplianceCluster(dataSource);
            quartz.ConfigureScheduler(options => options.InstanceId = "sla-test-node");
            quartz.AddClusterJobs();
        }).Build();
        await using (factory)
        {
            var scheduler = await factory.GetScheduler();
            await scheduler.Start();
            try
            {
                Assert.NotNull(await scheduler.GetJobDetail(Appliance.Worker.Jobs.SlaBreachJob.Key));
                var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
                while (await _kit.Db.CountAsync("SELECT count(*) FROM tickets WHERE id = @id AND sla_breached", ("id", id)) == 0)
                {
                    Assert.True(DateTimeOffset.UtcNow < deadline, "the scheduled job did not flag the ticket within 30 s");
                    await Task.Delay(200);
                }
            }
            finally
            {
                await scheduler.Shutdown(waitForJobsToComplete: true);
            }
        }

        Assert.Single(await _kit.EventsAsync(id), e => e.Type == "ticket.sla_breached");
    }

    private async Task<List<Guid>> TicketIdsAsync(string sql, Guid before, Guid customer)
    {
        await using var command = _kit.Db.CreateCommand(sql);
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("customer", customer);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}
