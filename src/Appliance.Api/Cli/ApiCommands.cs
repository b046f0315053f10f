using Appliance.Domain.Demo;
using Appliance.Platform;
using Appliance.Platform.Configuration;
using Appliance.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Appliance.Api.Cli;

/// <summary>
/// The binary's subcommands. Exit codes (see <see cref="ExitCodes"/>): 0 ok, 1 runtime error, 64 usage,
/// 65 migration refused, 69 database unavailable, 78 configuration error.
/// </summary>
public static class ApiCommands
{
    public const string Usage = """
        Usage: appliance-api [serve]                 run the HTTP API
               appliance-api migrate                 apply pending database migrations, then exit
               appliance-api migrate --status        print the schema state; exit 0 when current, 65 otherwise
               appliance-api seed-demo --admin-email EMAIL --admin-password-file FILE
                                                     fill an empty database with a demo MSP (no-op when seeded)
               appliance-api create-admin --email EMAIL --password-file FILE [--display-name NAME]
                                                     create the first system admin (no-op when the email exists)
               appliance-api keys generate --dir DIR create a new RS256 signing key (mode 0600); the newest signs
        Settings come from appsettings.json, /etc/appliance/*.json and APPLIANCE_* environment variables.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var command = args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal) ? "serve" : args[0];
        var rest = args.Length == 0 || command == "serve" && args[0] != "serve" ? args : args[1..];
        try
        {
            return command switch
            {
                "serve" => await ServeAsync(rest),
                "migrate" => await MigrateAsync(rest),
                "seed-demo" => await SeedDemoAsync(rest),
                "create-admin" => await CreateAdminAsync(rest),
                "keys" => GenerateKey(rest),
                "help" or "--help" or "-h" => PrintUsage(Console.Out, ExitCodes.Ok),
                _ => PrintUsage(Console.Error, ExitCodes.Usage, $"unknown command '{command}'"),
            };
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return ExitCodes.Configuration;
        }
        catch (MigrationRefusedException ex)
        {
            await Console.Error.WriteLineAsync("migration refused: " + ex.Message);
            return ExitCodes.MigrationRefused;
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            await Console.Error.WriteLineAsync("database unavailable: " + ex.Message);
            return ExitCodes.DatabaseUnavailable;
        }
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        var app = ApiHost.Build(args);
        await app.RunAsync();
        return ExitCodes.Ok;
    }

    private static async Task<int> MigrateAsync(string[] args)
    {
        var statusOnly = args.Contains("--status", StringComparer.Ordinal);
        if (args.Any(a => a != "--status"))
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, "migrate takes only --status");
        }

        var settings = LoadSettings(args);
        await using var dataSource = ApplianceDataSource.Create(settings.Database.ConnectionString, "appliance-migrate");
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
        var migrator = new Migrator(dataSource, Migration.Embedded(), loggerFactory.CreateLogger<Migrator>());
        if (statusOnly)
        {
            var status = await migrator.GetStatusAsync();
            Console.WriteLine($"schema {status.State.ToString().ToLowerInvariant()}: applied {status.AppliedVersion}, release knows {status.KnownVersion}{(status.Problem is null ? string.Empty : "; " + status.Problem)}");
            return status.State is SchemaState.Current or SchemaState.Ahead ? ExitCodes.Ok : ExitCodes.MigrationRefused;
        }

        var applied = await migrator.MigrateAsync();
        Console.WriteLine(applied.Count == 0 ? "schema already current" : $"applied {applied.Count} migration(s): {string.Join(", ", applied.Select(m => m.FileName))}");
        return ExitCodes.Ok;
    }

    private static async Task<int> SeedDemoAsync(string[] args)
    {
        if (!TryParseOptions(args, ["--admin-email", "--admin-password-file"], out var options, out var problem))
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, problem);
        }

        var email = options.GetValueOrDefault("--admin-email");
        var passwordFile = options.GetValueOrDefault("--admin-password-file");
        if (email is null || passwordFile is null)
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, "seed-demo needs --admin-email and --admin-password-file");
        }

        if (!File.Exists(passwordFile))
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, $"password file '{passwordFile}' does not exist");
        }

        var password = (await File.ReadAllTextAsync(passwordFile)).Trim();
        if (password.Length < 12)
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, "the admin password must have at least 12 characters");
        }

        var settings = LoadSettings([]);
        await using var dataSource = ApplianceDataSource.Create(settings.Database.ConnectionString, "appliance-seed");
        var status = await new Migrator(dataSource, Migration.Embedded(), NullLogger.Instance).GetStatusAsync();
        if (status.State is SchemaState.Pending or SchemaState.Edited)
        {
            throw new MigrationRefusedException($"the schema is not current ({status.Problem}); run 'appliance-api migrate' first");
        }

        var result = await new DemoSeeder(dataSource).SeedAsync(email, password, CancellationToken.None);
        Console.WriteLine(result.Seeded
            ? $"seeded demo MSP: {result.Customers} customers ({result.Contacts} contacts, {result.Sites} sites), {result.Users} users, {result.Tickets} tickets"
            : "demo data already present; nothing changed");
        return ExitCodes.Ok;
    }

    private static int GenerateKey(string[] args)
    {
        if (args.Length != 3 || args[0] != "generate" || args[1] != "--dir")
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, "usage: keys generate --dir DIR");
        }

        var path = Identity.SigningKeyRing.Generate(args[2]);
        Console.WriteLine($"created signing key {path}");
        return ExitCodes.Ok;
    }

    private static async Task<int> CreateAdminAsync(string[] args)
    {
        if (!TryParseOptions(args, ["--email", "--password-file", "--display-name"], out var options, out var problem))
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, problem);
        }

        var email = options.GetValueOrDefault("--email");
        var passwordFile = options.GetValueOrDefault("--password-file");
        var displayName = options.GetValueOrDefault("--display-name");
        if (email is null || passwordFile is null || !File.Exists(passwordFile))
        {
            return PrintUsage(Console.Error, ExitCodes.Usage, "create-admin needs --email and an existing --password-file");
        }

        var password = (await File.ReadAllTextAsync(passwordFile)).TrimEnd('\r', '\n');
        var settings = LoadSettings([]);
        await using var dataSource = ApplianceDataSource.Create(settings.Database.ConnectionString, "appliance-admin");
        var users = new Domain.Identity.UserStore(dataSource);
        if (await users.FindForLoginAsync(email, CancellationToken.None) is not null)
        {
            Console.WriteLine($"user {email} already exists; nothing changed");
            return ExitCodes.Ok;
        }

        Domain.Identity.NewUser user;
        try
        {
            user = Domain.Identity.UserRules.ValidateNew(email, displayName ?? "Administrator", Domain.Identity.Roles.SystemAdmin, null, "de", [], password);
        }
        catch (Domain.Common.DomainValidationException ex)
        {
            await Console.Error.WriteLineAsync("appliance-api: " + string.Join("; ", ex.Errors.Select(e => $"{e.Field}: {e.Message}")));
            return ExitCodes.Usage;
        }

        var outcome = await users.CreateAsync(user, Domain.Identity.Principal.System("appliance-api create-admin"), CancellationToken.None);
        if (outcome.Value is not { } created)
        {
            await Console.Error.WriteLineAsync("appliance-api: " + outcome.Refusal!.Message);
            return ExitCodes.RuntimeError;
        }

        Console.WriteLine($"created system admin {created.Email} ({created.Id})");
        return ExitCodes.Ok;
    }

    /// <summary>Reads <c>--name value</c> pairs; any other argument, or a name without a value, is a usage problem.</summary>
    private static bool TryParseOptions(string[] args, string[] names, out Dictionary<string, string> options, out string problem)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        problem = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            if (!names.Contains(args[i], StringComparer.Ordinal) || i + 1 >= args.Length)
            {
                problem = $"unexpected argument '{args[i]}'";
                return false;
            }

            options[args[i]] = args[++i];
        }

        return true;
    }

    private static ApplianceSettings LoadSettings(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true);
        configuration.AddApplianceSources(args);
        return ApplianceSettings.Load(configuration.Build());
    }

    private static int PrintUsage(TextWriter writer, int exitCode, string? problem = null)
    {
        if (problem is not null)
        {
            writer.WriteLine("appliance-api: " + problem);
        }

        writer.WriteLine(Usage);
        return exitCode;
    }
}
