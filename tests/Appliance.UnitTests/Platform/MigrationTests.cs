using Appliance.Platform.Database;

namespace Appliance.UnitTests.Platform;

public sealed class MigrationTests
{
    [Theory]
    [InlineData("0001_initial.sql", 1, "initial")]
    [InlineData("0042_add_time_entries.sql", 42, "add_time_entries")]
    public void File_names_give_version_and_name(string file, int version, string name)
    {
        var migration = Migration.FromFile(file, "SELECT 1;");
        Assert.Equal((version, name, file), (migration.Version, migration.Name, migration.FileName));
    }

    [Theory]
    [InlineData("1_initial.sql")]
    [InlineData("0001-initial.sql")]
    [InlineData("0001_Initial.sql")]
    [InlineData("0001_initial.SQL")]
    [InlineData("initial.sql")]
    public void Badly_named_files_are_rejected(string file) =>
        Assert.Throws<ArgumentException>(() => Migration.FromFile(file, "SELECT 1;"));

    [Fact]
    public void Checksum_is_stable_across_line_endings_and_changes_with_content()
    {
        var lf = new Migration(1, "a", "CREATE TABLE a ();\nSELECT 1;\n");
        var crlf = new Migration(1, "a", "CREATE TABLE a ();\r\nSELECT 1;\r\n");
        var other = new Migration(1, "a", "CREATE TABLE b ();\nSELECT 1;\n");
        Assert.Equal(lf.Checksum, crlf.Checksum);
        Assert.NotEqual(lf.Checksum, other.Checksum);
        Assert.Equal(64, lf.Checksum.Length);
    }

    [Fact]
    public void Duplicate_versions_are_a_build_mistake()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Migration.Ordered([new(1, "a", "x"), new(1, "b", "y")]));
        Assert.Contains("0001_a.sql and 0001_b.sql", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_migrations_are_ordered_contiguous_and_start_at_1()
    {
        var migrations = Migration.Embedded();
        Assert.NotEmpty(migrations);
        Assert.Equal(Enumerable.Range(1, migrations.Count), migrations.Select(m => m.Version));
        Assert.All(migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql)));
    }
}
