using System.Text.Json;

namespace Appliance.Domain.Audit;

/// <summary>Builds the small JSON objects of <see cref="AuditEntry.OldValues"/> and <see cref="AuditEntry.NewValues"/>.</summary>
public sealed class AuditValues
{
    private readonly List<(string Name, object? Value)> _fields = [];

    public AuditValues Add(string name, string? value) => Put(name, value);

    public AuditValues Add(string name, bool value) => Put(name, value);

    public AuditValues Add(string name, long value) => Put(name, value);

    public AuditValues Add(string name, DateTimeOffset? value) => Put(name, value);

    public AuditValues Add(string name, IEnumerable<string> values) => Put(name, values.ToArray());

    public override string ToString()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in _fields)
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(name);
                        break;
                    case string text:
                        json.WriteString(name, text);
                        break;
                    case bool flag:
                        json.WriteBoolean(name, flag);
                        break;
                    case long number:
                        json.WriteNumber(name, number);
                        break;
                    case DateTimeOffset time:
                        json.WriteString(name, time);
                        break;
                    case string[] list:
                        json.WriteStartArray(name);
                        foreach (var item in list)
                        {
                            json.WriteStringValue(item);
                        }

                        json.WriteEndArray();
                        break;
                }
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private AuditValues Put(string name, object? value)
    {
        _fields.Add((name, value));
        return this;
    }
}
