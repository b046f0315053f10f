using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Platform.Database;

/// <summary>One forward-only schema change: <c>NNNN_name.sql</c>.</summary>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>Computed on each read so that a copy made with <c>with { Sql = … }</c> never carries a stale value.</summary>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    public string FileName => $"{Version:D4}_{Name}.sql";

    public static Migration FromFile(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new ArgumentException($"migration file '{fileName}' must be named NNNN_name.sql", nameof(fileName));
        }

        return new Migration(int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, sql);
    }

    /// <summary>The migrations embedded in this assembly, ordered by version; duplicate versions are a build mistake and throw.</summary>
    public static IReadOnlyList<Migration> Embedded()
    {
        var assembly = typeof(Migration).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith("migrations/", StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            list.Add(FromFile(resource["migrations/".Length..], reader.ReadToEnd()));
        }

        return Ordered(list);
    }

    public static IReadOnlyList<Migration> Ordered(IEnumerable<Migration> migrations)
    {
        var ordered = migrations.OrderBy(m => m.Version).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Version == ordered[i - 1].Version)
            {
                throw new InvalidOperationException($"two migrations share version {ordered[i].Version}: {ordered[i - 1].FileName} and {ordered[i].FileName}");
            }
        }

        return ordered;
    }

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();
}
