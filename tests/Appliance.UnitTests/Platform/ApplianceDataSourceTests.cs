using Appliance.Platform.Database;
using Npgsql;

namespace Appliance.UnitTests.Platform;

public sealed class ApplianceDataSourceTests
{
    [Fact]
    public async Task The_pool_is_capped_at_the_default_unless_the_connection_string_names_a_maximum()
    {
        await using var defaulted = ApplianceDataSource.Create("Host=127.0.0.1;Username=x", "t");
        Assert.Equal(ApplianceDataSource.DefaultMaxPoolSize, new NpgsqlConnectionStringBuilder(defaulted.ConnectionString).MaxPoolSize);

        await using var explicitHundred = ApplianceDataSource.Create("Host=127.0.0.1;Username=x;Maximum Pool Size=100", "t");
        Assert.Equal(100, new NpgsqlConnectionStringBuilder(explicitHundred.ConnectionString).MaxPoolSize);

        await using var synonym = ApplianceDataSource.Create("Host=127.0.0.1;Username=x;maxpoolsize=40", "t");
        Assert.Equal(40, new NpgsqlConnectionStringBuilder(synonym.ConnectionString).MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=h;Maximum Pool Size=5", true)]
    [InlineData("Host=h;Max Pool Size=5", true)]
    [InlineData("Host=h;MaxPoolSize=5", true)]
    [InlineData("Host=h;MAXIMUM POOL SIZE=5", true)]
    [InlineData("Host=h;Minimum Pool Size=5", false)]
    [InlineData("Host=h;Application Name=Max Pool Size", false)]
    [InlineData("Host=h", false)]
    public void Names_max_pool_size_recognises_every_spelling(string connectionString, bool expected) =>
        Assert.Equal(expected, ApplianceDataSource.NamesMaxPoolSize(connectionString));

    [Fact]
    public async Task Application_name_and_auto_prepare_are_filled_in_only_when_unset()
    {
        await using var defaulted = ApplianceDataSource.Create("Host=127.0.0.1;Username=x", "appliance-api");
        var built = new NpgsqlConnectionStringBuilder(defaulted.ConnectionString);
        Assert.Equal("appliance-api", built.ApplicationName);
        Assert.Equal(128, built.MaxAutoPrepare);
        Assert.True(built.NoResetOnClose);

        await using var own = ApplianceDataSource.Create("Host=127.0.0.1;Username=x;Application Name=mine;Max Auto Prepare=7", "appliance-api");
        built = new NpgsqlConnectionStringBuilder(own.ConnectionString);
        Assert.Equal("mine", built.ApplicationName);
        Assert.Equal(7, built.MaxAutoPrepare);
    }
}
