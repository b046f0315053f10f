namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>
/// Where the throwaway servers started by <c>./appliance test</c> listen. Missing variables fail the test with a
/// pointer to the test command instead of silently skipping it.
/// </summary>
public static class TestEnvironment
{
    public static string PostgresAdminConnectionString => Required("APPLIANCE_TEST_PG");

    public static string RedisEndpoint => Required("APPLIANCE_TEST_REDIS");

    public static string? RedisPassword => Environment.GetEnvironmentVariable("APPLIANCE_TEST_REDIS_PASSWORD");

    public static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the suites through ./appliance test, which starts PostgreSQL and Redis for them");
}
