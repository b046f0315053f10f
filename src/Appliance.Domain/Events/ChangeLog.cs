using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Appliance.Domain.Audit;
using Npgsql;

namespace Appliance.Domain.Events;

/// <summary>
/// Records one change of one entity the way every mutation must: its audit row (old and new values) and its outbox
/// event (<c>{entity}.{action}</c>), both on the transaction of the change. Entities are serialised through a
/// source-generated <see cref="JsonTypeInfo{T}"/>; no reflection.
/// </summary>
public static class ChangeLog
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Deleted = "deleted";

    /// <summary>Properties every update touches; they alone do not make a change.</summary>
    private static readonly string[] Bookkeeping = ["version", "updated_at"];

    /// <returns>The names of the changed properties (updates only).</returns>
    public static async Task<IReadOnlyList<string>> RecordAsync<T>(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        AuditContext audit,
        string entityType,
        Guid id,
        string action,
        T? before,
        T? after,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken)
        where T : class
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var changed = Add(batch, audit, entityType, id, action, before, after, typeInfo);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return changed;
    }

    /// <summary>
    /// Adds the audit row and the event to <paramref name="batch"/> (which the caller runs on the transaction of the
    /// change, with the change itself when it can, in one round trip).
    /// </summary>
    /// <returns>The names of the changed properties (updates only).</returns>
    public static IReadOnlyList<string> Add<T>(NpgsqlBatch batch, AuditContext audit, string entityType, Guid id, string action, T? before, T? after, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(batch);
        var old = before is null ? null : JsonSerializer.SerializeToNode(before, typeInfo)!.AsObject();
        var current = after is null ? null : JsonSerializer.SerializeToNode(after, typeInfo)!.AsObject();
        var changed = old is not null && current is not null ? ChangedFields(old, current) : [];
        batch.BatchCommands.Add(AuditLog.Command(audit, new AuditEntry(entityType, id.ToString(), action, old?.ToJsonString(), current?.ToJsonString())));
        var payload = Payload(id, current ?? old, action == Updated ? changed : null);
        batch.BatchCommands.Add(Outbox.Command(audit, new OutboxEvent($"{entityType}.{action}", entityType, id.ToString(), payload)));
        return changed;
    }

    public static List<string> ChangedFields(JsonObject before, JsonObject after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changed = new List<string>();
        foreach (var (name, value) in after)
        {
            if (!Bookkeeping.Contains(name, StringComparer.Ordinal) && !JsonNode.DeepEquals(value, before[name]))
            {
                changed.Add(name);
            }
        }

        return changed;
    }

    /// <summary><c>{"id": ..., "data": {...}, "changed_fields": [...]}</c>; <c>changed_fields</c> only for updates.</summary>
    private static string Payload(Guid id, JsonObject? data, IReadOnlyList<string>? changed)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WritePropertyName("data");
            if (data is null)
            {
                json.WriteNullValue();
            }
            else
            {
                data.WriteTo(json);
            }

            if (changed is not null)
            {
                json.WriteStartArray("changed_fields");
                foreach (var name in changed)
                {
                    json.WriteStringValue(name);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
