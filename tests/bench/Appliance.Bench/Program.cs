using System.Diagnostics;
using Appliance.Api.Identity;
using Appliance.Domain.Identity;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;

// Usage: Appliance.Bench auth-check REDIS_HOST:PORT REDIS_PASSWORD [ITERATIONS]
// Measures what authentication adds to every request: RS256 validation of a real access token plus the Redis
// revocation lookup (EXISTS auth:revoked:<jti>) on loopback. Prints p50/p95/p99 in milliseconds.
if (args.Length < 3 || args[0] != "auth-check")
{
    Console.Error.WriteLine("usage: Appliance.Bench auth-check REDIS_HOST:PORT REDIS_PASSWORD [ITERATIONS]");
    return 64;
}

var iterations = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
var endpoint = args[1].Split(':');
var keyDirectory = Directory.CreateTempSubdirectory("appliance-bench-keys-").FullName;
SigningKeyRing.Generate(keyDirectory);
var identity = new IdentitySettings(keyDirectory, "psa-appliance", "psa-api", TimeSpan.FromHours(1), TimeSpan.FromDays(7));
var tokens = new TokenService(SigningKeyRing.Load(keyDirectory), identity, TimeProvider.System);
var user = new User(Guid.NewGuid(), "bench@test.example", "Bench", Roles.TechnicianL2, null, "de", [], true, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
var token = tokens.Issue(user, Guid.NewGuid()).Token;
await using var redis = new MultiplexedRedisClient(new RedisSettings(endpoint[0], int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture), null, args[2], 0, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)));

async Task<double> OnceAsync()
{
    var start = Stopwatch.GetTimestamp();
    var (current, failure) = await tokens.ValidateAsync(token);
    if (current is null)
    {
        throw new InvalidOperationException($"token did not validate: {failure}");
    }

    var revoked = await redis.ExecuteAsync(["EXISTS", RevocationKeys.Jti(current.Jti)]);
    if (revoked.Number != 0)
    {
        throw new InvalidOperationException("token unexpectedly revoked");
    }

    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

for (var i = 0; i < 2_000; i++)
{
    await OnceAsync();
}

var samples = new double[iterations];
var total = Stopwatch.StartNew();
for (var i = 0; i < iterations; i++)
{
    samples[i] = await OnceAsync();
}

total.Stop();
Array.Sort(samples);
double P(double q) => samples[Math.Min(samples.Length - 1, (int)(q * samples.Length))];
Console.WriteLine(System.FormattableString.Invariant(
    $"auth_check_ms iterations={iterations} p50={P(0.50):F3} p95={P(0.95):F3} p99={P(0.99):F3} max={samples[^1]:F3} (RS256 validation + Redis EXISTS; target p95 <= 0.3) per_second={iterations / total.Elapsed.TotalSeconds:F0}"));
Directory.Delete(keyDirectory, recursive: true);
return 0;
