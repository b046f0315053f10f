using System.Text;
using System.Text.Json;

namespace Appliance.Domain.Common;

/// <summary>Writes the JSON object an audit entry stores as old or new values, without reflection.</summary>
public static class AuditJson
{
    public static string Write(Action<Utf8JsonWriter> writeProperties)
    {
        ArgumentNullException.ThrowIfNull(writeProperties);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            writeProperties(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
