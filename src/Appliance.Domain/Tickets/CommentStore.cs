using System.Text;
using System.Text.Json;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Events;
using Appliance.Domain.Identity;
using Appliance.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Appliance.Domain.Tickets;

/// <summary>Comment list filters (within one ticket).</summary>
public sealed record CommentFilter(bool? IsInternal, Guid? AuthorId);

/// <summary>
/// Ticket comments in PostgreSQL. Every read and write first asks whether the caller may see the ticket (customer users:
/// their own company's, live tickets only) and the comment (customer users: public ones only); what they may not see is
/// "not found", never "forbidden", so ids of other companies' tickets and internal notes leak nothing. Every write
/// commits together with its audit row and outbox event (<c>comment.created/updated/deleted</c>).
/// </summary>
public sealed class CommentStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const string EntityType = "comment";

    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["created_at"] = "c.created_at",
        ["updated_at"] = "c.updated_at",
    };

    public static readonly IReadOnlyList<SortField> DefaultSort = [new("created_at", false)];

    private const string Columns = "c.id, c.ticket_id, c.author_id, u.display_name, c.body, c.is_internal, c.moved_from, c.version, c.created_at, c.updated_at";

    /// <summary>A page of the ticket's comments the caller may see; null when the ticket is not visible to them.</summary>
    public async Task<Paged<TicketComment>?> ListAsync(Guid ticketId, Actor actor, CommentFilter filter, IReadOnlyList<SortField> sort, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(filter);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            if (await TicketRows.ReadAsync(connection, null, ticketId, TicketRows.Lock.None, cancellationToken) is not { } ticket || !TicketAccess.CanView(actor, ticket.CustomerId))
            {
                return null;
            }
        }

        const string fromWhere = """
            FROM ticket_comments c LEFT JOIN users u ON u.id = c.author_id
             WHERE c.ticket_id = @ticket AND c.deleted_at IS NULL
               AND (@public_only = false OR NOT c.is_internal)
               AND (@internal::boolean IS NULL OR c.is_internal = @internal)
               AND (@author::uuid IS NULL OR c.author_id = @author)
            """;
        return await PagedQuery.ReadAsync(
            dataSource,
            Columns,
            fromWhere,
            SqlSort.OrderBy(sort, SortColumns, "c.id"),
            parameters =>
            {
                parameters.Add(new NpgsqlParameter<Guid>("ticket", ticketId));
                parameters.Add(new NpgsqlParameter<bool>("public_only", !TicketAccess.CanSeeComment(actor, isInternal: true)));
                parameters.Add(new NpgsqlParameter<bool?>("internal", NpgsqlDbType.Boolean) { TypedValue = filter.IsInternal });
                parameters.Add(new NpgsqlParameter<Guid?>("author", NpgsqlDbType.Uuid) { TypedValue = filter.AuthorId });
            },
            page,
            Map,
            cancellationToken);
    }

    /// <summary>The comment, or null when it is gone, its ticket is gone, or the caller may not see either.</summary>
    public async Task<TicketComment?> GetAsync(Guid id, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = await ReadVisibleAsync(connection, null, id, actor, forUpdate: false, cancellationToken);
        return found?.Comment;
    }

    /// <summary>
    /// Adds a comment (the body already validated by <see cref="TicketRules.ValidateCommentBody"/>). The first public
    /// reply by a member of staff stamps the ticket's <c>first_response_at</c> in the same transaction: the ticket row is
    /// locked first and the stamp is written only while it is still empty, so two first replies racing stamp it once.
    /// A customer's comment never changes the ticket's status (a <c>waiting_customer</c> ticket stays there until staff move it).
    /// </summary>
    public async Task<WriteOutcome<TicketComment>> CreateAsync(Guid ticketId, string body, bool isInternal, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(principal);
        var (actor, audit) = (principal.Actor, principal.Audit);
        if (!TicketAccess.CanSeeComment(actor, isInternal))
        {
            return WriteOutcome.Forbidden<TicketComment>("Customer users write public comments only", [new FieldError("is_internal", "Must be false for customer users")]);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ticket = await TicketRows.ReadAsync(connection, transaction, ticketId, TicketRows.Lock.NoKeyUpdate, cancellationToken);
        if (ticket is null || !TicketAccess.CanView(actor, ticket.CustomerId))
        {
            return WriteOutcome.NotFound<TicketComment>("Ticket");
        }

        if (!TicketAccess.CanComment(actor, ticket.CustomerId, isInternal))
        {
            return WriteOutcome.Forbidden<TicketComment>("Customer users write public comments only");
        }

        DateTimeOffset? firstResponse = null;
        if (TicketAccess.CountsAsFirstResponse(actor, isInternal))
        {
            await using var stamp = new NpgsqlCommand(
                """
                UPDATE tickets SET first_response_at = now(), version = version + 1, updated_at = greatest(updated_at, now())
                 WHERE id = @id AND first_response_at IS NULL AND deleted_at IS NULL
                RETURNING first_response_at
                """,
                connection,
                transaction);
            stamp.Parameters.Add(new NpgsqlParameter<Guid>("id", ticketId));
            if (await stamp.ExecuteScalarAsync(cancellationToken) is DateTime stamped)
            {
                firstResponse = new DateTimeOffset(DateTime.SpecifyKind(stamped, DateTimeKind.Utc));
            }
        }

        TicketComment created;
        await using (var insert = new NpgsqlCommand(
            $"""
            WITH c AS (
                INSERT INTO ticket_comments (ticket_id, author_id, body, is_internal) VALUES (@ticket, @author, @body, @internal) RETURNING *)
            SELECT {Columns} FROM c LEFT JOIN users u ON u.id = c.author_id
            """,
            connection,
            transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid>("ticket", ticketId));
            insert.Parameters.Add(new NpgsqlParameter<Guid>("author", actor.Id));
            insert.Parameters.Add(new NpgsqlParameter<string>("body", body));
            insert.Parameters.Add(new NpgsqlParameter<bool>("internal", isInternal));
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            created = Map(reader);
        }

        await ChangeLog.RecordAsync(connection, transaction, audit, EntityType, created.Id, ChangeLog.Created, null, created, ServiceDeskJsonContext.Default.TicketComment, cancellationToken);
        if (firstResponse is { } at)
        {
            await RecordFirstResponseAsync(connection, transaction, audit, ticketId, created.Id, at, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return WriteOutcome.Done(created);
    }

    /// <summary>Replaces the body (already validated) under the caller's expected version; an identical body writes nothing.</summary>
    public Task<WriteOutcome<TicketComment>> UpdateAsync(Guid id, ExpectedVersion expected, string body, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(principal);
        return ChangeAsync(id, expected, principal.Actor, async (connection, transaction, before) =>
        {
            if (before.Body == body)
            {
                return WriteOutcome.Unchanged(before);
            }

            TicketComment after;
            await using (var update = new NpgsqlCommand(
                $"""
                WITH c AS (
                    UPDATE ticket_comments SET body = @body, version = version + 1, updated_at = now()
                     WHERE id = @id AND version = @version AND deleted_at IS NULL RETURNING *)
                SELECT {Columns} FROM c LEFT JOIN users u ON u.id = c.author_id
                """,
                connection,
                transaction))
            {
                update.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
                update.Parameters.Add(new NpgsqlParameter<int>("version", before.Version));
                update.Parameters.Add(new NpgsqlParameter<string>("body", body));
                await using var reader = await update.ExecuteReaderAsync(cancellationToken);
                after = await reader.ReadAsync(cancellationToken) ? Map(reader) : throw new PreconditionFailedException(EntityType, before.Version);
            }

            await ChangeLog.RecordAsync(connection, transaction, principal.Audit, EntityType, id, ChangeLog.Updated, before, after, ServiceDeskJsonContext.Default.TicketComment, cancellationToken);
            return WriteOutcome.Done(after);
        }, cancellationToken);
    }

    /// <summary>Soft delete: the comment disappears from every read; its audit row keeps what it said.</summary>
    public Task<WriteOutcome<TicketComment>> DeleteAsync(Guid id, ExpectedVersion expected, Principal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return ChangeAsync(id, expected, principal.Actor, async (connection, transaction, before) =>
        {
            await TicketRows.SoftDeleteAsync(connection, transaction, "ticket_comments", principal.Audit, EntityType, before, ServiceDeskJsonContext.Default.TicketComment, cancellationToken);
            return WriteOutcome.Done(before);
        }, cancellationToken);
    }

    /// <summary>Locks the visible comment, checks who may change it and the expected version, applies the change, commits.</summary>
    private Task<WriteOutcome<TicketComment>> ChangeAsync(
        Guid id, ExpectedVersion expected, Actor actor, Func<NpgsqlConnection, NpgsqlTransaction, TicketComment, Task<WriteOutcome<TicketComment>>> apply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actor);
        return WriteOutcome.CatchAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await ReadVisibleAsync(connection, transaction, id, actor, forUpdate: true, cancellationToken) is not { } found)
            {
                return WriteOutcome.NotFound<TicketComment>("Comment");
            }

            var before = found.Comment;
            if (!CommentRules.CanChange(actor, before.AuthorId, before.CreatedAt, time.GetUtcNow()))
            {
                return WriteOutcome.Forbidden<TicketComment>(CommentRules.Refusal(actor, before.AuthorId));
            }

            if (!expected.Accepts(before.Version))
            {
                return WriteOutcome.Stale<TicketComment>(EntityType, before.Version);
            }

            var outcome = await apply(connection, transaction, before);
            await transaction.CommitAsync(cancellationToken);
            return outcome;
        });
    }

    private static async Task<(TicketComment Comment, Guid CustomerId)?> ReadVisibleAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, Actor actor, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SELECT {Columns}, t.customer_id
              FROM ticket_comments c
              JOIN tickets t ON t.id = c.ticket_id AND t.deleted_at IS NULL
              LEFT JOIN users u ON u.id = c.author_id
             WHERE c.id = @id AND c.deleted_at IS NULL
            {(forUpdate ? "FOR UPDATE OF c" : string.Empty)}
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var comment = Map(reader);
        var customerId = reader.GetGuid(10);
        return TicketAccess.CanView(actor, customerId) && TicketAccess.CanSeeComment(actor, comment.IsInternal) ? (comment, customerId) : null;
    }

    /// <summary>The audit row and <c>ticket.first_response</c> event of the stamp a comment put on its ticket.</summary>
    private static async Task RecordFirstResponseAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AuditContext audit, Guid ticketId, Guid commentId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var values = JsonObject(json =>
        {
            json.WriteString("first_response_at", at);
            json.WriteString("comment_id", commentId);
        });
        await AuditLog.WriteAsync(connection, transaction, audit, new AuditEntry("ticket", ticketId.ToString(), "first_response", JsonObject(json => json.WriteNull("first_response_at")), values), cancellationToken);
        var payload = JsonObject(json =>
        {
            json.WriteString("id", ticketId);
            json.WriteString("first_response_at", at);
            json.WriteString("comment_id", commentId);
        });
        await Outbox.WriteAsync(connection, transaction, audit, new OutboxEvent("ticket.first_response", "ticket", ticketId.ToString(), payload), cancellationToken);
    }

    private static string JsonObject(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static TicketComment Map(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.IsDBNull(2) ? null : reader.GetGuid(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetString(4),
        reader.GetBoolean(5),
        reader.IsDBNull(6) ? null : reader.GetGuid(6),
        reader.GetInt32(7),
        reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetFieldValue<DateTimeOffset>(9));
}
