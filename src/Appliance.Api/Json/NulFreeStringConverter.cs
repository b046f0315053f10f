using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Api.Json;

/// <summary>
/// Reads every JSON string of a request body and refuses one holding U+0000: PostgreSQL cannot store it in text
/// (22021), so it is bad input (400 naming the field), never a database error. Writing is unchanged.
/// </summary>
public sealed class NulFreeStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // The serializer's own message ("could not be converted") names the wrong type.
            throw new JsonException($"The JSON value could not be converted to {typeof(string)}.");
        }

        var value = reader.GetString()!;
        return value.Contains('\0', StringComparison.Ordinal) ? throw new NulCharacterException() : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }

    // Dictionary keys go through the same converter (e.g. /ready's checks, MFA policy roles): without these two
    // the serializer refuses every string-keyed dictionary.
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString()!;
        return value.Contains('\0', StringComparison.Ordinal) ? throw new NulCharacterException() : value;
    }

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(value);
    }
}

/// <summary>A body string held a NUL character; the serializer adds the field's path.</summary>
public sealed class NulCharacterException : JsonException
{
    public const string Problem = "Must not contain NUL characters (\\u0000)";

    public NulCharacterException()
        : base(Problem)
    {
    }

    public NulCharacterException(string message)
        : base(message)
    {
    }

    public NulCharacterException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
