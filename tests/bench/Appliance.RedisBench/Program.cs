using System.Diagnostics;
using System.Globalization;
using Appliance.Platform.Configuration;
using Appliance.Platform.Redis;

// Usage: Appliance.RedisBench PORT PASSWORD SECONDS CONCURRENCY...
// GET of one 32-byte key on 127.0.0.1 for SECONDS per concurrency level through the appliance's Redis client (one
// StackExchange.Redis multiplexer, as in the API); prints ops/s and p50/p95/p99 latency per level.
// Exit codes: 0 done; 64 bad arguments.
if (args.Length < 4
    || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var port)
    || !double.TryParse(args[2], CultureInfo.InvariantCulture, out var seconds)
    || args[3..].Any(a => !int.TryParse(a, CultureInfo.InvariantCulture, out var c) || c < 1))
{
    await Console.Error.WriteLineAsync("usage: Appliance.RedisBench PORT PASSWORD SECONDS CONCURRENCY...");
    return 64;
}

var settings = new RedisSettings("127.0.0.1", port, null, args[1], 0, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));
await using var redis = new MultiplexedRedisClient(settings, "redis-bench");
await redis.StringSetAsync("bench:key", new string('v', 32));
foreach (var concurrency in args[3..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)))
{
    await RunAsync(redis, concurrency, TimeSpan.FromSeconds(Math.Min(1, seconds)));
    var (ops, elapsed, latencies) = await RunAsync(redis, concurrency, TimeSpan.FromSeconds(seconds));
    latencies.Sort();
    string Percentile(double p) =>
        (latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))] * 1000.0 / Stopwatch.Frequency).ToString("0.000", CultureInfo.InvariantCulture);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"client GET concurrency={concurrency,-3} ops_per_s={ops / elapsed.TotalSeconds,9:0} p50_ms={Percentile(0.50)} p95_ms={Percentile(0.95)} p99_ms={Percentile(0.99)} (n={ops})"));
}

return 0;

static async Task<(long Ops, TimeSpan Elapsed, List<long> Latencies)> RunAsync(IRedisClient redis, int concurrency, TimeSpan duration)
{
    var watch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        var latencies = new List<long>(100_000);
        while (watch.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            await redis.StringGetAsync("bench:key");
            latencies.Add(Stopwatch.GetTimestamp() - start);
        }

        return latencies;
    })).ToArray();
    var all = (await Task.WhenAll(workers)).SelectMany(l => l).ToList();
    return (all.Count, watch.Elapsed, all);
}
