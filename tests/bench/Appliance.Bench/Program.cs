using System.Diagnostics;
using Appliance.Api;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

// Usage: Appliance.Bench auth-check REDIS_HOST:PORT REDIS_PASSWORD [ITERATIONS]
// Measures what authentication adds to every request: the API's own authentication scheme (ASP.NET Core JwtBearer with
// the appliance's token handler, RS256 against the key ring, and the Redis script that checks revocation of the token,
// its session and its user and counts the rate limit) on loopback, for a token presented again (remembered) and for
// tokens presented for the first time (full RS256 validation). Prints p50/p95/p99 in milliseconds.
if (args.Length < 3 || args[0] != "auth-check")
{
    Console.Error.WriteLine("usage: Appliance.Bench auth-check REDIS_HOST:PORT REDIS_PASSWORD [ITERATIONS]");
    return 64;
}

var iterations = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
var work = Directory.CreateTempSubdirectory("appliance-bench-auth-").FullName;
SigningKeyRing.Generate(Path.Combine(work, "keys"));
var fieldKey = Path.Combine(work, "field.key");
File.WriteAllText(fieldKey, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(fieldKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
}

await using var app = ApiHost.Build([], new Dictionary<string, string?>
{
    // Authentication never reaches PostgreSQL for an access token; the data source is only built, not opened.
    ["Database:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=2",
    ["Redis:Endpoint"] = args[1],
    ["Redis:Password"] = args[2],
    ["Identity:KeyDirectory"] = Path.Combine(work, "keys"),
    ["Security:FieldEncryptionKeyFile"] = fieldKey,
    ["RateLimit:PerUserPerMinute"] = "1000000",
});
var tokens = app.Services.GetRequiredService<TokenService>();
var user = new User(Guid.NewGuid(), "bench@test.example", "Bench", Roles.TechnicianL2, null, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
var protectedEndpoint = new Endpoint(null, new EndpointMetadataCollection(), "bench");

async Task<double> OnceAsync(string token)
{
    await using var scope = app.Services.CreateAsyncScope();
    var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
    context.Request.Headers.Authorization = "Bearer " + token;
    context.SetEndpoint(protectedEndpoint);
    var start = Stopwatch.GetTimestamp();
    var result = await context.AuthenticateAsync();
    var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    if (!result.Succeeded)
    {
        throw new InvalidOperationException($"token did not authenticate: {result.Failure?.Message ?? "no result"}");
    }

    return elapsed;
}

string Report(string name, double[] samples, TimeSpan total)
{
    Array.Sort(samples);
    double P(double q) => samples[Math.Min(samples.Length - 1, (int)(q * samples.Length))];
    return FormattableString.Invariant(
        $"auth_check_ms {name} iterations={samples.Length} p50={P(0.50):F3} p95={P(0.95):F3} p99={P(0.99):F3} max={samples[^1]:F3} per_second={samples.Length / total.TotalSeconds:F0}");
}

var remembered = tokens.Issue(user, Guid.NewGuid()).Token;
for (var i = 0; i < 2_000; i++)
{
    await OnceAsync(remembered);
}

var samples = new double[iterations];
var total = Stopwatch.StartNew();
for (var i = 0; i < iterations; i++)
{
    samples[i] = await OnceAsync(remembered);
}

Console.WriteLine(Report("remembered", samples, total.Elapsed) + " (token presented again: Redis script only; target p95 <= 0.3)");

// Tokens seen for the first time: RS256 verification and claim reading on every one (signing them is not measured).
var fresh = Enumerable.Range(0, Math.Min(iterations, 5_000)).Select(_ => tokens.Issue(user, Guid.NewGuid()).Token).ToArray();
samples = new double[fresh.Length];
total.Restart();
for (var i = 0; i < fresh.Length; i++)
{
    samples[i] = await OnceAsync(fresh[i]);
}

Console.WriteLine(Report("first_use", samples, total.Elapsed) + " (RS256 validation + Redis script)");
Directory.Delete(work, recursive: true);
return 0;
