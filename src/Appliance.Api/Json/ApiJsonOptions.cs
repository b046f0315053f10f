using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Api.Json;

/// <summary>
/// The reading rules of every request body, on top of the source-generated context: a key given twice is an error
/// (the last one would win silently), numbers must be JSON numbers (the web defaults accept "12" for 12), and strings
/// must not contain NUL. <see cref="ApiJsonContext"/> declares the same, for code that uses its options directly.
/// </summary>
public static class ApiJsonOptions
{
    public static void ApplyStrictReading(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AllowDuplicateProperties = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        if (!options.Converters.Any(c => c is NulFreeStringConverter))
        {
            options.Converters.Add(new NulFreeStringConverter());
        }
    }
}
