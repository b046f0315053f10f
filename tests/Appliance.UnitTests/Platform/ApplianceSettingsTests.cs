using Appliance.Platform.Configuration;
using Microsoft.Extensions.Configuration;

namespace Appliance.UnitTests.Platform;

public sealed class ApplianceSettingsTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Database:ConnectionString"] = "Host=127.0.0.1;Port=5432;Database=appliance;Username=appliance",
        ["Redis:Endpoint"] = "127.0.0.1:6379",
    };

    private static ApplianceSettings Load(Dictionary<string, string?> values) =>
        ApplianceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    private static Dictionary<string, string?> With(string key, string? value) => new(Valid) { [key] = value };

    [Fact]
    public void Defaults_apply_when_only_the_required_settings_are_given()
    {
        var settings = Load(Valid);
        Assert.Equal(new Uri("http://127.0.0.1:8080"), settings.Http.Url);
        Assert.Equal(1024 * 1024, settings.Http.MaxRequestBodyBytes);
        Assert.Equal("127.0.0.1", settings.Redis.Host);
        Assert.Equal(6379, settings.Redis.Port);
        Assert.Equal(0, settings.Redis.Database);
        Assert.Null(settings.Redis.Password);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Redis.CommandTimeout);
    }

    [Theory]
    [InlineData("Database:ConnectionString", null, "Database:ConnectionString is missing")]
    [InlineData("Database:ConnectionString", "   ", "Database:ConnectionString is missing")]
    [InlineData("Database:ConnectionString", "Hostt=x", "Database:ConnectionString is not a valid PostgreSQL connection string")]
    [InlineData("Database:ConnectionString", "Database=x", "Database:ConnectionString has no Host")]
    [InlineData("Redis:Endpoint", null, "Redis:Endpoint is missing")]
    [InlineData("Redis:Endpoint", "redis", "Redis:Endpoint must be host:port")]
    [InlineData("Redis:Endpoint", "redis:0", "Redis:Endpoint must be host:port")]
    [InlineData("Redis:Endpoint", "redis:70000", "Redis:Endpoint must be host:port")]
    [InlineData("Redis:Endpoint", ":6379", "Redis:Endpoint must be host:port")]
    [InlineData("Redis:Database", "16", "Redis:Database must be a whole number from 0 to 15")]
    [InlineData("Redis:Database", "one", "Redis:Database must be a whole number from 0 to 15")]
    [InlineData("Redis:CommandTimeoutMs", "5", "Redis:CommandTimeoutMs must be a whole number from 10")]
    [InlineData("Http:Url", "127.0.0.1:8080", "Http:Url must be an absolute http(s) URL")]
    [InlineData("Http:Url", "ftp://127.0.0.1", "Http:Url must be an absolute http(s) URL")]
    [InlineData("Http:Url", "http://127.0.0.1:8080/api", "Http:Url must be an absolute http(s) URL")]
    [InlineData("Http:MaxRequestBodyBytes", "0", "Http:MaxRequestBodyBytes must be a whole number from 1024")]
    [InlineData("Http:MaxRequestBodyBytes", "1MB", "Http:MaxRequestBodyBytes must be a whole number from 1024")]
    public void A_bad_setting_is_named_with_what_is_wrong_and_how_to_set_it(string key, string? value, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(With(key, value)));
        Assert.StartsWith("configuration error: " + expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("APPLIANCE_" + key.Replace(":", "__", StringComparison.Ordinal), ex.Message, StringComparison.Ordinal);
        Assert.Equal(key, ex.Key);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Explicit_values_are_read()
    {
        var settings = Load(new(Valid)
        {
            ["Redis:Endpoint"] = "redis.internal:6380",
            ["Redis:User"] = "appliance",
            ["Redis:Password"] = "s3cret",
            ["Redis:Database"] = "2",
            ["Http:Url"] = "https://0.0.0.0:8443",
            ["Http:MaxRequestBodyBytes"] = "10485760",
        });
        Assert.Equal(("redis.internal", 6380, "appliance", "s3cret", 2), (settings.Redis.Host, settings.Redis.Port, settings.Redis.User, settings.Redis.Password, settings.Redis.Database));
        Assert.Equal(new Uri("https://0.0.0.0:8443"), settings.Http.Url);
        Assert.Equal(10485760, settings.Http.MaxRequestBodyBytes);
    }

    [Fact]
    public void Config_directory_files_load_in_name_order_and_environment_wins()
    {
        var dir = Directory.CreateTempSubdirectory("appliance-cfg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "20-b.json"), "{\"Http\":{\"MaxRequestBodyBytes\":\"4096\"},\"Redis\":{\"Endpoint\":\"b:2\"}}");
            File.WriteAllText(Path.Combine(dir, "10-a.json"), "{\"Http\":{\"MaxRequestBodyBytes\":\"2048\"},\"Redis\":{\"Endpoint\":\"a:1\"},\"Database\":{\"ConnectionString\":\"Host=x\"}}");
            File.WriteAllText(Path.Combine(dir, "ignored.txt"), "not json");
            Environment.SetEnvironmentVariable(ApplianceConfiguration.ConfigDirVariable, dir);
            Environment.SetEnvironmentVariable("APPLIANCE_Redis__Endpoint", "env:3");
            var builder = new ConfigurationBuilder();
            builder.AddApplianceSources(["--Http:Url=http://127.0.0.1:9999", "positional"]);
            var settings = ApplianceSettings.Load(builder.Build());
            Assert.Equal(4096, settings.Http.MaxRequestBodyBytes);
            Assert.Equal("env", settings.Redis.Host);
            Assert.Equal(new Uri("http://127.0.0.1:9999"), settings.Http.Url);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ApplianceConfiguration.ConfigDirVariable, null);
            Environment.SetEnvironmentVariable("APPLIANCE_Redis__Endpoint", null);
            Directory.Delete(dir, recursive: true);
        }
    }
}
