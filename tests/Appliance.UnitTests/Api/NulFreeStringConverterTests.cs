using System.Text.Json;
using Appliance.Api.Health;
using Appliance.Api.Json;

namespace Appliance.UnitTests.Api;

public sealed class NulFreeStringConverterTests
{
    private static JsonSerializerOptions Strict()
    {
        var options = new JsonSerializerOptions(ApiJsonContext.Default.Options);
        ApiJsonOptions.ApplyStrictReading(options);
        return options;
    }

    [Fact]
    public void String_keyed_dictionaries_are_written_and_read_with_the_strict_options()
    {
        // /ready answers its checks as a dictionary: the NUL check must not make every such answer a 500.
        var options = Strict();
        var ready = new ReadyResponse("ready", new Dictionary<string, CheckResult> { ["postgres"] = new("ok", 1.5, null) });
        var json = JsonSerializer.Serialize(ready, options);
        Assert.Contains("\"checks\":{\"postgres\":{", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<ReadyResponse>(json, options)!;
        Assert.Equal("ok", back.Checks["postgres"].Status);
    }

    [Fact]
    public void A_nul_in_a_dictionary_key_or_a_string_is_refused()
    {
        var options = Strict();
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<ReadyResponse>("{\"status\":\"ready\",\"checks\":{\"a\\u0000\":{\"status\":\"ok\",\"latency_ms\":1}}}", options));
        Assert.Throws<NulCharacterException>(() => JsonSerializer.Deserialize<string>("\"a\\u0000b\"", options));
    }
}
